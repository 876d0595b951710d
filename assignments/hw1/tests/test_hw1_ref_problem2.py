"""Problem 2: the evaluator and the keys, against exact rational arithmetic and truth
tables written out here (nothing shared with reference.hw1.problem2)."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from grader.packs import Pack

_PACK = Pack.at(__file__)
p2 = _PACK.module("reference.problem2")


SETTINGS = settings(max_examples=60, deadline=None)


def rows(n: int) -> list[tuple[int, ...]]:
    return list(itertools.product((-1, 1), repeat=n))


def exact_s(w, x) -> Fraction:
    return Fraction(w[0]) + sum((Fraction(wi) * xi for wi, xi in zip(w[1:], x)), Fraction(0))


def exact_unit(w, x) -> int:
    return 1 if exact_s(w, x) >= 0 else -1


def exact_table(w, n: int) -> list[int]:
    return [exact_unit(w, x) for x in rows(n)]


def exact_madaline_table(hidden, output) -> list[int]:
    return [exact_unit(output, [exact_unit(h, x) for h in hidden]) for x in rows(len(hidden[0]) - 1)]


def pm(flag: bool) -> int:
    return 1 if flag else -1


TARGETS2 = {
    "AND": [pm(a == 1 and b == 1) for a, b in rows(2)],
    "OR": [pm(a == 1 or b == 1) for a, b in rows(2)],
    "NAND": [pm(not (a == 1 and b == 1)) for a, b in rows(2)],
    "NOR": [pm(a == -1 and b == -1) for a, b in rows(2)],
    "XOR": [pm(a != b) for a, b in rows(2)],
    "XNOR": [pm(a == b) for a, b in rows(2)],
}
MAJORITY3 = [pm(a + b + c > 0) for a, b, c in rows(3)]

finite = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)
weight = st.one_of(finite, st.integers(-5, 5), st.sampled_from([0.5, -0.5, 1.5, -1.5, 0.0, -0.0]))


def test_inputs_are_lexicographic_with_minus_one_first() -> None:
    assert p2.inputs(2) == [(-1, -1), (-1, 1), (1, -1), (1, 1)]
    for n in range(5):
        assert p2.inputs(n) == rows(n)


def test_named_tables_match_independent_ones() -> None:
    assert p2.FUNCTIONS2 == TARGETS2
    assert list(p2.FUNCTIONS2) == ["AND", "OR", "NAND", "NOR", "XOR", "XNOR"]
    for name, table in TARGETS2.items():
        assert getattr(p2, name) == table
    assert p2.MAJORITY3 == MAJORITY3


def test_sign_convention() -> None:
    assert p2.sign(0) == 1 and p2.sign(0.0) == 1 and p2.sign(-0.0) == 1
    assert p2.sign(-5e-324) == -1 and p2.sign(5e-324) == 1
    with pytest.raises(ValueError, match="NaN"):
        p2.sign(math.nan)


def test_unit_rejects_a_wrong_number_of_weights_and_non_finite_ones() -> None:
    with pytest.raises(ValueError, match="needs 3 weights"):
        p2.unit([1, 1], (1, -1))
    with pytest.raises(ValueError, match="finite"):
        p2.unit([math.inf, 1, 1], (1, -1))


@SETTINGS
@given(w=st.integers(1, 3).flatmap(lambda n: st.lists(weight, min_size=n + 1, max_size=n + 1)))
@example(w=[1, -1, 0])  # s == 0 exactly at x1 = 1: sign(0) = +1
@example(w=[0.3, -0.1, -0.2])  # s at (1, 1) is -2.8e-17 exactly, not 0
@example(w=[1e300, 1e300, -1e300, -1e300])
def test_evaluator_agrees_with_exact_truth_table(w: list[float]) -> None:
    n = len(w) - 1
    assert p2.truth_table(lambda x: p2.unit(w, x), n) == exact_table(w, n)


@SETTINGS
@given(
    hidden=st.lists(st.lists(weight, min_size=3, max_size=3), min_size=1, max_size=3),
    data=st.data(),
)
def test_madaline_agrees_with_exact_evaluation(hidden, data: st.DataObject) -> None:
    output = data.draw(st.lists(weight, min_size=len(hidden) + 1, max_size=len(hidden) + 1))
    got = [p2.madaline(hidden, output, x) for x in p2.inputs(2)]
    assert got == exact_madaline_table(hidden, output)


def test_q2_1_weights_compute_and() -> None:
    assert exact_table(p2.Q2_1_WEIGHTS, 2) == TARGETS2["AND"]
    assert p2.truth_table(lambda x: p2.unit(p2.Q2_1_WEIGHTS, x), 2) == TARGETS2["AND"]
    named = [name for name, table in TARGETS2.items() if table == exact_table(p2.Q2_1_WEIGHTS, 2)]
    assert named == [p2.Q2_1_FUNCTION] == ["AND"]


def test_one_answer_keys_realize_their_functions() -> None:
    assert exact_table(p2.Q2_2_W, 2) == TARGETS2["NOR"]
    assert exact_table(p2.Q2_3_W, 3) == MAJORITY3
    assert exact_madaline_table(p2.Q2_4_HIDDEN, p2.Q2_4_W) == TARGETS2["XOR"]


def test_q2_4_hidden_units_are_as_described() -> None:
    z1 = [exact_unit(p2.Q2_4_HIDDEN[0], x) for x in rows(2)]
    z2 = [exact_unit(p2.Q2_4_HIDDEN[1], x) for x in rows(2)]
    assert z1 == [pm(a == 1 and b == -1) for a, b in rows(2)]  # x1 AND NOT x2
    assert z2 == [pm(a == -1 and b == 1) for a, b in rows(2)]  # NOT x1 AND x2
    assert [p2.madaline(p2.Q2_4_HIDDEN, p2.Q2_4_W, x) for x in p2.inputs(2)] == TARGETS2["XOR"]


# --- families of valid answers: any of them is realized, per both evaluators ---------------

KEYS = {  # (key weights, arity, target, is the output unit of the Q2.4 Madaline)
    "Q2_1": (p2.Q2_1_WEIGHTS, 2, TARGETS2["AND"], False),
    "Q2_2": (p2.Q2_2_W, 2, TARGETS2["NOR"], False),
    "Q2_3": (p2.Q2_3_W, 3, MAJORITY3, False),
    "Q2_4": (p2.Q2_4_W, 2, TARGETS2["XOR"], True),
}


def realized(w, n: int, madaline: bool) -> tuple[list[int], list[int]]:
    if madaline:
        ref = [p2.madaline(p2.Q2_4_HIDDEN, w, x) for x in p2.inputs(2)]
        return ref, exact_madaline_table(p2.Q2_4_HIDDEN, w)
    return p2.truth_table(lambda x: p2.unit(w, x), n), exact_table(w, n)


@SETTINGS
@given(key=st.sampled_from(sorted(KEYS)), scale=st.floats(1e-3, 1e3))
def test_positive_scalings_of_a_valid_answer_are_valid(key: str, scale: float) -> None:
    w, n, target, mad = KEYS[key]
    ref, exact = realized([scale * v for v in w], n, mad)
    assert ref == exact == target


@SETTINGS
@given(key=st.sampled_from(sorted(KEYS)), data=st.data())
def test_small_perturbations_of_a_valid_answer_are_valid(key: str, data: st.DataObject) -> None:
    w, n, target, mad = KEYS[key]
    # Unit inputs are +-1, so moving each of the len(w) weights by less than
    # margin / len(w) moves every s by less than the margin min |s|: no output flips.
    unit_inputs = [[exact_unit(h, x) for h in p2.Q2_4_HIDDEN] for x in rows(2)] if mad else rows(n)
    margin = min(abs(exact_s(w, z)) for z in unit_inputs)
    assert margin > 0
    bound = float(margin) / len(w) * 0.999
    deltas = data.draw(st.lists(st.floats(-bound, bound), min_size=len(w), max_size=len(w)))
    ref, exact = realized([v + d for v, d in zip(w, deltas)], n, mad)
    assert ref == exact == target


# Bias intervals, derived by hand from s over the inputs and sign(0) = +1:
#   [w0, 1, 1]:    s in {w0-2, w0, w0+2}         AND iff -2 <= w0 < 0,  OR iff 0 <= w0 < 2
#   [w0, -1, -1]:  s in {w0+2, w0, w0-2}         NOR iff -2 <= w0 < 0
#   [w0, 1, 1, 1]: s in {w0-3, w0-1, w0+1, w0+3} MAJ3 iff -1 <= w0 < 1
#   Q2.4 output [w0, 1, 1] on z in {(-1,-1), (1,-1), (-1,1)}: XOR iff 0 <= w0 < 2
INTERVALS = {
    "AND": ([1, 1], 2, TARGETS2["AND"], False, -2.0, 0.0),
    "OR": ([1, 1], 2, TARGETS2["OR"], False, 0.0, 2.0),
    "NOR": ([-1, -1], 2, TARGETS2["NOR"], False, -2.0, 0.0),
    "MAJ3": ([1, 1, 1], 3, MAJORITY3, False, -1.0, 1.0),
    "XOR": ([1, 1], 2, TARGETS2["XOR"], True, 0.0, 2.0),
}


@SETTINGS
@given(case=st.sampled_from(sorted(INTERVALS)), data=st.data())
def test_any_bias_in_the_valid_interval_is_valid(case: str, data: st.DataObject) -> None:
    rest, n, target, mad, low, high = INTERVALS[case]
    w0 = data.draw(st.one_of(st.just(low), st.floats(low, high, exclude_max=True)))
    ref, exact = realized([w0, *rest], n, mad)
    assert ref == exact == target


@pytest.mark.parametrize("case", sorted(INTERVALS))
def test_a_bias_just_outside_the_interval_is_not_valid(case: str) -> None:
    rest, n, target, mad, low, high = INTERVALS[case]
    for w0 in (math.nextafter(low, -math.inf), high):
        ref, exact = realized([w0, *rest], n, mad)
        assert ref == exact != target, (case, w0)
