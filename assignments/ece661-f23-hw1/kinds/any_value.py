"""`any_value`: some variable the student's notebook left holds the value the reference
computed in its variable `name` (within the check's tolerance).

For code that leaves its results in variables whose names no template prescribes (the
handout gives Lab 1 no names): the probe (`probes.numeric_values`) returns every small
numeric top-level value of the executed file, on both sides; this check takes the
reference's `name` and looks for a student variable of the same size that matches it.
Run on hidden data (the probe's `data`), it shows the code computes the value rather than
typing it in. The message names the student's variable, or the closest one."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from grader.checks.base import (
    CheckContext,
    CheckOutcome,
    CheckSpecBase,
    outcome,
    precheck,
)
from grader.results import Status

MAX_VALUES = 500


class Spec(CheckSpecBase):
    kind: Literal["any_value"]
    name: str = Field(description="the reference's variable whose value some student variable must hold")
    what: str = Field("the value", description="what the value is, for the message (e.g. 'W* on dataset.mat')")


def _arrays(values: Any) -> dict[str, np.ndarray]:
    if not isinstance(values, dict):
        return {}
    out = {}
    for key, value in list(values.items())[:MAX_VALUES]:
        if isinstance(key, str) and isinstance(value, np.ndarray) and value.dtype.kind == "f":
            out[key] = value.reshape(-1)
    return out


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    reference = _arrays(ctx.expected).get(spec.name)
    if reference is None:
        return outcome(Status.ERROR, f"the reference left no numeric {spec.name} (an instructor error)")
    assert ctx.actual is not None
    rtol, atol = ctx.tolerance.rtol, ctx.tolerance.atol
    best: tuple[float, str] | None = None
    for key, value in sorted(_arrays(ctx.actual.value).items()):
        if value.shape != reference.shape or not np.isfinite(value).all():
            continue
        if np.allclose(value, reference, rtol=rtol, atol=atol):
            return outcome(Status.PASS, f"your variable {key} holds {spec.what}", details={"variable": key})
        gap = float(np.max(np.abs(value - reference)))
        if best is None or gap < best[0]:
            best = (gap, key)
    shown = np.array2string(reference, precision=6, separator=", ")
    if best is None:
        return outcome(Status.FAIL, f"no variable holds {spec.what} ({reference.size} number(s), reference {shown})")
    return outcome(Status.FAIL, f"no variable holds {spec.what} (reference {shown}); the closest is {best[1]}, "
                                f"off by {best[0]:.3g} (allowed: rtol={rtol:g}, atol={atol:g})")
