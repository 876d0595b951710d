"""Named mistakes on the pages: the feedback page shows the diagnosis; the class report
counts, per question, the students who made each named mistake with links to their pages,
and lists right weights with a wrong truth table as what they are."""

from __future__ import annotations

from grader.report.classstats import wrong_answer
from grader.report.html import render_class_report, render_feedback
from grader.results import CheckResult, QuestionResult, Status, SubmissionResult

DIAG = {"mistake": "half_mse", "explain": "this is the MSE with the 1/2 factor",
        "evidence": "your values are exactly 0.5x the reference's, every one of them", "relation": "factor"}


def _result(sub: str, curve: CheckResult, weights: CheckResult | None = None) -> SubmissionResult:
    qs = [QuestionResult(id="lab1.b", title="LMS", score=curve.score, max_score=2, status=curve.status, checks=[curve])]
    if weights is not None:
        qs.append(QuestionResult(id="problem2.q2_2", title="NOR", score=weights.score, max_score=4, status=weights.status,
                                 checks=[weights]))
    return SubmissionResult(assignment="hw1", submission=sub, student={"id": sub}, score=sum(q.score for q in qs),
                            max_score=sum(q.max_score for q in qs), questions=qs)


def _curve(diag: dict | None) -> CheckResult:
    details = {"diagnosis": diag} if diag else {}
    return CheckResult(id="mse_curve", status=Status.FAIL, score=0, max_score=2, message="20 of 20 epochs differ",
                       details=details)


def _table_only_wrong() -> CheckResult:
    return CheckResult(id="weights", status=Status.PARTIAL, score=3, max_score=4,
                       message="these weights realize NOR; but your truth table disagrees with your weights: row (-1, 1): y = 1",
                       details={"weights": [1.0, -1.0, -1.0], "table_problems": ["row (-1, 1): y = 1, your weights give -1"]})


def test_the_feedback_page_names_the_mistake():
    page = render_feedback(_result("alice", _curve(DIAG)))
    assert "Likely mistake: half_mse" in page and "exactly 0.5x the reference" in page and "1/2 factor" in page
    assert 'class="diagnosis' not in render_feedback(_result("bob", _curve(None)))


def test_the_class_report_counts_named_mistakes_with_links():
    results = [_result("alice", _curve(DIAG)), _result("bob", _curve(DIAG)), _result("carol", _curve(None))]
    html = render_class_report(results, links={r.submission: f"{r.submission}.html" for r in results})
    section = html[html.index('id="mistakes"'):html.index('id="wrong"')]
    assert "half_mse" in section and "2 students" in section
    assert 'href="alice.html#' in section and 'href="bob.html#' in section and "carol" not in section
    wrong = html[html.index('id="wrong"'):]
    assert "20 of 20 epochs differ" in wrong and "1 student" in wrong  # carol's, unnamed


def test_right_weights_with_a_wrong_truth_table_are_not_a_wrong_weights_answer():
    # before: "w = [1, -1, -1]", listed as a wrong answer although those weights are right
    assert wrong_answer(_table_only_wrong()) == "truth table disagrees with the weights (1 problem)"
