"""Gradescope's results.json from a SubmissionResult: the spec's keys and types, the
question numbers, visibility of hidden checks, and student text kept literal."""

from __future__ import annotations

import json
import re

import pytest
from integration_support import NASTY, assert_gradescope_results

from grader.report.gradescope import HIDDEN_OUTPUT, question_number, to_gradescope
from grader.results import SubmissionResult


@pytest.mark.parametrize(
    ("qid", "number"),
    [
        ("problem1.q1_1", "1.1"),
        ("problem2.q2_2", "2.2"),
        ("problem4.q4_1", "4.1"),
        ("problem3.extra", "3.extra"),
        ("problem2.q3_1", "2.q3_1"),  # a sub-question numbered under another problem keeps its id
        ("lab1.a", "L1.a"),
        ("lab3.c", "L3.c"),
        ("project2.b", "P2.b"),
        ("bonus", "bonus"),
    ],
)
def test_question_numbers(qid: str, number: str) -> None:
    assert question_number(qid) == number


def test_every_check_is_a_test_with_the_spec_types(every_status: SubmissionResult) -> None:
    doc = to_gradescope(every_status, execution_time=12.3456)
    assert_gradescope_results(doc)
    assert json.loads(json.dumps(doc, allow_nan=False)) == doc
    assert doc["score"] == every_status.score == 11.25
    assert doc["execution_time"] == 12.346
    names = [t["name"] for t in doc["tests"]]
    assert names == ["Weights for NOR [weights]", "Convolution output [output]",
                     "Closed-form least squares [reported_w]", "Closed-form least squares [course_data]",
                     "Closed-form least squares [hidden_small]", "Closed-form least squares [hidden_wide]",
                     "Gradients with zero initialization [all_zero]", "Gradients with zero initialization [analysis]"]
    assert [t["number"] for t in doc["tests"]] == ["2.2", "4.1", "L1.a", "L1.a", "L1.a", "L1.a", "L3.c", "L3.c"]
    assert [t.get("status") for t in doc["tests"]] == ["passed", "failed", "failed", "failed", "passed", "failed",
                                                      "failed", None]
    assert [(t["score"], t["max_score"]) for t in doc["tests"]] == [(4, 4), (6.5, 9), (0, 1), (0, 1), (0.75, 0.75),
                                                                   (0, 0.75), (0, 2), (0, 0)]  # pending: out of the total
    assert all(t["output_format"] == "md" for t in doc["tests"])


def test_hidden_checks_show_a_generic_line_and_follow_the_chosen_visibility(every_status: SubmissionResult) -> None:
    doc = to_gradescope(every_status, execution_time=1)
    hidden = [t for t in doc["tests"] if "hidden" in t["name"]]
    assert [t["visibility"] for t in hidden] == ["after_published", "after_published"]
    assert all(t["output"] == HIDDEN_OUTPUT for t in hidden)
    assert "SECRET" not in json.dumps(doc)
    assert {t["visibility"] for t in doc["tests"] if t not in hidden} == {"visible"}
    never = to_gradescope(every_status, execution_time=1, hidden_visibility="hidden")
    assert [t["visibility"] for t in never["tests"] if "hidden" in t["name"]] == ["hidden", "hidden"]
    with pytest.raises(ValueError, match="hidden_visibility"):
        to_gradescope(every_status, execution_time=1, hidden_visibility="visible")  # type: ignore[arg-type]


def test_output_is_markdown_with_the_message_fenced_literally(every_status: SubmissionResult) -> None:
    doc = to_gradescope(every_status, execution_time=1)
    partial = doc["tests"][1]["output"]
    assert partial.startswith("**Partly correct** (6.5/9 points)")
    assert "Hint: zero padding keeps the 5x9 size" in partial
    # the message sits in one fence longer than any backtick run inside it, unchanged
    m = re.search(r"^(`{3,})text\n(.*)\n\1$", partial, flags=re.S | re.M)
    assert m is not None, partial
    assert len(m.group(1)) == 5 and NASTY in m.group(2)
    manual = doc["tests"][-1]
    assert "manual" in manual["tags"] and "status" not in manual
    assert manual["output"] == "**Pending**: left for manual review by the course staff (worth 2 points, not in this score yet)"
    assert "Total: 11.25 / 18.5" in doc["output"]  # the 2 pending points are out of the total until graded
    assert "unknown key" in doc["output"] and "basic isolation" in doc["output"]
    assert doc["tests"][0]["output"] == "**Passed** (4/4 points)\n\n```text\nrealizes NOR on all 4 input rows\n```"


# --------------------------------------------------------------------------- pending items, the total before release


def _shown(doc: dict[str, object]) -> tuple[float, float]:
    """(score, max) a student can add up from the tests Gradescope shows before release."""
    tests = [t for t in doc["tests"] if isinstance(t, dict) and t["visibility"] == "visible"]  # type: ignore[union-attr]
    return sum(t["score"] for t in tests), sum(t["max_score"] for t in tests)


def test_manual_items_are_pending_not_failed(every_status: SubmissionResult) -> None:
    doc = to_gradescope(every_status, execution_time=1)
    (pending,) = [t for t in doc["tests"] if "pending" in t["tags"]]
    assert "status" not in pending and pending["score"] == pending["max_score"] == 0
    assert pending["extra_data"] == {"pending_points": 2} and "worth 2 points" in pending["output"]
    assert "Failed" not in pending["output"]
    assert "1 item(s) worth 2 points are pending review by the course staff" in doc["output"]
    assert doc["score"] == every_status.score  # the grade is unchanged


def test_hidden_total_before_release_hides_the_result_keeps_public_tests_visible(every_status: SubmissionResult) -> None:
    doc = to_gradescope(every_status, execution_time=1, total_before_release="hidden")
    assert_gradescope_results(doc)
    assert doc["visibility"] == "after_published"
    assert {t["visibility"] for t in doc["tests"] if "hidden" not in t["name"]} == {"visible"}
    assert doc["score"] == every_status.score
    released = to_gradescope(every_status, execution_time=1, total_before_release="hidden", released=True)
    assert "visibility" not in released


def test_public_total_before_release_is_the_public_checks_total(every_status: SubmissionResult) -> None:
    doc = to_gradescope(every_status, execution_time=1, total_before_release="public")
    assert_gradescope_results(doc)
    assert not [t for t in doc["tests"] if "hidden" in t["name"]]
    score, most = _shown(doc)
    assert doc["score"] == score == 10.5  # what a student sees adds up: nothing left to subtract
    assert f"Public checks: {score:g} / {most:g}" in doc["output"] and "not your grade yet" in doc["output"]
    after = to_gradescope(every_status, execution_time=1, total_before_release="public", released=True)
    assert after["score"] == every_status.score and len(after["tests"]) == 8


def test_shown_total_leaves_the_difference_visible_as_before(every_status: SubmissionResult) -> None:
    doc = to_gradescope(every_status, execution_time=1, total_before_release="shown")
    assert "visibility" not in doc and len(doc["tests"]) == 8
    with pytest.raises(ValueError, match="total_before_release"):
        to_gradescope(every_status, execution_time=1, total_before_release="later")  # type: ignore[arg-type]
