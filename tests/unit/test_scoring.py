"""The pure core after the checks: a question's status from its checks, TA overrides on a
result, and the class export's rows and CSV, on hand-built results (no SQLite, no files)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest

from grader.classmode.gradebook import OverrideRow, ResultRow
from grader.results import CheckResult, QuestionResult, Status, SubmissionResult, fmt_points, question_status
from grader.classmode.review import Effective, apply_overrides, evidence_digest
from grader.classmode.export import export_rows, render_csv, render_jsonl


def _check(cid: str, status: Status, score: float, max_score: float = 2.0, message: str = "m") -> CheckResult:
    return CheckResult(id=cid, status=status, score=score, max_score=max_score, message=message)


def _result(*checks: CheckResult, student: str = "s1") -> SubmissionResult:
    q = QuestionResult(id="q1", title="Q1", score=sum(c.score for c in checks), max_score=sum(c.max_score for c in checks),
                       status=question_status(list(checks)), checks=list(checks))
    return SubmissionResult(assignment="a1", submission=student, student={"id": student, "name": "Ann =1+1"},
                            score=q.score, max_score=q.max_score, questions=[q])


def _override(check_id: str, score: float, oid: int = 1, digest: str | None = None) -> OverrideRow:
    return OverrideRow(id=oid, assignment="a1", student="s1", submission=None, check_id=check_id, score=score,
                       comment="ok", by="ta", at="2026-01-01T00:00:00+00:00", digest=digest)


# --------------------------------------------------------------------------- question status

P, F, M, X, E, R = Status.PASS, Status.FAIL, Status.MISSING, Status.MANUAL, Status.ERROR, Status.PARTIAL


@pytest.mark.parametrize(("checks", "expected"), [
    ([], M),
    ([(P, 2)], P),
    ([(M, 0)], M),
    ([(P, 2), (X, 0)], X),             # the rest waits for a TA
    ([(P, 2), (F, 0)], R),             # some points: partial
    ([(X, 0), (F, 0)], F),
    ([(F, 0), (E, 0)], E),             # nothing earned and an error: the error is what to fix
    ([(M, 0), (X, 0)], M),
    ([(R, 1)], R),
])
def test_question_status(checks: list[tuple[Status, float]], expected: Status) -> None:
    assert question_status([_check(f"c{i}", s, pts) for i, (s, pts) in enumerate(checks)]) == expected


# --------------------------------------------------------------------------- overrides


def test_override_scores_a_manual_check_and_the_newest_wins() -> None:
    res = _result(_check("auto", P, 2), _check("essay", X, 0))
    out, warnings = apply_overrides(res, [_override("q1.essay", 0.5, oid=1), _override("q1.essay", 1.5, oid=2)])
    essay = out.questions[0].checks[1]
    assert warnings == [] and essay.score == 1.5 and essay.status == R and essay.details["review"]["auto_status"] == "manual"
    assert out.score == 3.5 and out.questions[0].status == R
    assert res.score == 2  # the stored result is not changed


def test_override_above_the_points_is_capped_and_unknown_checks_are_named() -> None:
    res = _result(_check("essay", X, 0))
    out, warnings = apply_overrides(res, [_override("q1.essay", 9), _override("q1.gone", 1, oid=2)])
    assert out.score == 2 and out.questions[0].status == P
    assert any("above the check's 2 points" in w for w in warnings)
    assert any("q1.gone" in w and "not applied" in w for w in warnings)


def test_override_of_other_evidence_is_suspended() -> None:
    before = _check("essay", X, 0, message="left for manual review (v1)")
    after = _check("essay", X, 0, message="left for manual review (v2)")
    o = _override("q1.essay", 2, digest=evidence_digest(before))
    same, _ = apply_overrides(_result(before), [o])
    assert same.score == 2
    changed, warnings = apply_overrides(_result(after), [o])
    assert changed.score == 0 and changed.questions[0].checks[0].details["review"]["suspended"] is True
    assert "suspended" in warnings[0]


# --------------------------------------------------------------------------- export


def _row(sub: str, failure: str | None = None) -> ResultRow:
    return ResultRow(id=1, assignment="a1", student="s1", submission=sub, content_hash="h", rubric_hash="r",
                     grading_key="k", outcome="graded" if failure is None else "failed", score=None, max_score=None,
                     result_json=None, failure=failure, source="dir", wall_s=None, graded_at="t")


def test_export_rows_statuses_duplicates_and_failures() -> None:
    graded = Effective(row=_row("s1-a"), student="s1", result=_result(_check("c", P, 2)), overrides=(), warnings=())
    pending = Effective(row=_row("s1-b"), student="s1", result=_result(_check("c", X, 0)), overrides=(), warnings=())
    failed = Effective(row=_row("s2", failure="internal error"), student="s2", result=None, overrides=(), warnings=())
    rows = export_rows([failed, pending, graded], assignment="a1", max_score=2.0)
    assert [(r.submission, r.status) for r in rows] == [("s1-a", "graded"), ("s1-b", "needs review"), ("s2", "failed")]
    assert "also claimed by submission(s) s1-b" in rows[0].reason
    assert rows[2].score is None and rows[2].questions == {} and rows[2].reason == "internal error"


def test_csv_neutralises_formulas_but_not_negative_numbers() -> None:
    e = Effective(row=_row("=cmd|' /C calc'!A0"), student="-s1", result=_result(_check("c", R, 1)), overrides=(), warnings=())
    row = dataclasses.replace(export_rows([e], assignment="a1", max_score=2)[0], score=-1.5)  # a penalty
    cells = list(csv.reader(io.StringIO(render_csv([row], question_ids=["q1"]))))
    assert cells[0] == ["Student", "SIS User ID", "Submission", "q1", "Total", "Max Points", "Status", "Reason"]
    assert cells[1][:6] == ["Ann =1+1", "'-s1", "'=cmd|' /C calc'!A0", "1", "-1.5", "2"]
    line = json.loads(render_jsonl([row], question_ids=["q1", "q9"]))
    assert line["questions"] == {"q1": 1.0} and line["student"] == "-s1"


@pytest.mark.parametrize(("x", "text"), [(None, ""), (0.0, "0"), (-0.0, "0"), (1.5, "1.5"), (2.0, "2"),
                                         (1 / 3, "0.3333"), (1e-9, "0"), (1e6, "1000000")])
def test_points_are_plain_decimals(x: float | None, text: str) -> None:
    assert fmt_points(x) == text


# --------------------------------------------------------------------------- points in Gradescope's text


def test_gradescope_text_states_the_score_it_reports() -> None:
    """Gradescope's markdown says the points the JSON's `score` holds: 4 decimals, no
    float notation (`:g` showed 133.3333 as "133.333" and 1,000,000 as "1e+06")."""
    from grader.report.gradescope import to_gradescope

    res = _result(_check("big", R, 133.3333, max_score=1_000_000.0))
    doc = to_gradescope(res, execution_time=0.0)
    assert doc["score"] == 133.3333
    assert "**Total: 133.3333 / 1000000**" in doc["output"]
    assert "(133.3333/1000000 points)" in doc["tests"][0]["output"]


def test_terminal_and_markdown_state_the_score_the_json_holds() -> None:
    from grader.report.terminal import render_markdown, render_summary

    res = _result(_check("big", R, 133.3333, max_score=1_000_000.0), _check("essay", X, 0, max_score=0.1 + 0.2))
    summary = render_summary(res)
    assert summary.splitlines()[-1] == "total: 133.3333 / 1000000.3"
    assert " 133.3333/1000000.3 " in summary  # the question's row
    md = render_markdown(res)
    assert "| 133.3333 / 1000000 |" in md and "worth 0.3 points" in md
    assert "**total: 133.3333 / 1000000.3**" in md


def test_junit_states_the_score_the_json_holds() -> None:
    from grader.report.junit import to_junit

    xml = to_junit(_result(_check("big", R, 133.3333, max_score=1_000_000.0)))
    assert "133.3333/1000000 points" in xml
    assert '<property name="score" value="133.3333" />' in xml
    assert '<property name="max_score" value="1000000" />' in xml


def test_html_pages_show_points_to_two_decimals_without_float_notation() -> None:
    """The HTML pages round points to 2 decimals on purpose (a page is read, not summed),
    but never lose digits to `:g` (12345.67 read "12345.7", 1000000 read "1e+06")."""
    from grader.report.html import render_class_report, render_feedback

    res = _result(_check("big", R, 12345.6667, max_score=1_000_000.0))
    page = render_feedback(res)
    assert "12345.67" in page and "1000000" in page
    assert "12345.7 " not in page and "1e+06" not in page
    report = render_class_report([res])
    assert "12345.67" in report and "1e+06" not in report
