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
                                                                   (0, 0.75), (0, 2), (0, 2)]
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
    assert manual["output"] == "**Left for manual review by the course staff** (worth 2 points, not included in the score yet)"
    assert "Total: 11.25 / 20.5" in doc["output"]
    assert "unknown key" in doc["output"] and "basic isolation" in doc["output"]
    assert doc["tests"][0]["output"] == "**Passed** (4/4 points)\n\n```text\nrealizes NOR on all 4 input rows\n```"
