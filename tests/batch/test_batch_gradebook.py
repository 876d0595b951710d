"""A gradebook that cannot be used (corrupt, foreign, another schema version, in use by a
running batch) stops the command with a clear error and is never overwritten; usage
errors exit 2."""

from __future__ import annotations

import hashlib
import signal
import sqlite3
from pathlib import Path

import pytest

from batchkit import grade_cli, grade_subprocess, kill_group, make, recorded, wait_until
from grader.classmode.gradebook import Gradebook


@pytest.fixture
def klass(tmp_path: Path) -> Path:
    root = tmp_path / "submissions"
    make(root, "ann", "correct")
    make(root, "ben", "nor_sign", fmt="zip")
    return root


def _digest(folder: Path) -> dict[str, str]:
    """Every data file of the folder (the lock file, which only holds a pid, aside)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file() and not p.name.endswith(".lock")}


def _refused(klass: Path, out: Path, capsys, *fragments: str) -> None:
    before = _digest(out)
    rc, log, err = grade_cli([klass, "--out", out], capsys)
    assert rc == 2, (log, err)
    for f in fragments:
        assert f in err, err
    assert "Traceback" not in err and err.count("\n") == 1
    assert _digest(out) == before  # nothing written, nothing overwritten
    assert not (out / "ann.json").exists()


def test_corrupt_gradebook_is_refused_untouched(klass: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "results"
    out.mkdir()
    (out / "gradebook.sqlite").write_bytes(b"this was a gradebook until a disk error\n" * 200)
    _refused(klass, out, capsys, "gradebook.sqlite: not a readable gradebook", "left as it is")
    rc, _, err = grade_cli(["export", out, "--csv", tmp_path / "g.csv"], capsys)
    assert rc == 2 and "not a readable gradebook" in err


def test_damaged_pages_are_refused_untouched(klass: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "results"
    assert grade_cli([klass, "--out", out, "--quiet"], capsys)[0] == 0
    for p in out.glob("*.json"):
        p.unlink()
    db = out / "gradebook.sqlite"
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 3 * page
    data[2 * page: 3 * page] = b"\xa5" * page  # scribble over a whole page
    db.write_bytes(bytes(data))
    _refused(klass, out, capsys, "gradebook.sqlite", "left as it is")


def test_gradebook_of_another_schema_version_is_refused(klass: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "results"
    Gradebook.open(out, create=True, exclusive=False).close()
    con = sqlite3.connect(out / "gradebook.sqlite")
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    _refused(klass, out, capsys, "schema version 99", "reads versions 1, 2")


def test_foreign_sqlite_database_is_refused(klass: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "results"
    out.mkdir()
    con = sqlite3.connect(out / "gradebook.sqlite")
    con.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path TEXT)")
    con.execute("INSERT INTO photos (path) VALUES ('holiday.jpg')")
    con.commit()
    con.close()
    _refused(klass, out, capsys, "not a grader gradebook", "photos")


def test_gradebook_in_use_by_a_running_batch(tmp_path: Path, capsys) -> None:
    root = tmp_path / "submissions"
    for i in range(3):
        make(root, f"slow{i}", "slow", salt=i)
    out = tmp_path / "results"
    proc = grade_subprocess([root, "--out", out, "--jobs", "1"])
    try:
        assert wait_until(lambda: recorded(out) >= 1, timeout_s=90, proc=proc), proc.communicate()
        assert proc.poll() is None, "the first batch must still be running"
        rc, _, err = grade_cli([root, "--out", out], capsys)
        assert rc == 2 and f"in use by another running batch or review (pid {proc.pid})" in err, err
        rc, _, err = grade_cli(["review", out, "--set", "problem1.q1_1.reason=1", "--student", "id-slow0"], capsys)
        assert rc == 2 and "in use by another running batch" in err
        rc, log, err = grade_cli(["review", out], capsys)  # reading needs no lock
        assert rc == 0, err
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    finally:
        kill_group(proc, signal.SIGKILL)
    assert recorded(out) == 3
    rc, _, err = grade_cli(["review", out, "--set", "problem1.q1_1.reason=1", "--student", "id-slow0"], capsys)
    assert rc == 0, err  # the lock went with the first batch


@pytest.mark.parametrize(("extra", "message"), [
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--fail-under", "50"], "--fail-under is for one submission"),
    (["--html", "x.html"], "--html is for one submission"),
])
def test_usage_errors_exit_2(klass: Path, tmp_path: Path, capsys, extra: list[str], message: str) -> None:
    rc, _, err = grade_cli([klass, "--out", tmp_path / "results", *extra], capsys)
    assert rc == 2 and message in err
    assert not (tmp_path / "results").exists()


def test_results_of_another_assignment_are_not_mixed(klass: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "results"
    with Gradebook.open(out, create=True, exclusive=True) as gb:
        gb.set_meta({"assignment": "hw2"})
    _refused(klass, out, capsys, "holds results of hw2, not hw1")


def test_a_folder_with_no_submissions_is_a_usage_error(tmp_path: Path, capsys) -> None:
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "notes.txt").write_text("x")
    rc, _, err = grade_cli([tmp_path / "inbox", "--out", tmp_path / "results"], capsys)
    assert rc == 2 and "no submissions" in err
