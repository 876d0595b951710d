"""The class report's pass rate is "full marks on the automatic checks": a TA's score (a
manual item scored in review, an automatic check regraded on request) must not move it
(issue 19, small ones)."""

from __future__ import annotations

from grader.classmode.gradebook import OverrideRow
from grader.report.classstats import _question_stats
from grader.results import (
    CheckResult,
    QuestionResult,
    Status,
    SubmissionResult,
    question_status,
)
from grader.classmode.review import apply_overrides


def _result(name: str, auto: Status) -> SubmissionResult:
    checks = [CheckResult(id="answer", status=auto, score=3 if auto == Status.PASS else 0, max_score=3, message="m"),
              CheckResult(id="reason", status=Status.MANUAL, score=0, max_score=1, message="left for manual review")]
    q = QuestionResult(id="q1", title="Q1", score=sum(c.score for c in checks), max_score=4,
                       status=question_status(checks), checks=checks)
    return SubmissionResult(assignment="a", submission=name, student={"id": name}, score=q.score, max_score=4,
                            questions=[q])


def _override(student: str, check: str, score: float, oid: int) -> OverrideRow:
    return OverrideRow(id=oid, assignment="a", student=student, submission=None, check_id=check, score=score,
                       comment="", by="ta", at="2026-01-01T00:00:00+00:00")


def test_ta_scores_do_not_move_the_pass_rate() -> None:
    results = [_result("s1", Status.PASS), _result("s2", Status.FAIL)]
    before = _question_stats("q1", "Q1", results).pass_rate
    assert before == 0.5
    zero = [apply_overrides(results[0], [_override("s1", "q1.reason", 0, 1)])[0], results[1]]  # the reason earns 0
    assert _question_stats("q1", "Q1", zero).pass_rate == before
    regraded = [results[0], apply_overrides(results[1], [_override("s2", "q1.answer", 3, 2),  # regraded to full
                                                         _override("s2", "q1.reason", 1, 3)])[0]]
    assert regraded[1].score == 4
    assert _question_stats("q1", "Q1", regraded).pass_rate == before
