"""Helpers of the notebook tests: writing small notebooks the way students' look."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_notebook(path: Path, cells: list[str | tuple[str, str]], outputs: dict[int, list[dict[str, Any]]] | None = None) -> Path:
    """A notebook at `path`: each item a code cell's source, or ("markdown", text). Cell
    numbers count every cell from 1 (markdown included), as Jupyter shows them."""
    nb_cells = []
    for number, item in enumerate(cells, start=1):
        kind, source = ("code", item) if isinstance(item, str) else item
        cell: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = (outputs or {}).get(number, [])
        nb_cells.append(cell)
    path.write_text(json.dumps({"cells": nb_cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path
