"""The rubric against the handout's point map, and the pack's Sign(0)-undefined
threshold_unit kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.checks.base import CheckContext
from grader.packs import Pack
from grader.results import Status
from grader.rubric import load_plan
from grader.numeric.tolerances import Tolerance

PACK = Pack.at(__file__)
threshold_unit = PACK.module("kinds.threshold_unit")

# The handout's point map (question id -> points); Lab 3 is the 10-point bonus.
POINT_MAP = {
    **{f"problem1.q1_{i}": 2 for i in range(1, 6)},
    "problem2.q2_1": 3, "problem2.q2_2": 4, "problem2.q2_3": 4, "problem2.q2_4": 4,
    "problem3.q3_1": 5, "problem3.q3_2": 5, "problem4.q4_1": 5, "problem4.q4_2": 5,
    "lab1.a": 3, "lab1.b": 4, "lab1.c": 3, "lab1.d": 5, "lab2.a": 10, "lab2.b": 30,
    "lab3.a": 2, "lab3.b": 3, "lab3.c": 5,
}


@pytest.fixture(scope="module")
def plan():  # type: ignore[no-untyped-def]
    return load_plan(Path(PACK.rubric_path))


def test_points_follow_the_handouts_point_map(plan) -> None:  # type: ignore[no-untyped-def]
    got = {q.id: q.points for q in plan.rubric.questions}
    assert got == POINT_MAP
    bonus = {q.id for q in plan.rubric.questions if q.bonus}
    assert bonus == {q for q in POINT_MAP if q.startswith("lab3.")}  # Lab 3 is the bonus
    # 100 regular points plus 10 bonus points, the final score capped at 100
    assert (plan.rubric.regular_total, plan.rubric.bonus_total, plan.rubric.total) == (100, 10, 100)
    assert (plan.max_score, plan.cap) == (100, 100)


def test_student_files_are_the_handouts_deliverables(plan) -> None:  # type: ignore[no-untyped-def]
    assert set(plan.rubric.notebooks) == {"lab1", "SimpleNN"}
    assert set(plan.support_files) == {"dataset.mat"}


def _ctx(answer: object, expected: list[int]) -> CheckContext:
    return CheckContext(answer=answer, answer_line=None, answers_file="report.pdf", answers_error=None,
                        expected=expected, actual=None, tolerance=Tolerance(rtol=0.0, atol=0.0))


def _spec(**kw: object):  # type: ignore[no-untyped-def]
    return threshold_unit.Spec(id="weights", kind="threshold_unit", points=4, answer="problem2.q2_2", **kw)


NAND = [1, 1, 1, -1]


def test_sign_of_zero_is_undefined() -> None:
    """(0, -1, -1) gives s = 0 on two rows: right under sign(0) = +1, wrong here."""
    out = threshold_unit.grade(_spec(n_inputs=2, expected=NAND), _ctx({"w": [0, -1, -1]}, NAND))
    assert out.status == Status.FAIL and "Sign(0) is undefined" in out.message
    assert threshold_unit.grade(_spec(n_inputs=2, expected=NAND), _ctx([1, -1, -1], NAND)).status == Status.PASS


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-4, 4).map(lambda v: v / 2), min_size=3, max_size=3))
def test_nand_weights_pass_exactly_when_the_handouts_inequalities_hold(w: list[float]) -> None:
    w0, w1, w2 = w
    valid = w0 - w1 - w2 > 0 and w0 - w1 + w2 > 0 and w0 + w1 - w2 > 0 and w0 + w1 + w2 < 0
    out = threshold_unit.grade(_spec(n_inputs=2, expected=NAND), _ctx(w, NAND))
    assert (out.status == Status.PASS) == valid, (w, out.message)


def test_xor_second_layer_through_the_fixed_first_layer() -> None:
    hidden = [[0.5, -1.0, 1.0], [0.5, 1.0, -1.0]]
    xor = [-1, 1, 1, -1]
    spec = _spec(n_inputs=2, expected=xor, hidden=hidden, labels=["w20", "w21", "w22"])
    for w, ok in (([1, -1, -1], True), ([1.9, -1, -1], True), ([2, -1, -1], False), ([-1, 1, 1], False)):
        assert (threshold_unit.grade(spec, _ctx(w, xor)).status == Status.PASS) == ok, w


def test_the_instructor_checks_find_no_problem(plan) -> None:  # type: ignore[no-untyped-def]
    """`grade validate`'s load-time checks: the built-in notebook probes (notebook.figures)
    are not "unknown probes" of probes.py."""
    from grader.validate import static_problems

    assert static_problems(plan) == []


any_value = PACK.module("kinds.any_value")


def _value_ctx(reference: dict[str, object], student: dict[str, object], atol: float = 1e-6) -> CheckContext:
    import numpy as np

    from grader.checks.base import ProbeOutput

    arr = {k: np.asarray(v, dtype=np.float64) for k, v in student.items()}
    ref = {k: np.asarray(v, dtype=np.float64) for k, v in reference.items()}
    return CheckContext(answer=None, answer_line=None, answers_file=None, answers_error=None, expected=ref,
                        actual=ProbeOutput(status="ok", value=arr), tolerance=Tolerance(rtol=0.0, atol=atol))


def _value_spec():  # type: ignore[no-untyped-def]
    return any_value.Spec(id="code", kind="any_value", points=1, code="lab1.ipynb:W_star", probe="numeric_values",
                          name="W_star", what="W*")


def test_any_value_finds_the_value_under_any_name() -> None:
    ref = {"W_star": [1.0, 1.0, -2.0], "mse": 1e-4}
    out = any_value.grade(_value_spec(), _value_ctx(ref, {"r": 0.01, "w_opt": [[1.0], [1.0], [-2.0]]}))
    assert out.status == Status.PASS and out.message == "your variable w_opt holds W*"


def test_any_value_names_the_closest_and_ignores_other_sizes() -> None:
    ref = {"W_star": [1.0, 1.0, -2.0]}
    out = any_value.grade(_value_spec(), _value_ctx(ref, {"w": [1.0, 1.1, -2.0], "X0": [1.0, 1.0], "far": [9.0, 9.0, 9.0]}))
    assert out.status == Status.FAIL and "the closest is w, off by 0.1" in out.message
    out = any_value.grade(_value_spec(), _value_ctx(ref, {"X0": [1.0, 1.0]}))
    assert out.status == Status.FAIL and "no variable holds W*" in out.message
    out = any_value.grade(_value_spec(), _value_ctx({"other": [1.0]}, {"w": [1.0, 1.0, -2.0]}))
    assert out.status == Status.ERROR and "instructor" in out.message


def test_gradescope_setup_counts_lab3_as_bonus_under_the_cap(plan) -> None:  # type: ignore[no-untyped-def]
    from grader.gradescope_package import gradescope_outline
    from grader.kit import REVIEWED_KINDS

    outline = gradescope_outline(plan)
    auto = [(q.bonus, c.points) for q in plan.rubric.questions for c in q.checks if c.kind not in REVIEWED_KINDS]
    assert outline.autograder_points == sum(p for b, p in auto if not b)
    assert outline.bonus_points == sum(p for b, p in auto if b) > 0 and outline.cap == 100
    text = outline.text("ece661-f23-hw1", total_before_release="shown", released=False)
    assert "capped at **100**" in text and "`lab3.c.analysis (bonus)`" in text
