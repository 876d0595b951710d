"""Every generic check kind graded directly: a spec and a hand-built context in, a verdict
out (status, credit, message naming where the answer is). No rubric file, no sandbox.

HW1's own kinds (threshold_unit, madaline_pair, conv_size, layer_table) are tested with
their assignment pack."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from kindkit import TOL, answer_ctx, code_ctx, missing

from grader.checks import REGISTRY, allclose, best_of, choice, exact, figure, form, formula, manual, matrix, number, trajectory
from grader.checks.base import Tolerance, get_path, precheck
from grader.results import CurvesView, MatrixView, MismatchView, Status, TextView


def _spec(module, **fields):  # type: ignore[no-untyped-def]
    kind = next(k for k, m in REGISTRY.items() if m is module)
    return module.Spec(kind=kind, id="c", points=2, **fields)


# --------------------------------------------------------------------------- shared verdicts


def test_precheck_names_a_missing_answer_and_an_unreadable_file() -> None:
    spec = _spec(number, answer="q1.w", expected=1.0)
    out = precheck(spec, answer_ctx(missing("(no 'w')")))
    assert out is not None and out.status == Status.MISSING and "q1.w" in out.message and out.fraction == 0
    out = precheck(spec, answer_ctx(1.0, error="line 3: bad indentation"))
    assert out is not None and out.status == Status.ERROR and "line 3" in out.message


@pytest.mark.parametrize(("probe", "status"), [("timeout", Status.ERROR), ("missing", Status.MISSING),
                                                ("rejected", Status.FAIL), ("crashed", Status.ERROR)])
def test_precheck_maps_probe_failures_and_names_the_function(probe: str, status: Status) -> None:
    spec = _spec(allclose, code="lab1.py:closed_form", probe="p")
    out = precheck(spec, code_ctx(None, 1.0, status=probe, message="took too long"))
    assert out is not None and out.status == status and out.fraction == 0
    if status != Status.MISSING:
        assert out.message.startswith("lab1.py:closed_form")


def test_get_path_follows_dotted_keys_with_dots_in_names() -> None:
    value = {"grads": {"fc3.bias": [1, 2]}, "w": [[1, 2], [3, 4]]}
    assert get_path(value, "grads.fc3.bias") == [1, 2]
    assert get_path(value, "w.1.0") == 3
    assert "no 'x'" in get_path(value, "grads.x").reason


# --------------------------------------------------------------------------- choice


@pytest.mark.parametrize(("given", "status"), [(True, Status.PASS), ("T", Status.PASS), ("yes.", Status.PASS),
                                               ("False", Status.FAIL), ("maybe", Status.FAIL), (3, Status.FAIL)])
def test_choice_boolean_forms(given: object, status: Status) -> None:
    out = choice.grade(_spec(choice, answer="q1", expected=True), answer_ctx(given, True))
    assert out.status == status and out.fraction == (1.0 if status == Status.PASS else 0.0)


def test_choice_names_are_case_and_space_insensitive_and_feedback_is_optional() -> None:
    spec = _spec(choice, answer="q1", expected=["XOR", "exclusive or"])
    assert choice.grade(spec, answer_ctx(" exclusive-OR ", ["XOR", "exclusive or"])).status == Status.PASS
    wrong = choice.grade(spec, answer_ctx("AND", ["XOR", "exclusive or"]))
    assert wrong.status == Status.FAIL and "'XOR'" in wrong.message
    quiet = _spec(choice, answer="q1", expected="XOR", feedback_expected=False)
    assert "XOR" not in choice.grade(quiet, answer_ctx("AND", "XOR")).message


# --------------------------------------------------------------------------- manual


def test_manual_scores_nothing_and_shows_text_with_the_key() -> None:
    out = manual.grade(_spec(manual, answer="q1"), answer_ctx({"a": "because", "b": 2}, "the key says"))
    assert out.status == Status.MANUAL and out.fraction == 0
    view = out.views[0]
    assert isinstance(view, TextView) and view.text == "a: because\nb: 2" and view.key == "the key says"
    assert manual.grade(_spec(manual, answer="q1"), answer_ctx("  ")).status == Status.MISSING


def test_manual_bounds_the_text_a_ta_sees() -> None:
    out = manual.grade(_spec(manual, answer="q1"), answer_ctx("x" * (manual.MAX_TEXT + 500)))
    text = out.views[0].text  # type: ignore[union-attr]
    assert len(text) < manual.MAX_TEXT + 100 and "500 more characters" in text


# --------------------------------------------------------------------------- number


def test_number_within_tolerance_and_labels() -> None:
    tol = Tolerance(rtol=1e-3, atol=0)
    spec = _spec(number, answer="lab1.w", expected=[1.0, -2.0], labels=["w1", "b"])
    assert number.grade(spec, answer_ctx({"w1": 1.0004, "b": -2.0}, [1.0, -2.0], tol=tol)).status == Status.PASS
    out = number.grade(spec, answer_ctx([1.0, -2.5], [1.0, -2.0], tol=tol))
    assert out.status == Status.FAIL and out.fraction == 0 and "b: got -2.5, expected -2" in out.message


def test_number_partial_credit_counts_right_elements_only() -> None:
    spec = _spec(number, answer="q", expected=[1, 2, 3, 4], partial=True)
    out = number.grade(spec, answer_ctx([1, 2, 0, 0], [1, 2, 3, 4]))
    assert out.status == Status.PARTIAL and out.fraction == pytest.approx(0.5)
    assert isinstance(out.views[0], MismatchView)


@pytest.mark.parametrize("given", ["seven", [1, 2, 3], {"a": 1}, None])
def test_number_wrong_form_names_the_answer(given: object) -> None:
    out = number.grade(_spec(number, answer="lab1.mse", expected=[1.0, 2.0]), answer_ctx(given, [1.0, 2.0]))
    assert out.status == Status.FAIL and out.message.startswith("answers.yaml:7 lab1.mse: expected")


# --------------------------------------------------------------------------- matrix


def test_matrix_forms_and_partial_cells() -> None:
    exp = [[0, 1], [2, 3]]
    spec = _spec(matrix, answer="p4", expected=exp)
    assert matrix.grade(spec, answer_ctx("0 1; 2 3", exp)).status == Status.PASS
    assert matrix.grade(spec, answer_ctx(["0, 1", "2 3"], exp)).status == Status.PASS
    out = matrix.grade(spec, answer_ctx([[0, 1], [2, "x"]], exp))
    assert out.status == Status.PARTIAL and out.fraction == pytest.approx(0.75)
    view = out.views[0]
    assert isinstance(view, MatrixView) and view.wrong == [(1, 1)] and "(2,2): got not a number" in out.message
    bad = matrix.grade(spec, answer_ctx([[0, 1, 2]], exp))
    assert bad.status == Status.FAIL and "expected 2 rows of 2 numbers, got 1 rows of 3" in bad.message


# --------------------------------------------------------------------------- allclose


def test_allclose_structure_then_values_with_partial_credit() -> None:
    exp = {"w": np.arange(3.0), "b": np.ones(2)}
    spec = _spec(allclose, code="lab1.py:fit", probe="p", partial=True)
    assert allclose.grade(spec, code_ctx({"w": np.arange(3.0), "b": np.ones(2)}, exp)).status == Status.PASS
    out = allclose.grade(spec, code_ctx({"w": np.arange(3.0), "b": np.zeros(2)}, exp))
    assert out.status == Status.PARTIAL and out.fraction == pytest.approx(0.5) and out.details == {"compared": 2, "matched": 1}
    gone = allclose.grade(spec, code_ctx({"w": np.arange(3.0)}, exp))
    assert gone.fraction == pytest.approx(0.5) and "b" in gone.message
    whole = _spec(allclose, code="lab1.py:fit", probe="p")
    assert allclose.grade(whole, code_ctx({"w": np.arange(3.0), "b": np.zeros(2)}, exp)).fraction == 0


def test_allclose_echoed_labels_earn_nothing() -> None:
    exp = {"n_in": 3, "value": np.ones(3)}
    out = allclose.grade(_spec(allclose, code="p3.py:f", probe="p", partial=True), code_ctx({"n_in": 3, "value": np.zeros(3)}, exp))
    assert out.status == Status.FAIL and out.fraction == 0


# --------------------------------------------------------------------------- exact


def test_exact_normalizes_integral_floats_and_formats_messages() -> None:
    spec = _spec(exact, code="lab2.py:Net", probe="p", what="the output shape", message_fail="{what}: {got} not {expected}")
    assert exact.grade(spec, code_ctx([4.0, 10], [4, 10])).status == Status.PASS
    out = exact.grade(spec, code_ctx([4, 9], [4, 10]))
    assert out.status == Status.FAIL and out.message == "the output shape: [4, 9] not [4, 10]"
    assert exact.grade(spec, code_ctx("4", 4)).status == Status.FAIL


# --------------------------------------------------------------------------- trajectory


def test_trajectory_converging_and_diverging_curves() -> None:
    spec = _spec(trajectory, code="lab1.py:lms", probe="p", label="MSE")
    good = np.array([4.0, 2.0, 1.0])
    assert trajectory.grade(spec, code_ctx(good.tolist(), good)).status == Status.PASS
    off = trajectory.grade(spec, code_ctx([4.0, 2.0, 1.5], good))
    assert off.status == Status.FAIL and isinstance(off.views[0], CurvesView)
    blow = np.array([1.0, 1e3, 1e9, np.inf])
    assert trajectory.grade(spec, code_ctx([1.0, 1e3, 1e9, float("nan")], blow)).status == Status.PASS
    stays = trajectory.grade(spec, code_ctx([1.0, 1e3, 1e3, 1e3], blow))
    assert stays.status == Status.FAIL and "diverges" in stays.message
    short = trajectory.grade(spec, code_ctx([1.0], good))
    assert short.status == Status.FAIL and "1 values, expected 3" in short.message


# --------------------------------------------------------------------------- figure


def _png(w: int, h: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))


def test_figure_readable_goes_to_review_unreadable_scores_zero() -> None:
    spec = _spec(figure, prefix="lab1c")
    ok = figure.grade(spec, answer_ctx(None, data={"Lab1c_mse.png": _png(3, 2), "notes.txt": b"x"}))
    assert ok.status == Status.MANUAL and ok.details["width"] == 3 and ok.details["image"].startswith("data:image/png")
    fake = figure.grade(spec, answer_ctx(None, data={"lab1c.png": b"GIF89a"}))
    assert fake.status == Status.FAIL and "not a PNG file" in fake.message
    assert figure.grade(spec, answer_ctx(None, data={"sub/lab1c.png": _png(1, 1)})).status == Status.MISSING


# --------------------------------------------------------------------------- form


def test_form_checks_shape_keys_and_finiteness_never_correctness() -> None:
    shape = {"type": "mapping", "keys": {"w": {"type": "numbers", "shape": [2]}}, "optional": {"note": {"type": "text"}}}
    spec = _spec(form, answer="q2", form=shape)
    assert form.grade(spec, answer_ctx({"w": [123.0, -4]})).status == Status.PASS
    out = form.grade(spec, answer_ctx({"w": [1, float("nan")], "extra": 1}))
    assert out.status == Status.FAIL and "extra" in out.message
    assert form.grade(spec, answer_ctx({"w": [1, 2, 3]})).status == Status.FAIL


# --------------------------------------------------------------------------- formula


def _formula_spec() -> formula.Spec:
    return _spec(formula, answer="q3", inputs={"W": ["m", "n"], "x": ["n", 1]}, define={"y": "W x"},
                 targets={"dx": {"of": "y", "wrt": "x"}}, cases=[{"m": 2, "n": 3}, {"m": 4, "n": 1}])


def test_formula_verified_on_random_cases_in_any_notation() -> None:
    spec = _formula_spec()
    tol = Tolerance(rtol=1e-7, atol=1e-7)
    right = formula.grade(spec, answer_ctx({"dx": "W"}, tol=tol))
    assert right.status == Status.PASS and "on 2 random cases" in right.message
    assert formula.grade(spec, answer_ctx(r"(W^\top)^T", tol=tol)).status == Status.PASS  # one target: a bare string
    wrong = formula.grade(spec, answer_ctx({"dx": "W^T"}, tol=tol))
    assert wrong.status == Status.FAIL and wrong.fraction == 0 and "transpose" in wrong.message


def test_formula_unreadable_answers_go_to_a_ta() -> None:
    out = formula.grade(_formula_spec(), answer_ctx({"other": "W"}))
    assert out.status == Status.MANUAL and "none of the keys dx" in out.message


def test_formula_spec_refuses_an_undefined_symbol() -> None:
    with pytest.raises(ValueError, match="z"):
        _spec(formula, answer="q3", inputs={"x": ["n", 1]}, define={"y": "z x"},
              targets={"dx": {"of": "y", "wrt": "x"}}, cases=[{"n": 2}])


# --------------------------------------------------------------------------- registry


def test_registry_maps_each_kind_to_its_module() -> None:
    for kind, module in REGISTRY.items():
        assert module.Spec.model_fields["kind"].annotation.__args__ == (kind,)
    assert REGISTRY["best_of"] is best_of and TOL.rtol > 0


def test_code_is_read_in_one_place() -> None:
    spec = _spec(allclose, code="lab1.ipynb:closed_form", probe="p")
    assert spec.code_target == ("lab1", "closed_form")
    assert _spec(choice, answer="q1", expected=True).code_target is None
    out = allclose.grade(spec, code_ctx(None, 1.0, status="error", message="ValueError: bad"))
    assert out.message == "lab1.ipynb:closed_form: ValueError: bad"
    assert allclose.grade(spec, code_ctx(2.0, 1.0)).message.startswith("closed_form")
