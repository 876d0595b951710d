"""`best_of`: alternatives for one answer (e.g. Problem 3 as code or as LaTeX): the best
scoring alternative counts, the others are reported as not counted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from grader.checks.base import CheckSpecBase

if TYPE_CHECKING:
    from grader.checks import AnyCheck


class Spec(CheckSpecBase):
    kind: Literal["best_of"]
    checks: list["AnyCheck"]  # resolved in grader.checks.__init__ (model_rebuild)


# best_of is evaluated by the engine (it needs each alternative's own context);
# it has no grade() of its own.
