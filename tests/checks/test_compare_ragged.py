"""A probe output holding a list of arrays of different shapes (the parameters of a model
after each step: a (3, 4) weight and a (5,) bias) is plain data; comparing it raised
"setting an array element with a sequence" inside the check (an internal error that cost
every student the check). Each item is compared on its own, with credit per array."""

from __future__ import annotations

import numpy as np

from grader.checks.base import Tolerance
from grader.numeric.compare import compare_values, count_parts

TOL = Tolerance(rtol=1e-6, atol=1e-9)


def _steps(shift: float = 0.0) -> list[list[np.ndarray]]:
    return [[np.full((3, 4), float(t)) + shift, np.full(5, float(t))] for t in range(3)]


def test_equal_ragged_lists_match() -> None:
    cmp = compare_values(_steps(), _steps(), TOL)
    assert cmp.ok and cmp.leaves == 6 and count_parts(_steps()) == 6


def test_a_wrong_array_in_a_ragged_list_costs_that_array() -> None:
    got = _steps()
    got[1][0] = got[1][0] + 1.0
    cmp = compare_values(got, _steps(), TOL, name="sgd")
    assert not cmp.ok and cmp.leaves == 6 and cmp.leaves_ok == 5
    assert any("[1][0]" in m for m in cmp.messages(name="sgd"))


def test_a_student_list_of_other_length_or_shape_is_a_structural_failure() -> None:
    cmp = compare_values(_steps()[:2], _steps(), TOL, name="sgd")
    assert not cmp.ok and cmp.leaves_ok <= 4
    bad = _steps()
    bad[0][1] = np.zeros(4)
    cmp = compare_values(bad, _steps(), TOL, name="sgd")
    assert not cmp.ok and any("shape" in m for m in cmp.messages(name="sgd"))


def test_stackable_lists_are_still_one_array() -> None:
    same = [np.zeros(3), np.ones(3)]
    assert count_parts(same) == 1
    assert compare_values([np.zeros(3), np.ones(3)], same, TOL).leaves == 1
