"""Resuming: a batch killed with SIGKILL (or stopped with Ctrl-C) mid-run and run again ends
with exactly the files of an uninterrupted run; what changed is regraded, nothing else."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from batchkit import grade_cli, grade_subprocess, json_files, kill_group, make, read_csv, recorded, rows, wait_until

# slow ones (lab1.py sleeps on import) keep the batch running long enough to be stopped
KINDS = ("slow", "correct", "slow", "sign_error", "slow", "corrupt", "slow", "table_cells")


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("resume") / "submissions"
    for i, kind in enumerate(KINDS):
        make(root, f"s{i:02d}", kind, fmt=("dir", "zip", "tar.gz")[i % 3], salt=i)
    return root


@pytest.fixture(scope="module")
def uninterrupted(klass: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from grader.cli import main

    out = tmp_path_factory.mktemp("reference") / "results"
    # 4: the class holds a corrupt archive, which could not be graded (scored 0, "not submitted")
    assert main([str(klass), "--out", str(out), "--quiet", "--jobs", "2"]) == 4
    return out


def _interrupted_run(klass: Path, out: Path, sig: int) -> tuple[int, int, str]:
    """Start a batch, stop it with `sig` once 3 submissions are recorded; (rc, recorded, stderr)."""
    proc = grade_subprocess([klass, "--out", out, "--jobs", "1"])
    try:
        assert wait_until(lambda: recorded(out) >= 3, timeout_s=90, proc=proc), proc.communicate()
        if sig == signal.SIGKILL:
            kill_group(proc, sig)
        else:
            proc.send_signal(sig)  # like Ctrl-C: to the grade process
        _, err = proc.communicate(timeout=60)
    finally:
        kill_group(proc, signal.SIGKILL)
    return proc.returncode, recorded(out), err


@pytest.mark.slow  # > 10 s
def test_sigkill_then_resume_equals_an_uninterrupted_run(klass: Path, uninterrupted: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "results"
    rc, done, _ = _interrupted_run(klass, out, signal.SIGKILL)
    assert rc == -signal.SIGKILL
    assert 3 <= done < len(KINDS), "the batch must be killed mid-run"
    rc, log, err = grade_cli([klass, "--out", out, "--jobs", "2"], capsys)
    assert rc == 4, err  # the corrupt archive
    unchanged = [line for line in log.splitlines() if "unchanged (not regraded)" in line]
    assert len(unchanged) >= done - 1  # all that were recorded, but the corrupt one, which is always retried
    assert json_files(out) == json_files(uninterrupted)
    assert (out / "grades.csv").read_bytes() == (uninterrupted / "grades.csv").read_bytes()
    # each submission was graded once: the killed run's rows were reused, not redone
    per_sub = rows(out, "SELECT submission, count(*) FROM results GROUP BY submission")
    assert len(per_sub) == len(KINDS) and all(n == 1 for _, n in per_sub)
    assert not list(out.glob(".*.tmp"))


@pytest.mark.slow  # > 10 s
def test_ctrl_c_exits_130_keeping_what_was_graded(klass: Path, uninterrupted: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "results"
    rc, done, err = _interrupted_run(klass, out, signal.SIGINT)
    assert rc == 130, err
    assert "interrupted" in err and "run the same command again" in err
    assert 3 <= done < len(KINDS)
    table = read_csv(out / "grades.csv")  # class files are brought up to date on the way out
    assert len(table) == done
    rc, log, err = grade_cli([klass, "--out", out, "--quiet"], capsys)
    assert rc == 4, err  # the corrupt archive
    assert json_files(out) == json_files(uninterrupted)
