"""`matrix`: a matrix graded element by element, with partial credit and the wrong cells."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import Field

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome, precheck, where
from grader.compare import NotNumeric, describe, fmt, to_number
from grader.results import MatrixView, Status


class Spec(CheckSpecBase):
    kind: Literal["matrix"]
    expected: Any = Field(description="a nested list of numbers, or {ref: ...}")


def _rows(value: Any) -> list[list[Any]]:
    if isinstance(value, str):  # "0 0 -0.25; ..." or one row per line
        lines = [ln for ln in value.replace(";", "\n").splitlines() if ln.strip()]
        return [ln.replace(",", " ").split() for ln in lines]
    if isinstance(value, list) and all(isinstance(r, (list, tuple)) for r in value):
        return [list(r) for r in value]
    if isinstance(value, list) and all(isinstance(r, str) for r in value):
        return [r.replace(",", " ").split() for r in value]
    raise ValueError(f"expected a list of rows, got {describe(value)}")


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    exp = np.asarray(ctx.expected, dtype=np.float64)
    n_rows, n_cols = exp.shape
    try:
        rows = _rows(ctx.answer)
    except ValueError as err:
        return outcome(Status.FAIL, f"{where(ctx, spec.answer)}: {err}")
    shape = f"{len(rows)} rows of {'/'.join(sorted({str(len(r)) for r in rows})) or 0}"
    if len(rows) != n_rows or any(len(r) != n_cols for r in rows):
        return outcome(Status.FAIL, f"{where(ctx, spec.answer)}: expected {n_rows} rows of {n_cols} numbers, got {shape}")
    got: list[list[float | None]] = []
    wrong: list[tuple[int, int]] = []
    bad_text: list[str] = []
    atol = spec.atol if spec.atol is not None else 1e-6
    rtol = spec.rtol if spec.rtol is not None else 0.0
    for i, row in enumerate(rows):
        out_row: list[float | None] = []
        for j, v in enumerate(row):
            try:
                x = to_number(v)
            except NotNumeric as err:
                out_row.append(None)
                wrong.append((i, j))
                bad_text.append(f"row {i + 1}, column {j + 1}: not a number ({err})")
                continue
            out_row.append(x if np.isfinite(x) else None)
            if not abs(x - exp[i, j]) <= atol + rtol * abs(exp[i, j]):
                wrong.append((i, j))
        got.append(out_row)
    total = n_rows * n_cols
    right = total - len(wrong)
    view = MatrixView(got=got, expected=exp.tolist(), wrong=wrong)
    if not wrong:
        return outcome(Status.PASS, f"all {total} elements correct", views=[view])
    cells = ", ".join(
        f"({i + 1},{j + 1}): got {fmt(got[i][j]) if got[i][j] is not None else 'not a number'}, expected {fmt(exp[i, j])}"
        for i, j in wrong[:10]
    )
    more = f" and {len(wrong) - 10} more" if len(wrong) > 10 else ""
    status = Status.PARTIAL if right else Status.FAIL
    return outcome(status, f"{right} of {total} elements correct; wrong (row, column): {cells}{more}",
                   fraction=right / total, details={"wrong": [list(c) for c in wrong]}, views=[view])
