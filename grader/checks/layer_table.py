"""`layer_table`: a per-layer table (shapes, parameter and MAC counts) checked cell by cell.

Rows map to layers by order (the student may name attributes as they like). Three
comparisons, so one rubric can check all of: the student's reported table against the
reference (`answer_vs_reference`), the student's real model, measured by hooks in the
sandbox, against the reference model (`model_vs_reference`), and the student's model
against the student's own table (`model_vs_answer`)."""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import Field

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome, precheck, where
from grader.compare import NotNumeric, describe, to_number
from grader.results import Status, TableView

ANSWER_CHILDREN = ("*",)  # rows are named as the student likes


class Spec(CheckSpecBase):
    kind: Literal["layer_table"]
    compare: Literal["answer_vs_reference", "model_vs_reference", "model_vs_answer"] = Field("answer_vs_reference", description=(
        "the student's table vs the reference's, the student's model (measured) vs the reference model, or the "
        "student's model vs their own table"))
    columns: list[str] = Field(min_length=1, description=(
        "the columns compared, keys of each row, e.g. [input_shape, output_shape, weight_shape, params, macs]"))
    titles: dict[str, str] = Field(default_factory=dict, description=(
        "column -> heading in the feedback table (default: a known column's title, else the column's name)"))
    expected: Any = Field(None, description="the reference table ({ref: ...}) for answer_vs_reference")


def _rows(table: Any) -> list[tuple[str, dict]]:
    if isinstance(table, dict) and "layers" in table and isinstance(table["layers"], list):
        table = table["layers"]
    if isinstance(table, dict):
        return [(str(k), v if isinstance(v, dict) else {"?": v}) for k, v in table.items()]
    if isinstance(table, list):
        return [(str(r.get("name", f"row {i + 1}")) if isinstance(r, dict) else f"row {i + 1}",
                 r if isinstance(r, dict) else {"?": r}) for i, r in enumerate(table)]
    raise ValueError(f"expected a table of layers (a mapping of layer name to row), got {describe(table)}")


def _shape(v: Any) -> tuple[int, ...] | None:
    if isinstance(v, str):
        v = [p for p in re.split(r"[\s,()\[\]x×]+", v) if p]
    if isinstance(v, (list, tuple)):
        out = []
        for p in v:
            try:
                x = to_number(p)
            except NotNumeric:
                return None
            if not math.isfinite(x) or x != int(x):
                return None
            out.append(int(x))
        return tuple(out)
    return None


def _count(v: Any) -> int | None:
    if isinstance(v, str):
        v = v.replace(",", "").replace("_", "").strip()
    try:
        x = to_number(v)
    except NotNumeric:
        return None
    return int(x) if math.isfinite(x) and x == int(x) else None


def _kind(v: Any) -> str | None:
    return v.strip().lower() if isinstance(v, str) and 0 < len(v) <= 40 else None


def _cell(col: str, v: Any) -> Any:
    if col == "type":  # a layer kind, "conv" or "fc"
        return _kind(v)
    return _shape(v) if col.endswith("shape") else _count(v)


def _show(col: str, v: Any) -> str:
    c = _cell(col, v)
    if c is None:
        return "—" if v is None else describe(v)
    if isinstance(c, str):
        return c
    return "(" + ", ".join(map(str, c)) + ")" if isinstance(c, tuple) else str(c)


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    if spec.compare == "answer_vs_reference":
        got, exp, got_name, exp_name = ctx.answer, ctx.expected, "your table", "reference"
    elif spec.compare == "model_vs_reference":
        got, exp, got_name, exp_name = ctx.actual.value, ctx.expected, "your model", "reference model"
    else:
        got, exp, got_name, exp_name = ctx.actual.value, ctx.answer, "your model", "your table"
    try:
        exp_rows = _rows(exp)
    except ValueError as err:
        if spec.compare == "model_vs_answer":
            return outcome(Status.FAIL, f"{where(ctx, spec.answer)}: {err}")
        raise
    try:
        got_rows = _rows(got)
    except ValueError as err:
        return outcome(Status.FAIL, f"{where(ctx, spec.answer)}: {err}" if spec.compare == "answer_vs_reference" else str(err))
    cols = spec.columns
    problems: list[str] = []
    wrong: list[tuple[int, int]] = []
    table_rows: list[list[str]] = []
    expected_rows: list[list[str]] = []
    total = len(exp_rows) * len(cols)
    if len(got_rows) != len(exp_rows):
        problems.append(f"{got_name} has {len(got_rows)} layers, {exp_name} has {len(exp_rows)} ({', '.join(n for n, _ in exp_rows)})")
    for i, (name, erow) in enumerate(exp_rows):
        grow = got_rows[i][1] if i < len(got_rows) else {}
        gname = got_rows[i][0] if i < len(got_rows) else "—"
        # models name their layers: say whose layer a cell is when it is not the reference's name
        label = f"{name} (your {gname})" if spec.compare != "answer_vs_reference" and gname not in (name, "—") else name
        trow = [gname]
        xrow = [name]
        for j, col in enumerate(cols):
            g, e = grow.get(col), erow.get(col)
            trow.append(_show(col, g))
            xrow.append(_show(col, e))
            gc, ec = _cell(col, g), _cell(col, e)
            if gc is None or gc != ec:
                wrong.append((i, j + 1))
                problems.append(f"{label} {spec.titles.get(col, col)}: {got_name} says {_show(col, g)}, {exp_name} {_show(col, e)}")
        table_rows.append(trow)
        expected_rows.append(xrow)
    view = TableView(columns=["layer"] + [spec.titles.get(c, c) for c in cols], rows=table_rows,
                     expected_rows=expected_rows, wrong=wrong)
    right = total - len(wrong)
    if not problems:
        return outcome(Status.PASS, f"all {total} cells of {got_name} match the {exp_name}", views=[view])
    shown = "; ".join(problems[:8]) + (f"; and {len(problems) - 8} more" if len(problems) > 8 else "")
    frac = max(right, 0) / total if total else 0.0
    return outcome(Status.PARTIAL if frac > 0 else Status.FAIL, f"{right} of {total} cells match: {shown}",
                   fraction=frac, views=[view])
