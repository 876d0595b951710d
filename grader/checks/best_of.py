"""`best_of`: alternatives for one answer (e.g. Problem 3 as code or as LaTeX): the best
scoring alternative counts, the others are reported as not counted."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from grader.checks.base import CheckSpecBase


class Spec(CheckSpecBase):
    kind: Literal["best_of"]
    checks: list["AnyCheck"] = Field(description=(  # noqa: F821 - resolved in grader.checks.__init__
        "alternative checks of one answer (e.g. code or a formula): the best scoring one counts"))


# best_of is evaluated by the engine (it needs each alternative's own context);
# it has no grade() of its own.
