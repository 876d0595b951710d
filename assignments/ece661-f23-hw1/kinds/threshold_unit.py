"""`threshold_unit`: weights that must realize a logic function (Problem 2 style), with the
handout's Sign(0) undefined (s = 0 on a row fails that row; see _threshold.py).

Any weights that realize the target truth table pass; the message names every failing
input row. With `hidden` the student's weights are the output unit of a Madaline whose
hidden units are given. A student truth table (rows [x1, .., xn, s, y]), where given, is
verified row by row against the student's own weights."""

from __future__ import annotations

from typing import Any, Literal

from ._threshold import fmt_row, inputs, network_outputs, read_weights
from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, Missing, outcome, precheck, where
from grader.checks.form import Form
from grader.numeric.compare import NotNumeric, to_number
from grader.results import Status, TruthTableView


ANSWER_CHILDREN = ("w", "truth_table")  # the answer may be {w: [...], truth_table: [...]}


class Spec(CheckSpecBase):
    kind: Literal["threshold_unit"]
    n_inputs: int
    expected: Any  # the target outputs over inputs(n_inputs): list of ±1, or {ref: ...}
    hidden: Any = None  # fixed hidden-unit weight rows (Madaline output layer), or {ref: ...}
    labels: list[str] | None = None  # names of the weights, e.g. [w20, w21, w22]
    table_penalty: float = 0.25  # share of points lost when the student's own table is wrong


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    value = ctx.answer
    table = None
    if isinstance(value, dict) and ("w" in value or "truth_table" in value):
        table = value.get("truth_table")
        value = value.get("w", Missing("(no 'w')"))
        if isinstance(value, Missing):
            return outcome(Status.MISSING, f"not submitted: {spec.answer}.w")
    hidden = spec.hidden  # refs are resolved when the rubric is compiled
    n_w = (len(hidden) if hidden else spec.n_inputs) + 1
    labels = spec.labels or [f"w{i}" for i in range(n_w)]
    try:
        w = read_weights(value, n_w, labels)
    except ValueError as err:
        return outcome(Status.FAIL, f"{where(ctx, spec.answer)}: {err}")
    target = list(ctx.expected)
    rows = network_outputs(hidden, w, spec.n_inputs)
    failing = [i for i, r in enumerate(rows) if r["y"] != target[i]]
    cols = [f"x{i + 1}" for i in range(spec.n_inputs)]
    if hidden:
        cols += [f"z{i + 1}" for i in range(len(hidden))]
    cols += ["s", "y", "target"]
    view_rows = [
        list(r["x"]) + (list(r["z"]) if hidden else []) + [round(r["s"], 6), r["y"], target[i]]
        for i, r in enumerate(rows)
    ]
    views = [TruthTableView(columns=cols, rows=view_rows, failing=failing)]
    wtxt = ", ".join(f"{k} = {v:g}" for k, v in zip(labels, w))
    if failing:
        lines = "; ".join(
            f"input {fmt_row(rows[i]['x'])}: s = {rows[i]['s']:g}, "
            + (f"y = {rows[i]['y']:+d}" if rows[i]['y'] else "Sign(0) is undefined") + f", expected {target[i]:+d}"
            for i in failing
        )
        return outcome(Status.FAIL, f"with {wtxt} the unit is wrong on {len(failing)} of {len(rows)} rows: {lines}",
                       details={"weights": w, "failing_rows": failing}, views=views)
    msg = f"{wtxt} realizes the function on all {len(rows)} input rows"
    if table is not None:
        problems = _check_table(table, rows, spec.n_inputs)
        if problems:
            return outcome(Status.PARTIAL, msg + "; but your truth table disagrees with your weights: " + "; ".join(problems),
                           fraction=1.0 - spec.table_penalty, details={"weights": w, "table_problems": problems}, views=views)
        msg += "; your truth table matches your weights"
    return outcome(Status.PASS, msg, details={"weights": w}, views=views)


def _check_table(table: Any, rows: list[dict[str, Any]], n: int) -> list[str]:
    if not isinstance(table, list) or not table:
        return ["truth_table should be a list of rows [x1, ..., s, y]"]
    by_x = {r["x"]: r for r in rows}
    problems: list[str] = []
    seen = set()
    for k, row in enumerate(table):
        if not isinstance(row, (list, tuple)) or len(row) != n + 2:
            problems.append(f"row {k + 1}: expected {n + 2} values [x1..x{n}, s, y]")
            continue
        try:
            vals = [to_number(v) for v in row]
        except NotNumeric as err:
            problems.append(f"row {k + 1}: not a number ({err})")
            continue
        if any(v not in (-1.0, 1.0) for v in vals[:n]):  # before int(): NaN and infinities are not inputs
            problems.append(f"row {k + 1}: inputs must be ±1")
            continue
        x = tuple(int(v) for v in vals[:n])
        seen.add(x)
        r = by_x[x]
        if not abs(vals[n] - r["s"]) <= 1e-6 * max(1.0, abs(r["s"])):  # NaN is wrong, not right
            problems.append(f"row {fmt_row(x)}: s = {vals[n]:g}, your weights give {r['s']:g}")
        if vals[n + 1] != r["y"]:
            problems.append(f"row {fmt_row(x)}: y = {vals[n + 1]:g}, your weights give {r['y']:+d}")
    missing = [fmt_row(x) for x in inputs(n) if x not in seen]
    if missing and not problems:
        problems.append(f"rows missing: {', '.join(missing)}")
    return problems


# --------------------------------------------------------------------------- student kit


def answer_form(spec: Spec) -> Form:
    """The form of the answer (for the student kit's form check): weights, never values."""
    n_w = (len(spec.hidden) if spec.hidden else spec.n_inputs) + 1
    return Form(type="mapping", keys={"w": Form(type="numbers", shape=[n_w])},
                optional={"truth_table": Form(type="numbers")})


def describe_answer(spec: Spec) -> str:
    """The comment beside the key in the student kit's answers template."""
    ws = ", ".join(spec.labels or [f"w{i}" for i in range(spec.n_inputs + 1)])
    xs = ", ".join(f"x{i + 1}" for i in range(spec.n_inputs))
    return f"{{w: [{ws}]}}; optional: truth_table: [[{xs}, s, y], ...]"
