"""The reading rules of issue 14, one by one, on small write-ups read in-process (fast):
choices only from the rubric's vocabulary, questions never answers, values without the
words after them, sections from the rubric's headings and the course's styles."""

from __future__ import annotations

from typing import Any

from grader.rubric import Plan
from grader.writeup.extract import Extraction, extract
from grader.writeup.loader import graded_paths, to_answers
from grader.writeup.source import read_text


def ex(plan: Plan, md: str, name: str = "report.md") -> Extraction:
    return extract(read_text(md.encode(), filename=name), plan=plan)


def item(e: Extraction, path: str) -> Any:
    return next((i for i in e.items if i.path == path), None)


def scored(plan: Plan, e: Extraction) -> dict[str, Any]:
    return to_answers(e, review_below=plan.rubric.writeup.review_below, graded=graded_paths(plan)).data or {}


def test_a_word_that_is_no_choice_is_never_scored(plan: Plan) -> None:
    for text in ("The perceptron is performing a logical operation on its inputs.",
                 "Problem 2.1 asks which function; see the truth table."):
        e = ex(plan, f"## Problem 2\n### Q2.1\n{text}\n")
        got = item(e, "problem2.q2_1.function")
        assert got is None or got.confidence < 0.5, got
        assert "q2_1" not in scored(plan, e).get("problem2", {})


def test_code_is_no_choice(plan: Plan) -> None:
    e = ex(plan, '## Problem 4\n### Q4.2\n```python\nplt.imshow(out)\nplt.axis("off")\n```\n')
    assert item(e, "problem4.q4_2.kind") is None
    assert any(g.path == "problem4.q4_2.kind" for g in e.gaps)


def test_the_question_repeated_is_no_answer(plan: Plan) -> None:
    e = ex(plan, "## Problem 4\n### Q4.2\nApply it to the image and explain what kind of kernel it is.\n"
                 "### Q4.1\n0 0 0 0 1 0 0 0 0\n0 0 1 1 1 1 1 0 0\n1 1 1 1 1 1 1 1 1\n0 0 1 1 1 1 1 0 0\n0 0 0 0 1 0 0 0 0\n")
    assert item(e, "problem4.q4_2.kind") is None  # not "apply"
    assert item(e, "problem4.q4_1") is None  # the input image
    assert any(g.path == "problem4.q4_1" for g in e.gaps)


def test_an_answer_after_the_question_restated_is_read(plan: Plan) -> None:
    e = ex(plan, "## Problem 1\n### Q1.2\nAdding more layers always improves a network's accuracy: False.\n"
                 "### Q2.1\nGiven w0 = -1.5, w1 = w2 = 1, name the logic function the perceptron computes: NAND\n")
    assert item(e, "problem1.q1_2.answer").value is False and item(e, "problem1.q1_2.answer").confidence >= 0.9
    assert item(e, "problem2.q2_1.function").value == "NAND"  # not AND, nor the statement's weights


def test_two_choices_named_wait_for_a_ta_one_is_read(plan: Plan) -> None:
    e = ex(plan, "## Problem 4\n### Q4.2\nNot a blurring kernel: it sharpens.\n")
    assert item(e, "problem4.q4_2.kind").confidence < 0.9
    e = ex(plan, "## Problem 4\n### Q4.2\nIt sharpens: the identity plus a Laplacian.\n")
    assert item(e, "problem4.q4_2.kind").value == "sharpening" and item(e, "problem4.q4_2.kind").confidence >= 0.9
    e = ex(plan, "## Problem 2\n### Q2.1\nThe output is +1 only when x1 and x2 are both +1, so it is AND.\n")
    assert item(e, "problem2.q2_1.function").value == "AND"  # the English "and" is not the logic function


def test_values_followed_by_words(plan: Plan) -> None:
    e = ex(plan, "## Problem 2\n### Q2.2\nw0 = -1, w1 = -1, and w2 = -1 will cause the Adaline to perform NOR.\n")
    assert scored(plan, e)["problem2"]["q2_2"]["w"] == [-1, -1, -1]


def test_a_counterexample_needs_input_sizes(plan: Plan) -> None:
    e = ex(plan, "## Problem 1\n### Q1.5\nFalse. With a 3x3 kernel and stride 1 the receptive field grows to 5x5 then 7x7.\n")
    assert item(e, "problem1.q1_5.counterexample") is None
    e = ex(plan, "## Problem 1\n### Q1.5\nFalse. Kernel 3, stride 2, no padding: inputs of 7x7 and 8x8 both give 3x3.\n")
    assert item(e, "problem1.q1_5.counterexample").value["sizes"] == [7, 8]


def test_course_lab_headings_and_problem_n(plan: Plan) -> None:
    md = "Problem 4\n4.2\nSharpening.\n5 Lab: LMS Algorithm\n(b)\nw = [-0.9992, 1.0008, -2.0007]\n"
    e = ex(plan, md, "report.txt")
    assert item(e, "lab1.lms.w").value == [-0.9992, 1.0008, -2.0007] and item(e, "lab1.lms.w").confidence >= 0.9
    assert item(e, "problem4.q4_2.reason").value == "Sharpening."  # Problem 4 ends at the lab heading
    # a lab heading whose title the rubric does not list: the first such heading is taken as Lab 1,
    # and what is read under it waits for a TA
    e = ex(plan, "Problem 4\n4.2\nSharpening.\n5 Lab: Fitting Planes\n(b)\nw = [-0.9992, 1.0008, -2.0007]\n",
           "report.txt")
    guessed = item(e, "lab1.lms.w")
    assert guessed.value == [-0.9992, 1.0008, -2.0007] and guessed.confidence < plan.rubric.writeup.review_below
    assert "taken from the order of the headings" in guessed.how
    assert "lms" not in scored(plan, e).get("lab1", {})
    # free text under a guessed section is not held back: it waits for a TA as free text does
    assert "manual" not in {getattr(pc.spec, "kind", "") for q in plan.questions for pc in q.checks
                            if pc.spec.answer in graded_paths(plan)}


def test_rubric_headings_open_a_question(plan: Plan) -> None:
    import dataclasses

    from grader.writeup.hints import QuestionWriteup

    qs = [q.model_copy(update={"writeup": QuestionWriteup(headings=["Logic function of the unit"])})
          if q.id == "problem2.q2_1" else q for q in plan.rubric.questions]
    custom = dataclasses.replace(plan, rubric=plan.rubric.model_copy(update={"questions": qs}))
    e = extract(read_text(b"Logic function of the unit: NOR\n", filename="r.txt"), plan=custom)
    assert item(e, "problem2.q2_1.function").value == "NOR"
