"""`grade review` as a TA uses it (issue 19.7): answers whole (a long, multi-line answer is
printed in full, paged in a terminal), filters by question, student and status, undo of
the newest score with the history kept, and `--all` listing every override, those of
automatic checks included."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from batchkit import copy_run, grade_cli, make, rows
from grader.results import SubmissionResult

PARAGRAPHS = ["Gradient descent follows the negative gradient; " * 12,
              "For a convex function every local minimum is global, " * 10 + "so with a small enough step it gets there.",
              "Last line of a long answer: END-OF-ANSWER."]


@pytest.fixture(scope="module")
def graded_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from grader.cli import main

    base = tmp_path_factory.mktemp("review-tool")
    root = base / "submissions"
    ann = make(root, "ann", "correct")
    ben = make(root, "ben", "nor_sign")
    for sub, q12 in ((ann, "Deeper nets can overfit the training set."), (ben, "deeper  nets CAN overfit\nthe training set.")):
        answers = sub / "answers.yaml"
        doc = yaml.safe_load(answers.read_text())
        if sub is ann:
            doc["problem1"]["q1_1"]["reason"] = "\n\n".join(PARAGRAPHS)
        doc["problem1"]["q1_2"]["reason"] = q12  # the same answer, case and spacing aside
        answers.write_text(yaml.safe_dump(doc, sort_keys=False))
    out = base / "results"
    assert main([str(root), "--out", str(out), "--quiet"]) == 0
    return root, out


@pytest.fixture
def graded(graded_once: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    return copy_run(*graded_once, tmp_path / "copy")


def _score(out: Path, name: str, full_id: str) -> float:
    result = SubmissionResult.from_json((out / f"{name}.json").read_text())
    qid, _, cid = full_id.rpartition(".")
    return next(c.score for q in result.questions if q.id == qid for c in q.checks if c.id == cid)


def test_answers_are_shown_whole(graded, capsys) -> None:
    _, out = graded
    rc, log, err = grade_cli(["review", out, "--student", "id-ann", "--question", "problem1.q1_1"], capsys)
    assert rc == 0, err
    flat = " ".join(log.split())
    for para in PARAGRAPHS:
        assert " ".join(para.split()) in flat  # every word, nothing cut at 100 characters
    assert "…" not in log and "END-OF-ANSWER." in log


def test_filters_by_question_student_and_status(graded, capsys) -> None:
    _, out = graded
    rc, log, _ = grade_cli(["review", out, "--question", "lab3.c"], capsys)
    assert rc == 0
    listed = [line for line in log.splitlines() if "[0.." in line]
    assert listed and all(" lab3.c." in line for line in listed)
    assert {"id-ann" in line for line in listed} == {True, False}  # both students
    rc, log, _ = grade_cli(["review", out, "--student", "ben"], capsys)  # a submission name works too
    listed = [line for line in log.splitlines() if "[0.." in line]
    assert listed and all(line.startswith("id-ben") for line in listed)
    assert grade_cli(["review", out, "--set", "lab3.c.analysis=1", "--student", "id-ben", "--by", "ta"], capsys)[0] == 0
    _, pending, _ = grade_cli(["review", out, "--question", "lab3.c", "--status", "pending"], capsys)
    _, reviewed, _ = grade_cli(["review", out, "--question", "lab3.c", "--status", "reviewed"], capsys)
    assert "id-ben" not in pending and "id-ann" in pending
    assert "id-ben" in reviewed and "reviewed: 1 by ta" in reviewed and "id-ann" not in reviewed


def test_undo_brings_back_the_score_before_and_keeps_the_history(graded, capsys) -> None:
    _, out = graded
    cid = "problem1.q1_1.reason"
    base = _score(out, "ann", cid)
    for score in ("1", "0.5"):
        rc, _, err = grade_cli(["review", out, "--set", f"{cid}={score}", "--student", "id-ann", "--by", "ta1"], capsys)
        assert rc == 0, err
    assert _score(out, "ann", cid) == 0.5
    rc, log, err = grade_cli(["review", out, "--undo", "--by", "ta2"], capsys)
    assert rc == 0, err
    assert "undid" in log and "now 1 by ta1" in log
    assert _score(out, "ann", cid) == 1  # the JSON was written again
    rc, log, _ = grade_cli(["review", out, "--undo", "--student", "id-ann", "--by", "ta2"], capsys)
    assert rc == 0 and "now unscored by a TA" in log
    assert _score(out, "ann", cid) == base
    assert len(rows(out, "SELECT id FROM overrides")) == 4  # two scores, two undos: nothing deleted
    _, history, _ = grade_cli(["review", out, "--history"], capsys)
    assert history.count("undo of #") == 2 and "= 0.5" in history and "= 1" in history
    rc, _, err = grade_cli(["review", out, "--undo"], capsys)
    assert rc == 2 and "no review score to undo" in err


def test_all_lists_every_override_automatic_checks_included(graded, capsys) -> None:
    _, out = graded
    auto = "problem2.q2_2.weights"
    assert _score(out, "ben", auto) < 4  # a failed automatic check a TA regrades on request
    rc, _, err = grade_cli(["review", out, "--set", f"{auto}=4", "--student", "id-ben", "--comment", "regrade",
                            "--by", "ta"], capsys)
    assert rc == 0, err
    _, default, _ = grade_cli(["review", out], capsys)
    _, everything, _ = grade_cli(["review", out, "--all"], capsys)
    assert auto not in default
    assert f"id-ben (ben)  {auto}  [0..4]  reviewed: 4 by ta" in everything


def test_identical_answers_are_grouped_and_scored_once(graded, capsys) -> None:
    _, out = graded
    cid = "problem1.q1_2.reason"
    _, log, _ = grade_cli(["review", out, "--question", cid], capsys)
    assert log.count("same answer as 1 other(s)") == 2
    other = "problem1.q1_1.reason"  # different answers: not grouped
    _, log, _ = grade_cli(["review", out, "--question", other], capsys)
    assert "same answer as" not in log
    rc, _, err = grade_cli(["review", out, "--set", f"{cid}=1", "--student", "id-ann", "--same-answer",
                            "--comment", "good", "--by", "ta"], capsys)
    assert rc == 0, err
    assert _score(out, "ann", cid) == 1 and _score(out, "ben", cid) == 1
    assert len(rows(out, "SELECT id FROM overrides")) == 2  # one per submission, each undoable on its own
    assert _score(out, "ann", other) == 0  # nothing else was scored
