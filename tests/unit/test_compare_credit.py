"""Credit from numeric comparisons: only what the student computed counts, and what is
missing counts as wrong (issue 11, items 1 and 2). Tested on `compare_values` directly and
on the `allclose` check with a hand-built CheckContext, so no sandbox is needed."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import allclose
from grader.checks.base import CheckContext, ProbeOutput, Tolerance
from grader.numeric.compare import compare_values
from grader.results import Status

TOL = Tolerance(rtol=1e-6, atol=1e-9)


def _grads(names: list[str], seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal((3, 2)) for name in names}


PARAMS = [f"layer{i}.{kind}" for i in range(5) for kind in ("weight", "bias")]


def _ctx(actual: object, expected: object) -> CheckContext:
    return CheckContext(answer=None, answer_line=None, answers_file=None, answers_error=None, expected=expected,
                        actual=ProbeOutput(status="ok", value=actual), tolerance=TOL)


def _spec(**kw: object) -> allclose.Spec:
    base = dict(id="gradients", kind="allclose", points=8, code="lab3.py:layer_gradients", probe="lab3_gradients",
                partial=True, what="layer_gradients")
    base.update(kw)
    return allclose.Spec(**base)


# ----------------------------------------------------------------- item 1: missing parts


def test_missing_keys_are_failed_leaves():
    exp = _grads(PARAMS)
    got = {PARAMS[0]: exp[PARAMS[0]].copy()}  # 1 of the 10 gradients
    cmp = compare_values(got, exp, TOL)
    assert not cmp.ok
    assert (cmp.leaves_ok, cmp.leaves) == (1, 10)
    assert any("missing keys" in m for m in cmp.messages())


def test_one_gradient_of_ten_earns_a_tenth_through_allclose():
    exp = _grads(PARAMS)
    got = {PARAMS[0]: exp[PARAMS[0]].copy()}
    res = allclose.grade(_spec(), _ctx(got, exp))
    assert res.status == Status.PARTIAL
    assert res.fraction == pytest.approx(0.1)
    assert "missing keys" in res.message and PARAMS[1] in res.message


def test_missing_key_counts_every_leaf_under_it():
    exp = {"a": np.ones(2), "b": {"c": np.ones(2), "d": np.ones(3), "e": [{"f": np.ones(1)}, {"f": np.ones(1)}]}}
    cmp = compare_values({"a": np.ones(2)}, exp, TOL)
    assert (cmp.leaves_ok, cmp.leaves) == (1, 5)


def test_not_a_mapping_fails_every_leaf_under_it():
    exp = {"a": np.ones(2), "b": {"c": np.ones(2), "d": np.ones(3)}}
    cmp = compare_values({"a": np.ones(2), "b": [1.0, 2.0]}, exp, TOL)
    assert (cmp.leaves_ok, cmp.leaves) == (1, 3)
    cmp = compare_values("nothing", exp, TOL)
    assert (cmp.leaves_ok, cmp.leaves) == (0, 3)


def test_extra_keys_cannot_pass():
    exp = _grads(PARAMS[:2])
    got = {**{k: v.copy() for k, v in exp.items()}, "extra.weight": np.zeros((3, 2))}
    cmp = compare_values(got, exp, TOL)
    assert not cmp.ok
    assert any("unexpected keys" in m and "extra.weight" in m for m in cmp.messages())
    assert (cmp.leaves_ok, cmp.leaves) == (2, 3)  # an extra key is one more failed part
    res = allclose.grade(_spec(), _ctx(got, exp))
    assert res.status == Status.PARTIAL and res.fraction == pytest.approx(2 / 3)
    res = allclose.grade(_spec(partial=False), _ctx(got, exp))
    assert res.status == Status.FAIL and res.fraction == 0.0


def test_fewer_list_items_fail_the_missing_ones():
    exp = {"cases": [{"dx": np.ones(2), "db": np.ones(2)} for _ in range(4)]}
    got = {"cases": [{"dx": np.ones(2), "db": np.ones(2)}]}  # 1 case of 4
    cmp = compare_values(got, exp, TOL)
    assert not cmp.ok
    assert (cmp.leaves_ok, cmp.leaves) == (2, 8)
    assert any("expected 4 items" in m for m in cmp.messages())


def test_more_list_items_cannot_pass():
    exp = {"cases": [{"dx": np.ones(2)} for _ in range(2)]}
    got = {"cases": [{"dx": np.ones(2)} for _ in range(3)]}
    cmp = compare_values(got, exp, TOL)
    assert not cmp.ok and (cmp.leaves_ok, cmp.leaves) == (2, 3)
    assert any("expected 2 items" in m for m in cmp.messages())


def test_none_for_a_part_is_a_failed_leaf():
    exp = _grads(PARAMS[:4])
    got = {k: (v.copy() if i else None) for i, (k, v) in enumerate(exp.items())}
    cmp = compare_values(got, exp, TOL)
    assert (cmp.leaves_ok, cmp.leaves) == (3, 4)


# ----------------------------------------------------------------- item 2: echoed labels


def _problem3_cases(zero: bool) -> dict:
    rng = np.random.default_rng(31)
    cases = []
    for n_in, n_out in ((3, 2), (1, 5), (4, 4)):
        case = {"n_in": n_in, "n_out": n_out}
        for key, shape in (("dx", (n_out, n_in)), ("dW", (n_out, n_out, n_in)), ("db", (n_out, n_out))):
            case[key] = np.zeros(shape) if zero else rng.standard_normal(shape)
        cases.append(case)
    return {"cases": cases}


def test_echoed_integers_earn_no_credit():
    exp, got = _problem3_cases(zero=False), _problem3_cases(zero=True)
    cmp = compare_values(got, exp, TOL)
    assert cmp.leaves == 9 and cmp.leaves_ok == 0
    res = allclose.grade(_spec(what="sigmoid_layer_jacobians"), _ctx(got, exp))
    assert res.status == Status.FAIL and res.fraction == 0.0
    assert res.details == {"compared": 9, "matched": 0}


def test_partial_counts_only_computed_values():
    exp = _problem3_cases(zero=False)
    got = _problem3_cases(zero=True)
    for case_got, case_exp in zip(got["cases"], exp["cases"]):
        case_got["db"] = case_exp["db"].copy()  # one of the three arrays right in every case
    res = allclose.grade(_spec(), _ctx(got, exp))
    assert res.status == Status.PARTIAL and res.fraction == pytest.approx(1 / 3)


def test_an_echoed_label_that_differs_cannot_pass():
    exp = _problem3_cases(zero=False)
    got = {"cases": [dict(c) for c in exp["cases"]]}
    got["cases"][0]["n_in"] = 7
    cmp = compare_values(got, exp, TOL)
    assert not cmp.ok and (cmp.leaves_ok, cmp.leaves) == (9, 10)  # a wrong label costs, a right one earns nothing
    assert any("n_in" in m and "7" in m for m in cmp.messages())
    res = allclose.grade(_spec(partial=False), _ctx(got, exp))
    assert res.status == Status.FAIL


def test_all_labels_and_matching_arrays_pass():
    exp = _problem3_cases(zero=False)
    res = allclose.grade(_spec(), _ctx({"cases": [dict(c) for c in exp["cases"]]}, exp))
    assert res.status == Status.PASS and res.fraction == 1.0 and "9 arrays compared" in res.message


def test_a_float_scalar_is_computed_and_counts():
    exp = {"loss": np.float64(0.5), "w": np.ones(3), "name": "fc1"}
    cmp = compare_values({"loss": 0.5, "w": np.zeros(3), "name": "fc1"}, exp, TOL)
    assert (cmp.leaves_ok, cmp.leaves) == (1, 2)


def test_an_empty_label_matches_an_empty_array():
    exp = {"names": [], "w": np.ones(2)}
    assert compare_values({"names": np.zeros((0,)), "w": np.ones(2)}, exp, TOL).ok
    cmp = compare_values({"names": [1.0], "w": np.ones(2)}, exp, TOL)
    assert not cmp.ok and (cmp.leaves_ok, cmp.leaves) == (1, 2)
