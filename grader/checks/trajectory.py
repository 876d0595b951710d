"""`trajectory`: a per-epoch curve (e.g. LMS MSE) against the reference's.

Where the reference converges, the curve is compared value by value. Where it diverges
(non-finite, or beyond `divergence_factor` times its first value by the last epoch), the
check is that the student's curve diverges too, and matches the reference at every epoch
where the reference is still finite (a curve of NaN from the start never was a number; a
curve that blows up some other way is another algorithm). NaN matches only NaN."""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome, precheck
from grader.compare import NotNumeric, compare_arrays, fmt, size_limit, to_array
from grader.results import CurvesView, MismatchView, Series, Status

# A reference curve that is not finite is a divergence this kind grades, not a failing
# reference (grader.validate): a kind module declares it so.
NONFINITE_OK = True


class Spec(CheckSpecBase):
    kind: Literal["trajectory"]
    divergence_factor: float = Field(1e6, description="a curve that grows by this factor (or is not finite) diverges")
    label: str = Field("curve", description="how messages and the chart name the curve, e.g. MSE per epoch, r = 0.5")
    log_y: bool = Field(True, description="draw the chart with a logarithmic y axis")


def diverges(curve: np.ndarray, factor: float) -> bool:
    if curve.size == 0:
        return False
    if not np.all(np.isfinite(curve)):
        return True
    first = abs(float(curve[0]))
    return abs(float(curve[-1])) > factor * max(first, 1e-300)


def _series(name: str, a: np.ndarray) -> Series:
    return Series(name=name, values=[float(v) if math.isfinite(v) else None for v in a.reshape(-1).tolist()])


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    exp = np.asarray(ctx.expected, dtype=np.float64).reshape(-1)
    try:
        got = to_array(ctx.actual.value, limit=size_limit(exp.size)).reshape(-1)
    except NotNumeric as err:
        return outcome(Status.FAIL, f"{spec.label}: expected {exp.size} numbers (one per epoch), got {err}")
    if got.size != exp.size:  # refused before any chart is drawn: the chart's size is the reference's
        return outcome(Status.FAIL, f"{spec.label}: {got.size} values, expected {exp.size} (one per epoch)")
    view = CurvesView(title=spec.label, x_label="epoch", y_label="value", log_y=spec.log_y,
                      series=[_series("yours", got), _series("reference", exp)])
    if diverges(exp, spec.divergence_factor):
        # the same algorithm blows up the same way: where the reference is still a number the
        # curve must match it (rounding stays ~1e-13 relative on this linear recursion), so
        # neither a curve of NaN nor a copied curve from other inputs passes as "diverging"
        finite = np.isfinite(exp)
        if finite.any():
            group = compare_arrays(got[finite], exp[finite], ctx.tolerance, path=spec.label)
            if group is not None:
                with np.errstate(all="ignore"):
                    close = np.abs(got[finite] - exp[finite]) <= ctx.tolerance.atol + ctx.tolerance.rtol * np.abs(exp[finite])
                i = int(np.flatnonzero(finite)[int(np.argmin(close))])  # the first epoch that differs
                return outcome(Status.FAIL, f"{spec.label}: the reference diverges, but before it does, {group.mismatched} "
                               f"of {group.total} epochs differ, from epoch {i + 1}: got {fmt(float(got[i]))}, expected "
                               f"{fmt(float(exp[i]))} (allowed: rtol={group.rtol:g}, atol={group.atol:g})",
                               views=[view, MismatchView(groups=[group])])
        if diverges(got, spec.divergence_factor):
            return outcome(Status.PASS, f"{spec.label}: diverges, as the reference does", views=[view])
        return outcome(Status.FAIL, f"{spec.label}: the reference diverges (last value {fmt(float(exp[-1]))}) but yours "
                       f"stays at {fmt(float(got[-1]))}; with this learning rate LMS should blow up", views=[view])
    group = compare_arrays(got, exp, ctx.tolerance, path=spec.label)
    if group is None:
        return outcome(Status.PASS, f"{spec.label}: matches the reference at every epoch", views=[view])
    i = group.max_abs_index[0] if group.max_abs_index else 0
    return outcome(Status.FAIL, f"{spec.label}: {group.mismatched} of {group.total} epochs differ; e.g. epoch {i + 1}: "
                   f"got {fmt(float(got[i]))}, expected {fmt(float(exp[i]))} (allowed: rtol={group.rtol:g}, atol={group.atol:g})",
                   views=[view, MismatchView(groups=[group])])
