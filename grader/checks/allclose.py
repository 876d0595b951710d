"""`allclose`: the student's probe output against the reference's, numerically.

Structure first (type, keys, shape), then values with the tolerance from the table
(keyed by dtype and device) or the rubric. Every failing array is reported with its
path, mismatch count, greatest differences and where.

With `partial: true`, credit is matched / compared parts, where the parts are:
  - every floating-point value or array of the reference's output: what the student's
    code computed (a probe returns it as float64), e.g. each Jacobian of each Problem 3
    case, each parameter's gradient in Lab 3. Each counts once whether the student's
    output has it or not: a missing key, list item or value is a failed part;
  - one failed part for each other structural problem: an extra key or list item, or a
    label that differs.
Labels the probe writes itself (integers such as the case sizes n_in and n_out, strings,
booleans, None) must match but never earn credit, so echoing the inputs back scores 0.
Anything structurally wrong cannot reach full credit."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome, precheck
from grader.compare import compare_values
from grader.results import MismatchView, Status


class Spec(CheckSpecBase):
    kind: Literal["allclose"]
    partial: bool = Field(False, description="credit per matched computed part (array) instead of all or nothing")
    squeeze: bool = Field(False, description="accept shapes equal up to size-1 dimensions, e.g. (3, 1) for (3,)")
    what: str | None = Field(None, description="how messages name the value, e.g. \"closed_form(X, y)\"")


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    name = spec.what or (spec.code.split(":")[1] if spec.code else "value")
    cmp = compare_values(ctx.actual.value, ctx.expected, ctx.tolerance, path="", squeeze=spec.squeeze, name=name)
    if cmp.ok:
        n = cmp.leaves
        return outcome(Status.PASS, f"{name} matches the reference" + (f" ({n} arrays compared)" if n > 1 else ""))
    msgs = cmp.messages(name=name)
    shown = "; ".join(msgs[:6]) + (f"; and {len(msgs) - 6} more" if len(msgs) > 6 else "")
    frac = cmp.leaves_ok / cmp.leaves if (spec.partial and cmp.leaves) else 0.0
    views = [MismatchView(groups=cmp.groups)] if cmp.groups else []
    return outcome(Status.PARTIAL if frac > 0 else Status.FAIL, shown, fraction=frac, views=views,
                   details={"compared": cmp.leaves, "matched": cmp.leaves_ok})
