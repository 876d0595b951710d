"""`exact`: a probe output that must equal a value exactly (shapes, flags, name lists).

The expected value is the rubric's `expected` when given, else the reference's output."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome, precheck
from grader.compare import describe
from grader.results import Status


class Spec(CheckSpecBase):
    kind: Literal["exact"]
    expected: Any = Field(None, description="the exact value (plain data); default: the reference's output")
    what: str | None = Field(None, description="how messages name the value")
    message_ok: str | None = Field(None, description="the message when equal")
    message_fail: str | None = Field(None, description="the message when not; may use {got} and {expected}")


def _norm(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        return [_norm(v) for v in x]
    if isinstance(x, float) and x.is_integer():
        return int(x)
    if isinstance(x, dict):
        return {k: _norm(v) for k, v in x.items()}
    return x


def _show(x: Any) -> str:
    if isinstance(x, (list, tuple)) and len(x) <= 8 and all(isinstance(v, (int, float, str)) for v in x):
        return "[" + ", ".join(str(v) for v in x) + "]"
    return describe(x)


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    got = _norm(ctx.actual.value)
    exp = _norm(ctx.expected)
    name = spec.what or "the value"
    if got == exp and type(got) is type(exp):
        return outcome(Status.PASS, spec.message_ok or f"{name} is {_show(got)} as expected")
    msg = (spec.message_fail or "{what} is {got}, expected {expected}").format(what=name, got=_show(got), expected=_show(exp))
    return outcome(Status.FAIL, msg, details={"got": got if isinstance(got, (int, float, str, list)) else describe(got)})
