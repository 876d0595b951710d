"""The `formula` check kind: LaTeX gradients verified against autograd, with the rubric's
real Problem 3 specs (taken from the compiled HW1 plan, so the tests follow the rubric)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from grader.checks import formula
from grader.checks.base import CheckContext, Missing, Tolerance
from grader.results import Status
from grader.rubric import Plan

SAMPLE_32 = r"(W_2^T (x_3 - t)) \circ (x_2 \circ (1 - x_2)) x_1^T"  # the sample write-up's dL/dW1
MISSING_T = r"(W_2 (x_3 - t)) \circ (x_2 \circ (1 - x_2)) x_1^T"


def _spec(plan: Plan, qid: str) -> formula.Spec:
    q = next(q for q in plan.questions if q.id == qid)
    for c in q.checks:
        for alt in c.alternatives:
            if alt.spec.kind == "formula":
                return alt.spec  # type: ignore[return-value]
    raise AssertionError(f"{qid} has no formula check")


def _grade(spec: formula.Spec, answer: object) -> formula.CheckOutcome:
    ctx = CheckContext(answer=answer, answer_line=None, answers_file="report.pdf", answers_error=None,
                       expected=None, actual=None, tolerance=Tolerance(rtol=1e-7, atol=1e-7))
    return formula.grade(spec, ctx)


@pytest.fixture(scope="module")
def spec32(plan: Plan) -> formula.Spec:
    return _spec(plan, "problem3.q3_2")


@pytest.fixture(scope="module")
def spec31(plan: Plan) -> formula.Spec:
    return _spec(plan, "problem3.q3_1")


def test_sample_dW1_is_verified_correct(spec32: formula.Spec) -> None:
    out = _grade(spec32, {"dW1": SAMPLE_32})
    assert out.details["targets"]["dW1"]["status"] == "correct"
    assert "equals dL/dW_1 on 3 random cases" in out.message
    # the other three gradients were not given: a quarter of the points, and said so
    assert out.status == Status.PARTIAL and out.fraction == pytest.approx(0.25)
    assert "db1: not given" in out.message


def test_missing_transpose_names_the_operation_and_shapes(spec32: formula.Spec) -> None:
    out = _grade(spec32, {"dW1": MISSING_T})
    assert out.status == Status.FAIL and out.fraction == 0
    assert "W_2 (x_3 - t): (n_out x n_hidden) times (n_out x 1) does not fit" in out.message


def test_all_four_gradients_in_other_notations(spec32: formula.Spec) -> None:
    out = _grade(spec32, {
        "dW1": r"\left[\left(W_2^\top (x_3 - t)\right) \odot x_2 \odot (1 - x_2)\right] x_1^T",
        "db1": r"\mathrm{diag}(\sigma'(y_1)) W_2^T (x_3 - t)",
        "dW2": r"(x_3 - t)\, x_2^{T}",
        "db2": "x3 - t",
    })
    assert out.status == Status.PASS, out.message


def test_transpose_is_reported_as_such(spec32: formula.Spec) -> None:
    out = _grade(spec32, {"dW2": "x_2 (x_3 - t)^T", "dW1": SAMPLE_32, "db1": "", "db2": "t - x_3"})
    targets = out.details["targets"]
    assert "equals the transpose of dL/dW_2, not dL/dW_2 itself" in targets["dW2"]["message"]
    assert targets["dW2"]["status"] == "wrong"
    assert "right shape (n_out x 1) but wrong values" in targets["db2"]["message"]  # a sign error
    assert targets["db1"]["status"] == "missing"
    assert out.fraction == pytest.approx(0.25)


def test_right_only_for_square_matrices_fails(spec32: formula.Spec) -> None:
    # W_1 instead of W_2^T: the shapes only fit when n_in == n_hidden == n_out
    out = _grade(spec32, {"db1": r"(W_1 (x_3 - t)) \circ x_2 \circ (1 - x_2)"})
    assert out.details["targets"]["db1"]["status"] == "wrong"
    assert "W_1 (x_3 - t): (n_hidden x n_in) times (n_out x 1) does not fit" in out.message


def test_juxtaposed_vectors_get_a_hint(spec32: formula.Spec) -> None:
    out = _grade(spec32, {"db1": r"W_2^T (x_3 - t) x_2 (1 - x_2)"})
    assert "(for an element-wise product, write \\circ)" in out.message


def test_ambiguous_grouping_takes_the_reading_that_fits(spec32: formula.Spec) -> None:
    # read left to right this is ((W_2^T (x_3 - t)) o x_2) o (1 - x_2); the other readings do not fit
    out = _grade(spec32, {"db1": r"W_2^T(x_3-t) \circ x_2 \circ (1-x_2)"})
    assert out.details["targets"]["db1"]["status"] == "correct"
    # only "matrix products first" fits here; the reading taken is named
    out = _grade(spec32, {"db1": r"\sigma'(y_1) \circ W_2^T (x_3 - t)"})
    assert out.details["targets"]["db1"]["status"] == "correct"
    assert "\u03c3'(y_1) \u2218 (W_2^T (x_3 - t)) (read with this grouping" in out.message


def test_unparseable_and_unknown_symbols_go_to_manual_review(spec32: formula.Spec) -> None:
    out = _grade(spec32, {"dW1": SAMPLE_32, "db1": r"\sum_k \delta_k", "dW2": r"\delta_3 x_2^T"})
    assert out.status == Status.MANUAL
    assert out.fraction == pytest.approx(0.25)  # what was verified keeps its credit
    assert "could not be read as a formula" in out.details["targets"]["db1"]["message"]
    assert "uses delta_3, which the grader does not know" in out.details["targets"]["dW2"]["message"]
    assert out.views and "\\sum_k" in out.views[0].text


def test_a_string_for_several_targets_is_left_for_review(spec32: formula.Spec) -> None:
    out = _grade(spec32, "dL/dW1 is the outer product of the hidden error and x1")
    assert out.status == Status.MANUAL and out.fraction == 0
    assert out.views[0].text.startswith("dL/dW1 is")


def test_missing_answer(spec32: formula.Spec) -> None:
    out = _grade(spec32, Missing(""))
    assert out.status == Status.MISSING


def test_jacobians_of_a_sigmoid_layer(spec31: formula.Spec) -> None:
    out = _grade(spec31, {
        "dx": r"diag(x_{l+1} * (1 - x_{l+1})) W_l",
        "dW": r"\sigma'(W_l x_l + b_l) x_l^T",  # the nonzero entries J[i, i, k]
        "db": r"x_{l+1} \circ (1 - x_{l+1})",  # the diagonal of the Jacobian
    })
    assert out.status == Status.PASS, out.message
    assert "nonzero entries J[i, i, k]" in out.details["targets"]["dW"]["message"]
    assert "diagonal" in out.details["targets"]["db"]["message"]


def test_the_sample_3_1_answers(spec31: formula.Spec) -> None:
    out = _grade(spec31, {
        "dx": r"W_l^T x_{l+1} \circ (1 - x_{l+1})",
        "dW": r"x_{l+1} \circ (1 - x_{l+1}) x_l^T",
        "db": r"x_{l+1} \circ (1 - x_{l+1})",
    })
    targets = out.details["targets"]
    assert targets["dx"]["status"] == "wrong"
    assert "has shape (n_in x 1); dx_{l+1}/dx_l has shape (n_out x n_in)" in targets["dx"]["message"]
    assert targets["dW"]["status"] == targets["db"]["status"] == "correct"
    assert out.status == Status.PARTIAL and out.fraction == pytest.approx(2 / 3)


def test_denominator_layout_jacobian_is_a_transpose(spec31: formula.Spec) -> None:
    out = _grade(spec31, {"dx": r"W_l^T \operatorname{diag}(x_{l+1} \circ (1 - x_{l+1}))"})
    assert "equals the transpose of dx_{l+1}/dx_l" in out.details["targets"]["dx"]["message"]


def test_transpose_credit_is_configurable(spec32: formula.Spec) -> None:
    lenient = spec32.model_copy(update={"transpose_credit": 0.5})
    out = _grade(lenient, {"dW2": "x_2 (x_3 - t)^T"})
    assert out.fraction == pytest.approx(0.5 / 4)


def test_deterministic(spec32: formula.Spec) -> None:
    a = _grade(spec32, {"dW1": SAMPLE_32, "db2": "t - x_3"})
    b = _grade(spec32, {"dW1": SAMPLE_32, "db2": "t - x_3"})
    assert a == b


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"define": {"x_2": r"\sigma(W_1 x_2)"}}, "define.x_2"),
        ({"define": {"y": "W_1 t"}}, "does not fit"),
        ({"targets": {"dq": {"of": "L", "wrt": "q"}}}, "neither an input nor defined"),
        ({"cases": [{"n_in": 2}]}, "gives no size for"),
        ({"inputs": {"W_1": ["n_hidden"]}}, "2-D shape"),
    ],
)
def test_instructor_mistakes_are_refused_when_the_rubric_loads(spec32: formula.Spec, change: dict, fragment: str) -> None:
    data = spec32.model_dump()
    for key, value in change.items():
        if key == "define":
            data["define"] = {**data["define"], **value}
        else:
            data[key] = value
    with pytest.raises(ValidationError, match=fragment.replace("(", r"\(")):
        formula.Spec.model_validate(data)
