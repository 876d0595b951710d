"""Probes every rubric may name without writing any (`probe: notebook.value` ...): they read
what an executed notebook left and return plain data. They run like an assignment's probes:
in the child on the student's notebook, in the grader's process on the reference's.

The engine adds the notebook's module name to their arguments (`notebook`), from the check's
`code` ("lab1.ipynb:W_star" -> notebook "lab1").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

PREFIX = "notebook."


def value(ctx: Any, notebook: str, name: str, attr: str | None = None, data: Mapping[str, Any] | None = None) -> Any:
    """The value the notebook left in `name` (then `.attr`), as plain data; with `data`,
    after running the notebook on those data files."""
    return ctx.notebook(notebook, data).value(name, attr)


def figures(ctx: Any, notebook: str, data: Mapping[str, Any] | None = None) -> Any:
    """Every figure the notebook drew or saved: PNG bytes (uint8 arrays) and what they hold."""
    return ctx.notebook(notebook, data).figures()


def cells(ctx: Any, notebook: str, data: Mapping[str, Any] | None = None) -> Any:
    """Per code cell: ok, error, timeout, memory or not_run, with the message."""
    return ctx.notebook(notebook, data).cells()


BUILTIN: dict[str, Callable[..., Any]] = {
    PREFIX + "value": value,
    PREFIX + "figures": figures,
    PREFIX + "cells": cells,
}
