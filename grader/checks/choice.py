"""`choice`: a true/false answer or a named choice (logic function name, kernel kind).

Booleans accept true/false in any case (and T/F, yes/no as strings); named choices are
compared case- and space-insensitively against the accepted spellings."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome, precheck, where
from grader.compare import describe
from grader.results import Status

_TRUE = {"true", "t", "yes", "y"}
_FALSE = {"false", "f", "no", "n"}


class Spec(CheckSpecBase):
    kind: Literal["choice"]
    expected: Any = Field(description="true/false, a string, a list of accepted strings, or {ref: ...}")
    feedback_expected: bool = Field(True, description="say the right answer in the message when the answer is wrong")


def normalize(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        s = " ".join(value.strip().lower().replace("_", " ").replace("-", " ").split())
        return s
    return value


def as_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        s = value.strip().lower().rstrip(".")
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    return None


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    given = ctx.answer
    exp = ctx.expected
    if isinstance(exp, bool):
        b = as_bool(given)
        if b is None:
            return outcome(Status.FAIL, f"{where(ctx, spec.answer)}: expected true or false, got {describe(given)}")
        if b == exp:
            return outcome(Status.PASS, f"{'true' if b else 'false'}: correct")
        msg = f"you answered {'true' if b else 'false'}"
        if spec.feedback_expected:
            msg += f"; the statement is {'true' if exp else 'false'}"
        return outcome(Status.FAIL, msg, details={"given": b})
    accepted = exp if isinstance(exp, list) else [exp]
    if not isinstance(given, str):
        return outcome(Status.FAIL, f"{where(ctx, spec.answer)}: expected a name, got {describe(given)}")
    norm = normalize(given)
    if norm in {normalize(a) for a in accepted}:
        return outcome(Status.PASS, f"{given.strip()}: correct")
    msg = f"you answered {describe(given)}"
    if spec.feedback_expected:
        msg += f"; expected {' or '.join(repr(a) for a in accepted)}"
    return outcome(Status.FAIL, msg, details={"given": given})
