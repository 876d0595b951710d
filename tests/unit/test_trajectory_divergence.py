"""`trajectory` where the reference diverges: a curve passes when it diverges too and matches
the reference where the reference is still a number. Before, any curve that was non-finite
somewhere passed: a curve of NaN (a submission knowing nothing), or a diverging curve copied
from the student kit's other inputs, earned the diverging rates' points."""

from __future__ import annotations

import numpy as np
import pytest

from grader.checks import trajectory
from grader.checks.base import CheckContext, ProbeOutput, Tolerance
from grader.results import Status

# the course data at r = 1: finite for 7 epochs, then inf and NaN (the reference's shape)
REFERENCE = np.array([1.4e40, 4.7e78, 1.5e117, 5.0e155, 1.6e194, 5.2e232, 1.7e271] + [np.inf] + [np.nan] * 12)


def _grade(curve: object) -> trajectory.Spec:
    spec = trajectory.Spec(id="r_1", kind="trajectory", points=0.8, code="lab1.py:lms", probe="lms",
                           select="mse", rtol=1e-6, atol=1e-12, label="MSE per epoch, r = 1")
    ctx = CheckContext(answer=None, answer_line=None, answers_file=None, answers_error=None, expected=REFERENCE,
                       actual=ProbeOutput(status="ok", value=curve), tolerance=Tolerance(1e-6, 1e-12))
    return trajectory.grade(spec, ctx)


def test_the_reference_curve_passes() -> None:
    assert _grade(REFERENCE.copy()).status == Status.PASS


def test_rounding_of_another_implementation_passes() -> None:
    other = REFERENCE * (1 + 1e-12)  # an independent LMS matched the reference to 1.4e-13 here
    assert _grade(other).status == Status.PASS


def test_a_curve_that_blows_up_another_way_fails() -> None:
    res = _grade(REFERENCE * 3.0)  # a curve from other inputs (the kit's), or another algorithm
    assert res.status == Status.FAIL and "from epoch 1:" in res.message


@pytest.mark.parametrize("first", [np.nan, np.inf, -np.inf])
def test_a_curve_that_never_was_a_number_fails(first: float) -> None:
    res = _grade(np.full(20, first))
    assert res.status == Status.FAIL and res.fraction == 0
    assert "from epoch 1:" in res.message and "1.4e+40" in res.message


def test_a_curve_that_stays_small_fails() -> None:
    res = _grade(np.linspace(1.0, 0.5, 20))
    assert res.status == Status.FAIL and res.fraction == 0 and "from epoch 1: got 1," in res.message


def test_a_curve_right_until_the_reference_overflows_must_still_diverge() -> None:
    tame = REFERENCE.copy()
    tame[7:] = 1.0  # matches while the reference is finite, then stays small
    res = _grade(tame)
    assert res.status == Status.FAIL and "should blow up" in res.message
