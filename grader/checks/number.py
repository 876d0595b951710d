"""`number`: reported numbers (a scalar or a vector) within a tolerance.

Students round: `rtol` is the relative tolerance allowed (the handout's 1e-3 for weights,
1% for an MSE). A vector may earn partial credit per element (`partial: true`)."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, Tolerance, outcome, precheck, where
from grader.compare import NotNumeric, compare_arrays, describe, fmt, size_limit, to_array
from grader.results import MismatchView, Status


class Spec(CheckSpecBase):
    kind: Literal["number"]
    expected: Any = Field(description="a number or a list of numbers, or {ref: ...}")
    labels: list[str] | None = Field(None, description="element names for messages, e.g. [w1, w2, b]")
    partial: bool = Field(False, description="credit per correct element instead of all or nothing")


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    exp = np.asarray(ctx.expected, dtype=np.float64)
    value = ctx.answer
    if isinstance(value, dict) and len(value) == exp.size and spec.labels and all(k in value for k in spec.labels):
        value = [value[k] for k in spec.labels]
    try:
        got = to_array(value, limit=size_limit(exp.size))
    except NotNumeric as err:
        want = "a number" if exp.ndim == 0 else f"a list of {exp.size} numbers" + (f" [{', '.join(spec.labels)}]" if spec.labels else "")
        return outcome(Status.FAIL, f"{where(ctx, spec.answer)}: expected {want}, got {err}")
    if got.shape != exp.shape:
        if got.size == exp.size:
            got = got.reshape(exp.shape)
        else:
            want = "a number" if exp.ndim == 0 else f"{exp.size} numbers"
            return outcome(Status.FAIL, f"{where(ctx, spec.answer)}: expected {want}, got {describe(value)}")
    tol = ctx.tolerance
    group = compare_arrays(got, exp, Tolerance(rtol=tol.rtol, atol=tol.atol), path=spec.answer or "")
    if group is None:
        return outcome(Status.PASS, f"{_show(got)} is within rtol={tol.rtol:g} of the reference")
    labels = spec.labels or [f"[{i}]" for i in range(exp.size)]
    flat_g, flat_e = got.reshape(-1), exp.reshape(-1)
    with np.errstate(all="ignore"):
        bad = [i for i in range(exp.size) if not abs(flat_g[i] - flat_e[i]) <= tol.atol + tol.rtol * abs(flat_e[i])]
    parts = ", ".join(f"{labels[i] if exp.ndim else 'value'}: got {fmt(flat_g[i])}, expected {fmt(flat_e[i])}" for i in bad)
    frac = (exp.size - len(bad)) / exp.size if spec.partial else 0.0
    status = Status.PARTIAL if frac > 0 else Status.FAIL
    return outcome(status, f"{parts} (allowed: rtol={tol.rtol:g}, atol={tol.atol:g})", fraction=frac,
                   views=[MismatchView(groups=[group])])


def _show(a: np.ndarray) -> str:
    if a.ndim == 0:
        return fmt(float(a))
    return "[" + ", ".join(fmt(float(v)) for v in a.reshape(-1)) + "]"
