"""`manual`: free text routed to a TA, with the key's explanation attached.

Scores nothing automatically (status `manual`); a TA's override sets the score later."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome, precheck
from grader.compare import describe
from grader.results import Status, TextView

MAX_TEXT = 20_000


ANSWER_CHILDREN = ("*",)  # free text may come in named parts (e.g. one LaTeX string per gradient)


class Spec(CheckSpecBase):
    kind: Literal["manual"]
    expected: Any = Field(None, description="the key's explanation shown to the TA ({ref: ...} or text), never to students")
    label: str = Field("answer", description="what the answer is called in the review queue, e.g. reason")


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    if spec.answer is None:  # nothing to read: a purely manual item
        return outcome(Status.MANUAL, "left for manual review", views=[TextView(label=spec.label, text="", key=_key(ctx))])
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    text = _as_text(ctx.answer)
    if not text.strip():
        return outcome(Status.MISSING, f"not submitted: {spec.answer} is empty")
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT] + f"\n[... {len(text) - MAX_TEXT} more characters not shown]"
    return outcome(
        Status.MANUAL,
        "left for manual review",
        views=[TextView(label=spec.label, text=text, key=_key(ctx))],
    )


def _as_text(value: Any) -> str:
    """Free text as the student wrote it; a mapping of parts (e.g. LaTeX per gradient) as
    'key: value' lines; anything else described, never repr'd."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(f"{k}: {_as_text(v)}" for k, v in value.items())
    if isinstance(value, (int, float, bool)):
        return str(value)
    if isinstance(value, list):
        return "\n".join(_as_text(v) for v in value)
    return describe(value)


def _key(ctx: CheckContext) -> str | None:
    return ctx.expected if isinstance(ctx.expected, str) else None
