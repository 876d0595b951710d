"""A class run is never silently wrong (issue 12, items 12, 13, 15; issue 11, items 5, 6):
a results folder belongs to one assignment and one submissions folder; a submission can be
removed from it; an empty or unreadable submission is scored 0 "not submitted" (and can be
scored in review); the exit status says when something could not be graded; a figure waits
for a TA; a TA's score is suspended when the answer it scored changes."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from batchkit import grade_cli, read_csv, rows
from grader.results import SubmissionResult

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "assignments" / "hw1" / "examples" / "example"
ANSWERS = (EXAMPLE / "answers.yaml").read_text(encoding="utf-8")
FIGURE = (EXAMPLE / "lab1c_planes.png").read_bytes()


def answers_only(root: Path, name: str, *, sid: str | None = None, figure: bool = True,
                 replace: tuple[str, str] | None = None) -> Path:
    """A quick submission: the example's answers file (student id ``sid``), and its figure."""
    text = ANSWERS.replace('id: "example"', f'id: "{sid or "id-" + name}"')
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    d = root / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "answers.yaml").write_text(text, encoding="utf-8")
    if figure:
        (d / "lab1c_planes.png").write_bytes(FIGURE)
    return d


def result(out: Path, name: str) -> SubmissionResult:
    return SubmissionResult.from_json((out / f"{name}.json").read_text(encoding="utf-8"))


def check(res: SubmissionResult, full_id: str):
    qid, _, cid = full_id.rpartition(".")
    return next(c for q in res.questions if q.id == qid for c in q.checks if c.id == cid)


# --------------------------------------------------------------------------- one class, one folder


def test_results_folder_refuses_another_class_and_names_both(tmp_path: Path, capsys) -> None:
    a, b, out = tmp_path / "classA", tmp_path / "classB", tmp_path / "results"
    answers_only(a, "ann")
    answers_only(a, "amy")
    answers_only(b, "ann", sid="id-ann")  # the same student id in another class
    answers_only(b, "bea")
    rc, log, err = grade_cli([a, "--out", out, "--quiet"], capsys)
    assert rc == 0, err
    before = (out / "grades.csv").read_bytes()
    rc, log, err = grade_cli([b, "--out", out, "--quiet"], capsys)
    assert rc == 2
    assert str(a.resolve()) in err and str(b.resolve()) in err and "another --out" in err
    assert (out / "grades.csv").read_bytes() == before  # nothing of class B got in
    assert {r["Submission"] for r in read_csv(out / "grades.csv")} == {"ann", "amy"}
    rc, log, err = grade_cli([a, "--out", out, "--quiet"], capsys)  # the same class again is fine
    assert rc == 0, err
    assert rows(out, "SELECT value FROM meta WHERE key = 'submissions'") == [(str(a.resolve()),)]


def test_a_gradebook_from_before_the_folder_was_recorded_is_claimed_only_by_its_own_class(tmp_path: Path,
                                                                                          capsys) -> None:
    a, b, out = tmp_path / "classA", tmp_path / "classB", tmp_path / "results"
    answers_only(a, "ann")
    answers_only(a, "amy")
    answers_only(b, "bea")
    answers_only(b, "bob")
    assert grade_cli([a, "--out", out, "--quiet"], capsys)[0] == 0
    con = sqlite3.connect(out / "gradebook.sqlite")
    con.execute("DELETE FROM meta WHERE key = 'submissions'")  # as an older grader left it
    con.commit()
    con.close()
    rc, _, err = grade_cli([b, "--out", out, "--quiet"], capsys)
    assert rc == 2 and str(b.resolve()) in err and str(a.resolve()) in err
    assert grade_cli([a, "--out", out, "--quiet"], capsys)[0] == 0


def test_remove_a_submission(tmp_path: Path, capsys) -> None:
    root, out = tmp_path / "class", tmp_path / "results"
    answers_only(root, "ann")
    answers_only(root, "amy")
    assert grade_cli([root, "--out", out, "--quiet"], capsys)[0] == 0
    assert grade_cli(["review", out, "--set", "problem1.q1_1.reason=1", "--student", "amy"], capsys)[0] == 0
    rc, _, err = grade_cli(["review", out, "--remove", "amy", "--remove", "nobody"], capsys)
    assert rc == 2 and "'nobody'" in err and "nothing removed" in err
    assert (out / "amy.json").exists()
    shutil.rmtree(root / "amy")
    rc, log, err = grade_cli(["review", out, "--remove", "amy"], capsys)
    assert rc == 0, err
    assert "removed amy" in log and "1 override(s)" in log
    assert not (out / "amy.json").exists() and not (out / "amy.html").exists()
    assert [r["Submission"] for r in read_csv(out / "grades.csv")] == ["ann"]
    assert rows(out, "SELECT count(*) FROM results WHERE submission = 'amy'") == [(0,)]
    assert rows(out, "SELECT count(*) FROM overrides") == [(0,)]
    rc, log, err = grade_cli([root, "--out", out], capsys)  # and it stays out
    assert rc == 0, err
    assert [r["Submission"] for r in read_csv(out / "grades.csv")] == ["ann"]


# --------------------------------------------------------------------------- not submitted, exit status


@pytest.fixture(scope="module")
def with_empty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int, str, str]:
    import contextlib
    import io

    from grader.cli import main

    base = tmp_path_factory.mktemp("empty")
    root, out = base / "class", base / "results"
    answers_only(root, "ann")
    (root / "empty").mkdir()
    (root / "broken.zip").write_bytes(b"PK\x03\x04 not a zip at all")
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        rc = main([str(root), "--out", str(out)])
    return root, out, rc, o.getvalue(), e.getvalue()


def test_ungradable_submissions_exit_4(with_empty) -> None:
    _, _, rc, log, err = with_empty
    assert rc == 4, err
    assert "2 submission(s) could not be graded" in log and "exit status 4" in err
    assert "1 graded" in log and "2 not submitted" in log


def test_empty_and_unreadable_score_0_not_submitted(with_empty, plan) -> None:
    _, out, _, _, _ = with_empty
    table = {r["Submission"]: r for r in read_csv(out / "grades.csv")}
    qids = [q.id for q in plan.questions]
    for name, why in (("empty", "empty"), ("broken", "broken.zip")):
        row = table[name]
        assert row["Status"] == "not submitted" and row["Total"] == "0", row
        assert all(row[q] == "0" for q in qids), row
        assert why in row["Reason"], row
        res = result(out, name)
        assert res.score == 0 and res.max_score == 100
        for q in res.questions:
            for c in q.checks:
                assert c.status.value == "missing" and c.message.startswith("not submitted: ") and why in c.message
    assert table["ann"]["Status"] == "needs review"


def test_override_on_an_empty_submission_counts(with_empty, tmp_path: Path, capsys) -> None:
    root, out, _, _, _ = with_empty
    out2 = tmp_path / "results"
    shutil.copytree(out, out2)
    rc, log, err = grade_cli(["review", out2, "--set", "problem2.q2_1.function=4", "--student", "empty",
                              "--comment", "sent by mail"], capsys)
    assert rc == 0, err
    assert "empty now 4 / 100" in log
    row = next(r for r in read_csv(out2 / "grades.csv") if r["Submission"] == "empty")
    assert row["Total"] == "4" and row["problem2.q2_1"] == "4"
    assert result(out2, "empty").score == 4


def test_all_graded_exits_0(tmp_path: Path, capsys) -> None:
    root = tmp_path / "class"
    answers_only(root, "ann")
    answers_only(root, "amy")
    rc, log, err = grade_cli([root, "--out", tmp_path / "results"], capsys)
    assert rc == 0, err
    assert "could not be graded" not in log


# --------------------------------------------------------------------------- a figure, a score that goes stale


def test_a_figure_waits_for_a_ta(tmp_path: Path, capsys) -> None:
    root, out = tmp_path / "class", tmp_path / "results"
    answers_only(root, "ann")
    answers_only(root, "amy", figure=False)
    assert grade_cli([root, "--out", out, "--quiet"], capsys)[0] == 0
    fig = check(result(out, "ann"), "lab1.c.figure")
    assert fig.status.value == "manual" and fig.score == 0 and fig.max_score == 2
    assert fig.details["file"] == "lab1c_planes.png" and fig.details["image"].startswith("data:image/png;base64,")
    assert check(result(out, "amy"), "lab1.c.figure").status.value == "missing"  # nothing to review
    rc, log, err = grade_cli(["review", out], capsys)
    assert rc == 0, err
    assert "id-ann (ann)  lab1.c.figure  [0..2]  pending" in log and "lab1c_planes.png (PNG" in log
    assert "id-amy (amy)  lab1.c.figure" not in log
    page = (out / "ann.html").read_text(encoding="utf-8")
    assert '<img src="data:image/png;base64,' in page and "img-src data:" in page
    before = result(out, "ann").score
    assert grade_cli(["review", out, "--set", "lab1.c.figure=2", "--student", "id-ann"], capsys)[0] == 0
    assert result(out, "ann").score == before + 2


def test_a_score_is_suspended_when_the_answer_changes(tmp_path: Path, capsys) -> None:
    root, out = tmp_path / "class", tmp_path / "results"
    answers_only(root, "ann")
    answers_only(root, "amy")
    assert grade_cli([root, "--out", out, "--quiet"], capsys)[0] == 0
    rc, _, err = grade_cli(["review", out, "--set", "problem1.q1_2.reason=1", "--set", "problem1.q1_1.reason=1",
                            "--student", "id-ann", "--comment", "good reason", "--by", "ta1"], capsys)
    assert rc == 0, err
    scored = result(out, "ann").score
    assert check(result(out, "ann"), "problem1.q1_2.reason").score == 1
    # a resubmission: q1_2's reason changes, q1_1's does not
    old = "reason: Deeper networks can overfit or become harder to optimize (vanishing gradients)."
    answers_only(root, "ann", replace=(old, 'reason: "I changed my mind, no idea."'))
    rc, log, err = grade_cli([root, "--out", out], capsys)
    assert rc == 0, err
    assert "review score of problem1.q1_2.reason (1 by ta1) is suspended" in err
    res = result(out, "ann")
    stale = check(res, "problem1.q1_2.reason")
    assert stale.status.value == "manual" and stale.score == 0
    assert stale.details["review"]["suspended"] is True and "suspended" in stale.message
    kept = check(res, "problem1.q1_1.reason")
    assert kept.status.value == "pass" and kept.score == 1  # its answer did not change: still applied
    assert res.score == scored - 1
    rc, log, err = grade_cli(["review", out], capsys)
    assert rc == 0, err
    assert "id-ann (ann)  problem1.q1_2.reason  [0..1]  pending: CHANGED since scored 1 by ta1" in log
    assert "I changed my mind, no idea." in log
    assert "id-ann (ann)  problem1.q1_1.reason" not in log  # still scored: not in the queue
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Changed since scored" in report
    assert "was suspended: the answer changed since it was scored" in (out / "ann.html").read_text(encoding="utf-8")
    row = next(r for r in read_csv(out / "grades.csv") if r["Submission"] == "ann")
    assert "suspended" in row["Reason"] and float(row["Total"]) == res.score
    # a new score for the new answer applies again
    assert grade_cli(["review", out, "--set", "problem1.q1_2.reason=0", "--student", "id-ann"], capsys)[0] == 0
    assert check(result(out, "ann"), "problem1.q1_2.reason").status.value == "fail"
    assert "CHANGED" not in grade_cli(["review", out], capsys)[1]


def test_a_score_does_not_follow_the_student_id_to_other_evidence(tmp_path: Path, capsys) -> None:
    """An override recorded for a student (no submission named) follows them to a renamed
    submission only while it scores the same answer."""
    root, out = tmp_path / "class", tmp_path / "results"
    answers_only(root, "ann", sid="s1")
    answers_only(root, "amy")
    assert grade_cli([root, "--out", out, "--quiet"], capsys)[0] == 0
    assert grade_cli(["review", out, "--set", "problem1.q1_2.reason=1", "--student", "s1"], capsys)[0] == 0
    shutil.rmtree(root / "ann")
    answers_only(root, "ann2", sid="s1", replace=("Deeper networks", "Wider networks"))
    assert grade_cli(["review", out, "--remove", "ann"], capsys)[0] == 0
    assert grade_cli([root, "--out", out, "--quiet"], capsys)[0] == 0
    assert check(result(out, "ann2"), "problem1.q1_2.reason").status.value == "manual"


def test_csv_and_terminal_from_a_hostile_class(tmp_path: Path, capsys) -> None:
    """End to end: a formula as student id, escape sequences in a folder name and an id."""
    root, out = tmp_path / "class", tmp_path / "results"
    answers_only(root, "eve", sid='=HYPERLINK(\\"http://evil.example\\",\\"x\\")')
    answers_only(root, "t\x1b]0;owned\x07", sid="\\e]52;c;b3duZWQ=\\a")  # YAML's escapes for ESC and BEL
    (root / "\x1b[2Jnotes.txt").write_text("x")
    rc, log, err = grade_cli([root, "--out", out], capsys)
    assert rc == 0, err
    for text in (log, err):
        assert "\x1b" not in text and "\x07" not in text
    assert "\\x1b]0;owned\\x07" in log
    table = read_csv(out / "grades.csv")
    eve = next(r for r in table if r["Submission"] == "eve")
    assert eve["SIS User ID"] == '\'=HYPERLINK("http://evil.example","x")'
    rc, log, err = grade_cli(["review", out], capsys)
    assert rc == 0 and "\x1b" not in log and "\\x1b]52;c;b3duZWQ=\\x07" in log
    json.loads((out / "eve.json").read_text())  # and the JSON keeps the id as it was


def test_a_version_1_gradebook_is_read_as_is_and_upgraded_when_written(tmp_path: Path) -> None:
    """Overrides from before digests existed keep applying (digest None); opening the
    gradebook for writing adds the column and moves it to version 2."""
    from grader.gradebook import Gradebook

    out = tmp_path / "results"
    with Gradebook.open(out, create=True, exclusive=True) as gb:
        gb.add_overrides("hw1", [{"student": "s1", "check_id": "problem1.q1_1.reason", "score": 1, "by": "ta"}])
    con = sqlite3.connect(out / "gradebook.sqlite")
    con.execute("ALTER TABLE overrides DROP COLUMN digest")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    with Gradebook.open(out, create=False, exclusive=False) as gb:  # read-only: read as it is
        assert [(o.student, o.digest) for o in gb.overrides("hw1")] == [("s1", None)]
    assert rows(out, "SELECT value FROM meta WHERE key = 'schema_version'") == [("1",)]
    with Gradebook.open(out, create=False, exclusive=True) as gb:
        assert [o.digest for o in gb.overrides("hw1")] == [None]
    assert rows(out, "SELECT value FROM meta WHERE key = 'schema_version'") == [("2",)]
    assert "digest" in {r[1] for r in rows(out, "PRAGMA table_info(overrides)")}


def test_evidence_digest_covers_the_answer_and_the_figure_not_the_key() -> None:
    from grader.results import CheckResult, Status, TextView
    from grader.review import evidence_digest

    def c(text: str = "my answer", sha: str = "aa", key: str | None = "the key", review: bool = False) -> CheckResult:
        details = {"sha256": sha, **({"review": {"score": 1}} if review else {})}
        return CheckResult(id="figure", status=Status.MANUAL, score=0.0, max_score=2.0, message="left for manual review",
                           details=details, views=[TextView(label="figure", text=text, key=key)])

    d = evidence_digest(c())
    assert evidence_digest(c(key="a reworded key")) == d  # the rubric's key is not what the student sent
    assert evidence_digest(c(review=True)) == d  # nor an earlier review
    assert evidence_digest(c(text="I changed my mind, no idea.")) != d
    assert evidence_digest(c(sha="bb")) != d  # another figure


def test_the_grading_key_covers_the_graders_own_code(tmp_path: Path, monkeypatch, plan) -> None:
    """A fix to how a check scores (the figure now waiting for a TA) regrades stored results
    instead of reusing them: the grader's own .py files are part of the grading key."""
    import grader.batch as batch

    copy = tmp_path / "grader"
    shutil.copytree(Path(batch.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    key = batch.grading_key(plan, device="cpu", timings=False)
    monkeypatch.setattr(batch, "__file__", str(copy / "batch.py"))
    assert batch.grading_key(plan, device="cpu", timings=False) == key
    fig = copy / "checks" / "figure.py"
    fig.write_text(fig.read_text() + "\n# a change to how figures score\n")
    assert batch.grading_key(plan, device="cpu", timings=False) != key
