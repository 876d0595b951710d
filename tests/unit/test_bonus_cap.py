"""Bonus questions and a score cap: the rubric's rule (bonus points are not part of `total`;
`cap` defaults to the total), the result's tally (the score is capped and says so in plain
words) and every output that shows a total (JSON, terminal, HTML, CSV, Gradescope, JUnit,
TA overrides). Hand-built results: no sandbox, no files."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from typing import Any

import pytest
from pydantic import ValidationError

from grader.classmode.export import export_rows, render_csv, render_jsonl
from grader.classmode.gradebook import OverrideRow, ResultRow
from grader.classmode.review import Effective, apply_overrides
from grader.report.gradescope import to_gradescope
from grader.report.html import render_feedback
from grader.report.junit import to_junit
from grader.report.terminal import render_summary
from grader.results import CheckResult, QuestionResult, Status, SubmissionResult, question_status, tally
from grader.rubric import Rubric


# --------------------------------------------------------------------------- the rubric's rule

def _rubric(*, total: float | None = 10, cap: float | None = None, bonus_points: float = 3) -> dict[str, Any]:
    def q(qid: str, pts: float, **extra: Any) -> dict[str, Any]:
        return {"id": qid, "title": qid, "points": pts, **extra,
                "checks": [{"id": "c", "kind": "manual", "points": pts, "answer": qid}]}
    data: dict[str, Any] = {"schema": "grader.rubric/v1", "assignment": "a1", "title": "A1", "reference": "reference",
                            "questions": [q("q1", 4), q("q2", 6), q("q3", bonus_points, bonus=True)]}
    if total is not None:
        data["total"] = total
    if cap is not None:
        data["cap"] = cap
    return data


def test_bonus_points_are_not_part_of_the_total() -> None:
    r = Rubric.model_validate(_rubric())
    assert r.regular_total == 10 and r.bonus_total == 3 and r.score_cap == 10  # cap defaults to the total


def test_a_total_that_counts_the_bonus_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"add up to 10 .*bonus.* but total is 13"):
        Rubric.model_validate(_rubric(total=13))


@pytest.mark.parametrize("cap", [9, 13.5])
def test_a_cap_below_the_total_or_above_total_plus_bonus_is_refused(cap: float) -> None:
    with pytest.raises(ValidationError, match="cap"):
        Rubric.model_validate(_rubric(cap=cap))


def test_a_cap_between_total_and_total_plus_bonus_is_kept() -> None:
    assert Rubric.model_validate(_rubric(cap=12)).score_cap == 12


def test_a_rubric_without_bonus_has_no_cap() -> None:
    data = _rubric()
    data["questions"] = data["questions"][:2]
    r = Rubric.model_validate(data)
    assert r.bonus_total == 0 and r.score_cap is None


# --------------------------------------------------------------------------- the tally

def _check(cid: str, status: Status, score: float, max_score: float) -> CheckResult:
    return CheckResult(id=cid, status=status, score=score, max_score=max_score, message="m")


def _q(qid: str, score: float, max_score: float, *, bonus: bool = False, status: Status | None = None) -> QuestionResult:
    st = status or (Status.PASS if score >= max_score else Status.PARTIAL)
    checks = [_check("c", st, score, max_score)]
    return QuestionResult(id=qid, title=qid.upper(), score=score, max_score=max_score, status=question_status(checks),
                          checks=checks, bonus=bonus)


def _capped_result(regular: float = 95, bonus: float = 8) -> SubmissionResult:
    questions = [_q("q1", regular, 100), _q("lab3", bonus, 10, bonus=True)]
    return SubmissionResult(assignment="a1", submission="s1", student={"id": "s1"}, max_score=100,
                            questions=questions, **tally(questions, cap=100))


def test_the_score_is_capped_and_says_so() -> None:
    r = _capped_result()
    assert (r.score, r.earned, r.cap, r.max_score) == (100, 103, 100, 100)
    assert r.cap_note == "capped at 100: 103 earned"


def test_under_the_cap_the_bonus_counts_in_full() -> None:
    r = _capped_result(regular=80, bonus=8)
    assert (r.score, r.earned) == (88, 88) and r.cap_note is None


def test_without_a_cap_the_tally_is_the_plain_sum() -> None:
    qs = [_q("q1", 3, 4), _q("q2", 5, 6)]
    assert tally(qs, cap=None) == {"score": 8.0}


def test_json_of_a_result_without_bonus_has_no_new_keys() -> None:
    qs = [_q("q1", 3, 4)]
    r = SubmissionResult(assignment="a1", submission="s1", max_score=4, questions=qs, **tally(qs, cap=None))
    data = json.loads(r.to_json())
    assert "cap" not in data and "earned" not in data and "bonus" not in data["questions"][0]
    assert "cap" not in r.model_dump(mode="json", by_alias=True)


def test_json_of_a_capped_result_round_trips() -> None:
    r = _capped_result()
    data = json.loads(r.to_json())
    assert (data["score"], data["earned"], data["cap"], data["max_score"]) == (100, 103, 100, 100)
    assert data["questions"][1]["bonus"] is True and "bonus" not in data["questions"][0]
    assert SubmissionResult.from_json(r.to_json()).to_json() == r.to_json()


# --------------------------------------------------------------------------- outputs

def test_terminal_summary_shows_the_cap_and_the_bonus_question() -> None:
    text = render_summary(_capped_result())
    assert text.splitlines()[-1] == "total: 100 / 100 (capped at 100: 103 earned)"
    assert any("lab3" in line and "bonus" in line for line in text.splitlines())
    assert render_summary(_capped_result(), quiet=True) == "total: 100 / 100 (capped at 100: 103 earned)"


def test_html_feedback_shows_the_cap_and_the_bonus_question() -> None:
    page = render_feedback(_capped_result())
    assert "capped at 100: 103 earned" in page
    assert "bonus" in page.lower()


def test_gradescope_score_and_max_score_are_the_cap() -> None:
    doc = to_gradescope(_capped_result(), execution_time=1.0)
    assert doc["score"] == 100 and doc["max_score"] == 100
    assert "capped at 100: 103 earned" in doc["output"]
    lab3 = [t for t in doc["tests"] if "lab3" in t["tags"]]
    assert lab3 and all("bonus" in t["tags"] for t in lab3)


def test_gradescope_of_a_result_without_bonus_is_unchanged() -> None:
    qs = [_q("q1", 3, 4)]
    r = SubmissionResult(assignment="a1", submission="s1", max_score=4, questions=qs, **tally(qs, cap=None))
    doc = to_gradescope(r, execution_time=1.0)
    assert "max_score" not in doc and all("bonus" not in t["tags"] for t in doc["tests"])


def test_junit_marks_the_bonus_suite_and_the_capped_total() -> None:
    xml = to_junit(_capped_result())
    assert '<property name="bonus" value="true" />' in xml
    assert "capped at 100: 103 earned" in xml
    plain = to_junit(_capped_result(regular=10, bonus=0).model_copy(update={"cap": None, "earned": None}))
    assert "capped" not in plain


def _effective(result: SubmissionResult, overrides: tuple[OverrideRow, ...] = ()) -> Effective:
    row = ResultRow(id=1, assignment="a1", student="s1", submission="s1", content_hash="0" * 64, rubric_hash="0" * 64,
                    grading_key="k", outcome="graded", score=result.score, max_score=result.max_score,
                    result_json=result.to_json(), failure=None, source="s1", wall_s=1.0,
                    graded_at="2026-01-01T00:00:00+00:00")
    return Effective(student="s1", row=row, result=result, overrides=overrides, warnings=(), late=None)


def test_class_csv_and_jsonl_show_the_capped_total_and_why() -> None:
    rows = export_rows([_effective(_capped_result())], assignment="a1", max_score=100)
    text = render_csv(rows, question_ids=["q1", "lab3"])
    rec = list(csv.DictReader(io.StringIO(text)))[0]
    assert (rec["Total"], rec["Max Points"], rec["lab3"]) == ("100", "100", "8")
    assert "capped at 100: 103 earned" in rec["Reason"]
    line = json.loads(render_jsonl(rows, question_ids=["q1", "lab3"]))
    assert (line["score"], line["earned"], line["cap"]) == (100, 103, 100)


def test_class_jsonl_without_cap_has_no_new_keys() -> None:
    qs = [_q("q1", 3, 4)]
    r = SubmissionResult(assignment="a1", submission="s1", max_score=4, questions=qs, **tally(qs, cap=None))
    line = json.loads(render_jsonl(export_rows([_effective(r)], assignment="a1", max_score=4), question_ids=["q1"]))
    assert "earned" not in line and "cap" not in line


def test_the_cap_applies_after_a_ta_override() -> None:
    questions = [_q("q1", 95, 100), _q("lab3", 0, 10, bonus=True, status=Status.MANUAL)]
    r = SubmissionResult(assignment="a1", submission="s1", max_score=100, questions=questions, **tally(questions, cap=100))
    assert (r.score, r.earned) == (95, 95)
    o = OverrideRow(id=1, assignment="a1", student="s1", submission=None, check_id="lab3.c", score=9, comment="good",
                    by="ta", at="2026-01-01T00:00:00+00:00", digest=None)
    out, warnings = apply_overrides(r, [o])
    assert warnings == []
    assert (out.score, out.earned, out.cap) == (100, 104, 100)
    assert out.cap_note == "capped at 100: 104 earned"
    lower, _ = apply_overrides(r, [o, dataclasses.replace(o, id=2, score=2)])  # the newest wins: under the cap
    assert (lower.score, lower.earned) == (97, 97) and lower.cap_note is None


def test_the_students_view_before_release_counts_bonus_under_the_cap() -> None:
    from grader.results import Visibility
    from grader.service.core import student_view

    hidden = CheckResult(id="h", status=Status.PASS, score=50, max_score=50, message="m", visibility=Visibility.HIDDEN)
    q1 = QuestionResult(id="q1", title="Q1", score=95, max_score=100, status=Status.PARTIAL,
                        checks=[_check("c", Status.PARTIAL, 45, 50), hidden])
    questions = [q1, _q("lab3", 8, 10, bonus=True)]
    r = SubmissionResult(assignment="a1", submission="s1", max_score=100, questions=questions, **tally(questions, cap=100))
    view = student_view(r)
    assert (view.score, view.max_score, view.earned, view.cap) == (53, 50, 53, 100)
    assert [q.bonus for q in view.questions] == [False, True]
