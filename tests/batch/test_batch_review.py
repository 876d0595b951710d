"""Manual scores: the queue, recording TA scores (flag or file), applying them to the JSON,
CSV and JSON Lines, keeping them through regrades, and refusing bad input whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from batchkit import copy_run, grade_cli, make, read_csv, rows
from grader.results import SubmissionResult


@pytest.fixture(scope="module")
def graded_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from grader.cli import main

    base = tmp_path_factory.mktemp("review")
    root = base / "submissions"
    make(root, "ann", "correct")
    make(root, "ben", "nor_sign", fmt="zip")
    make(root, "cal", "no_id", sid=None)
    out = base / "results"
    assert main([str(root), "--out", str(out), "--quiet"]) == 0
    return root, out


@pytest.fixture
def graded(graded_once: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the graded class: (submissions, results)."""
    return copy_run(*graded_once, tmp_path / "copy")


def _check(result: SubmissionResult, full_id: str):
    qid, _, cid = full_id.rpartition(".")
    q = next(q for q in result.questions if q.id == qid)
    return q, next(c for c in q.checks if c.id == cid)


def _result(out: Path, name: str) -> SubmissionResult:
    return SubmissionResult.from_json((out / f"{name}.json").read_text())


def test_queue_lists_manual_items_with_text_and_key(graded, capsys) -> None:
    _, out = graded
    rc, log, err = grade_cli(["review", out], capsys)
    assert rc == 0, err
    raw = _result(out, "ann")
    _, reason = _check(raw, "problem1.q1_1.reason")
    assert reason.status.value == "manual"
    text = " ".join(reason.views[0].text.split())
    assert "id-ann (ann)  problem1.q1_1.reason  [0..1]  pending" in log
    assert text[:60] in log
    assert " ".join(reason.views[0].key.split())[:60] in log
    n_manual = sum(c.status.value == "manual" for r in ("ann", "ben", "cal") for q in _result(out, r).questions
                   for c in q.checks)
    assert f"{n_manual} item(s) waiting for review" in log


def test_set_applies_to_json_csv_and_jsonl(graded, capsys, tmp_path: Path) -> None:
    _, out = graded
    before = _result(out, "ann")
    q_before, _ = _check(before, "problem1.q1_1.reason")
    rc, log, err = grade_cli(["review", out, "--set", "problem1.q1_1.reason=1", "--set", "lab3.c.analysis=0.5",
                              "--student", "id-ann", "--comment", "clear and correct", "--by", "ta-kim"], capsys)
    assert rc == 0, err
    after = _result(out, "ann")
    q, c = _check(after, "problem1.q1_1.reason")
    assert c.status.value == "pass" and c.score == 1
    assert "clear and correct" in c.message and c.details["review"]["auto_status"] == "manual"
    assert q.score == q_before.score + 1
    _, c2 = _check(after, "lab3.c.analysis")
    assert c2.status.value == "partial" and c2.score == 0.5
    assert after.score == before.score + 1.5
    assert "ta-kim" not in (out / "ann.json").read_text()  # who/when live in the gradebook only
    if (out / "ann.html").exists():  # the feedback page shows the reviewed score and comment
        assert "clear and correct" in (out / "ann.html").read_text(encoding="utf-8")
    stored = rows(out, "SELECT student, check_id, score, comment, by, at FROM overrides ORDER BY id")
    assert [(s[0], s[1], s[2], s[3], s[4]) for s in stored] == [
        ("id-ann", "problem1.q1_1.reason", 1.0, "clear and correct", "ta-kim"),
        ("id-ann", "lab3.c.analysis", 0.5, "clear and correct", "ta-kim")]
    assert all(s[5] for s in stored)
    row = next(r for r in read_csv(out / "grades.csv") if r["Submission"] == "ann")
    assert float(row["Total"]) == after.score and float(row["problem1.q1_1"]) == q.score
    rc, _, err = grade_cli(["export", out, "--csv", tmp_path / "g.csv", "--jsonl", tmp_path / "g.jsonl"], capsys)
    assert rc == 0, err
    assert (tmp_path / "g.csv").read_bytes() == (out / "grades.csv").read_bytes()
    lines = [json.loads(line) for line in (tmp_path / "g.jsonl").read_text().splitlines()]
    ann = next(x for x in lines if x["submission"] == "ann")
    assert ann["score"] == after.score and ann["questions"]["problem1.q1_1"] == q.score
    assert {o["check"] for o in ann["overrides"]} == {"problem1.q1_1.reason", "lab3.c.analysis"}
    assert all(o["by"] == "ta-kim" and o["at"] for o in ann["overrides"])
    assert len(lines) == 3


def test_overrides_survive_a_regrade(graded, capsys) -> None:
    root, out = graded
    assert grade_cli(["review", out, "--set", "problem1.q1_2.reason=1", "--student", "id-ben"], capsys)[0] == 0
    # ben resubmits: the zip is replaced by a folder with the NOR answer fixed
    (root / "ben.zip").unlink()
    make(root, "ben", "correct")
    rc, log, err = grade_cli([root, "--out", out], capsys)
    assert rc == 0, err
    assert "ben (id-ben): " in log and "unchanged" not in next(line for line in log.splitlines() if "] ben " in line)
    assert len(rows(out, "SELECT id FROM results WHERE submission = 'ben'")) == 2
    q, c = _check(_result(out, "ben"), "problem1.q1_2.reason")
    assert c.status.value == "pass" and c.score == 1 and "scored in review" in c.message
    _, nor = _check(_result(out, "ben"), "problem2.q2_2.weights")
    assert nor.status.value == "pass"  # the regrade itself took effect
    row = next(r for r in read_csv(out / "grades.csv") if r["Submission"] == "ben")
    assert float(row["problem1.q1_2"]) == q.score and float(row["Total"]) == _result(out, "ben").score


def test_overrides_file_all_or_nothing(graded, capsys, tmp_path: Path) -> None:
    _, out = graded
    good = tmp_path / "ok.yaml"
    good.write_text("- {student: id-ann, check: problem1.q1_3.reason, score: 1, comment: fine, by: ta1}\n"
                    "- {student: cal, check: problem1.q1_3.reason, score: 0, comment: no reason given, by: ta2}\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {student: id-ann, check: problem1.q1_4.reason, score: 1, by: ta1}\n"
                   "- {student: id-ben, check: problem1.q1_4.reason, score: 2, by: ta1}\n"
                   "- {student: id-ben, check: problem1.q1_4.reasn, score: 1, by: ta1}\n")
    rc, _, err = grade_cli(["review", out, "--overrides", bad], capsys)
    assert rc == 2
    assert f"{bad}:2: score 2 for problem1.q1_4.reason is out of range: 0 to 1" in err
    assert f"{bad}:3: unknown check 'problem1.q1_4.reasn'" in err and "answer, reason" in err
    assert rows(out, "SELECT count(*) FROM overrides") == [(0,)]
    rc, _, err = grade_cli(["review", out, "--overrides", good], capsys)
    assert rc == 0, err
    _, c = _check(_result(out, "cal"), "problem1.q1_3.reason")  # `cal` has no student id: its name is its key
    assert c.status.value == "fail" and "no reason given" in c.message
    rc, log, _ = grade_cli(["review", out, "--all"], capsys)
    assert "reviewed: 1 by ta1" in log and "reviewed: 0 by ta2" in log


@pytest.mark.parametrize(("argv", "message"), [
    (["--set", "problem1.q1_1.reason=1.5", "--student", "id-ann"], "out of range: 0 to 1"),
    (["--set", "problem1.q1_1.reason=-1", "--student", "id-ann"], "out of range: 0 to 1"),
    (["--set", "problem1.q1_1.reason=abc", "--student", "id-ann"], "score 'abc' is not a number"),
    (["--set", "problem9.q1.reason=1", "--student", "id-ann"], "unknown check 'problem9.q1.reason'"),
    (["--set", "problem1.q1_1.reason=1", "--student", "nobody"], "unknown student 'nobody'"),
    (["--set", "problem1.q1_1.reason", "--student", "id-ann"], "expected CHECK=SCORE"),
    (["--set", "problem1.q1_1.reason=1"], "--set needs --student"),
])
def test_bad_scores_are_rejected_with_a_clear_message(graded, capsys, argv, message) -> None:
    _, out = graded
    before = (out / "ann.json").read_bytes()
    rc, _, err = grade_cli(["review", out, *argv], capsys)
    assert rc == 2 and message in err, err
    assert "Traceback" not in err
    assert (out / "ann.json").read_bytes() == before
    assert rows(out, "SELECT count(*) FROM overrides") == [(0,)]


def test_a_student_id_with_two_submissions_needs_the_submission_named(tmp_path: Path, capsys) -> None:
    root = tmp_path / "submissions"
    make(root, "ann", "correct", sid="s1")
    make(root, "ann2", "nor_sign", sid="s1")
    out = tmp_path / "results"
    assert grade_cli([root, "--out", out], capsys)[0] == 0
    rc, _, err = grade_cli(["review", out, "--set", "problem1.q1_1.reason=1", "--student", "s1"], capsys)
    assert rc == 2 and "has 2 submissions (ann, ann2)" in err
    rc, _, err = grade_cli(["review", out, "--set", "problem1.q1_1.reason=1", "--student", "s1",
                            "--submission", "ann2"], capsys)
    assert rc == 0, err
    assert _check(_result(out, "ann2"), "problem1.q1_1.reason")[1].score == 1
    assert _check(_result(out, "ann"), "problem1.q1_1.reason")[1].status.value == "manual"
