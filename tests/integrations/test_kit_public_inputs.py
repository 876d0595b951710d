"""What the student kit is built from: `public_args` (a code check's inputs in the kit) are
checked when the rubric is compiled, and `form` checks judge an answer's form, never its
value, and never crash on what a student writes."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.checks.base import CheckContext, Missing, Tolerance
from grader.checks.form import Form, Spec, grade, problems_of
from grader.kit import answer_form, kit_questions
from grader.packaging import KitError
from grader.results import Status
from grader.rubric import RubricError, load_plan
from integration_support import HW1_RUBRIC

from hw1_testing import rubric_copy

PUBLIC = "public_args: {dataset: {seed: 9101, rows: 100, x1_scale: 2.0, x2_scale: 2.0, coef: [0.5, -1.5, 0.75], noise: 0.05}},"


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = HW1_RUBRIC.read_text()
    assert old in text
    path = rubric_copy(tmp_path, text.replace(old, new, 1))
    return path


def test_public_inputs_that_grading_uses_are_refused(tmp_path: Path) -> None:
    # the kit would carry the reference's output on lab1.csv: the Lab 1 (a) answer
    path = _edited(tmp_path, PUBLIC, "public_args: {dataset: course},")
    with pytest.raises(RubricError, match=r"course_data: `public_args` \{\"dataset\":\"course\"\} are inputs that grading uses"):
        load_plan(path)
    # ... or a hidden data set's (another check's grading input counts too)
    path = _edited(tmp_path, PUBLIC, "public_args: {dataset: {seed: 20240101, rows: 20, x1_scale: 2.0, x2_scale: 2.0}},")
    with pytest.raises(RubricError, match="are inputs that grading uses too"):
        load_plan(path)


def test_public_args_belong_to_public_code_checks(tmp_path: Path) -> None:
    path = _edited(tmp_path, "args: {dataset: {seed: 20240101, rows: 20, x1_scale: 2.0, x2_scale: 2.0}}, select: w,",
                   "args: {dataset: {seed: 20240101, rows: 20, x1_scale: 2.0, x2_scale: 2.0}}, select: w, "
                   "public_args: {dataset: {seed: 5, rows: 20, x1_scale: 2.0, x2_scale: 2.0}},")
    with pytest.raises(RubricError, match="hidden_small: `public_args` on a hidden check"):
        load_plan(path)
    path = _edited(tmp_path, "rtol: 1.0e-2, atol: 1.0e-12}", "rtol: 1.0e-2, atol: 1.0e-12, public_args: {x: 1}}")
    with pytest.raises(RubricError, match="this check has no `code`"):
        load_plan(path)


def test_a_code_check_without_public_args_is_left_out_of_the_kit(tmp_path: Path) -> None:
    path = _edited(tmp_path, PUBLIC, "")
    questions, left_out = kit_questions(load_plan(path))
    assert "lab1.a course_data" in left_out
    lab1a = next(q for q in questions if q["id"] == "lab1.a")
    assert [c["id"] for c in lab1a["checks"]] == ["reported_w", "reported_mse"] and lab1a["points"] == 2


def test_an_answer_kind_the_kit_cannot_strip_stops_the_build() -> None:
    class Unknown:
        kind, id = "oracle_answer", "x"

    with pytest.raises(KitError, match="cannot say the form of its answer without the answer"):
        answer_form(Unknown())


# --------------------------------------------------------------------------- the form check


def _ctx(answer: Any) -> CheckContext:
    return CheckContext(answer=answer, answer_line=3, answers_file="answers.yaml", answers_error=None, expected=None,
                        actual=None, tolerance=Tolerance(1e-6, 1e-9))


def _spec(form: dict[str, Any]) -> Spec:
    return Spec(id="c", kind="form", points=1, answer="q.a", form=Form.model_validate(form))


TABLE = {"type": "mapping", "rows": 2, "each": {"type": "mapping", "keys": {
    "shape": {"type": "numbers"}, "params": {"type": "number"}}}}
CASES: list[tuple[dict[str, Any], Any, str | None]] = [
    ({"type": "boolean"}, "yes", None),
    ({"type": "boolean"}, 17, "expected true or false, got 17"),
    ({"type": "text"}, "  ", "expected text"),
    ({"type": "number"}, "1e-4", None),
    ({"type": "number"}, True, "expected a number, got true"),
    ({"type": "number"}, 10**400, "expected a number"),
    ({"type": "number"}, float("nan"), "is not a finite number"),
    ({"type": "numbers", "shape": [2, 3]}, [[1, 2, 3], [4, 5, 6]], None),
    ({"type": "numbers", "shape": [2, 3]}, [[1, 2, 3], [4, 5]], "q.a[1]: expected 3 items, got 2"),
    ({"type": "numbers", "shape": [3]}, [1, "-inf", 2], "q.a[1]: \"-inf\" is not a finite number"),
    ({"type": "numbers"}, [], "expected a non-empty list"),
    ({"type": "mapping", "keys": {"w": {"type": "numbers", "shape": [3]}}, "optional": {"t": {"type": "numbers"}}},
     {"w": [1, 2, 3]}, None),
    ({"type": "mapping", "keys": {"w": {"type": "numbers", "shape": [3]}}}, {"v": 1}, "missing w"),
    ({"type": "mapping", "keys": {}, "optional": {"dW": {"type": "text"}}}, {}, "none of dW is given"),
    (TABLE, {"a": {"shape": [1, 2], "params": 3}, "b": {"shape": [4], "params": 5}}, None),
    (TABLE, {"a": {"shape": [1, 2], "params": 3}}, "expected 2 entries, got 1"),
    (TABLE, {"a": {"shape": [1, 2], "params": [3]}, "b": {"shape": [4], "params": 5}}, "q.a.a.params"),
]


@pytest.mark.parametrize(("form", "value", "problem"), CASES)
def test_form_judges_the_form(form: dict[str, Any], value: Any, problem: str | None) -> None:
    out = grade(_spec(form), _ctx(value))
    if problem is None:
        assert out.status == Status.PASS and "checked only when the course grades your work" in out.message
    else:
        assert out.status == Status.FAIL and problem in out.message and out.message.startswith("answers.yaml:3")
        assert len(out.message) < 200  # a student's value is never printed whole


def test_a_missing_answer_is_not_submitted() -> None:
    assert grade(_spec({"type": "text"}), _ctx(Missing(""))).status == Status.MISSING


def test_a_form_says_what_it_is_and_refuses_nonsense() -> None:
    assert Form(type="numbers", shape=[5, 9]).describe() == "5 rows of 9 numbers"
    with pytest.raises(ValueError):
        Form(type="text", shape=[3])
    with pytest.raises(ValueError):
        Form(type="mapping")
    with pytest.raises(ValueError):
        Form(type="numbers", shape=[10**6])


_ANY = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
                    max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(value=_ANY)
def test_no_answer_crashes_a_form_or_passes_a_wrong_one(value: Any) -> None:
    forms = [Form.model_validate(f) for f, _, _ in CASES]
    for form in forms:
        problems = problems_of(value, form, "q")
        assert len(problems) <= 4 and all(isinstance(p, str) and p.startswith("q") for p in problems)
        if not problems and form.type in ("number", "numbers"):
            flat = [value] if form.type == "number" else _flatten(value)
            assert all(not isinstance(v, bool) and math.isfinite(float(v)) for v in flat)


def _flatten(v: Any) -> list[Any]:
    return [x for item in v for x in _flatten(item)] if isinstance(v, list) else [v]
