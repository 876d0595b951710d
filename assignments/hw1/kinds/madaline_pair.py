"""`madaline_pair`: a counterexample made of two different two-layer threshold networks
that both realize a function (Problem 1.3: two different XOR Madalines).

Informational by default (0 points): the feedback says whether the counterexample holds."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome, precheck, where
from grader.checks.form import Form
from grader.compare import describe
from grader.results import Status

from ._threshold import fmt_row, network_outputs, read_weights

ANSWER_CHILDREN = ("a", "b", "a.hidden", "a.output", "b.hidden", "b.output")


class Spec(CheckSpecBase):
    kind: Literal["madaline_pair"]
    n_inputs: int = Field(description="how many bipolar inputs each network has")
    n_hidden: int = Field(description="how many hidden units each network has")
    expected: Any = Field(description="the target outputs over the bipolar inputs, or {ref: ...}")
    function_name: str = Field("the function", description="how messages name the target function, e.g. XOR")


def _net(value: Any, n_in: int, n_hidden: int) -> tuple[list[list[float]], list[float]]:
    if not isinstance(value, dict) or "hidden" not in value or "output" not in value:
        raise ValueError(f"expected {{hidden: [[w0, w1, w2], ...], output: [w0, w1, w2]}}, got {describe(value)}")
    hidden = value["hidden"]
    if not isinstance(hidden, list) or len(hidden) != n_hidden:
        raise ValueError(f"hidden: expected {n_hidden} rows of weights, got {describe(hidden)}")
    labels = [f"w{i}" for i in range(n_in + 1)]
    rows = [read_weights(h, n_in + 1, labels) for h in hidden]
    out = read_weights(value["output"], n_hidden + 1, [f"w{i}" for i in range(n_hidden + 1)])
    return rows, out


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    value = ctx.answer
    if not isinstance(value, dict) or "a" not in value or "b" not in value:
        return outcome(Status.FAIL, f"{where(ctx, spec.answer)}: expected two networks a and b, got {describe(value)}")
    target = list(ctx.expected)
    nets = {}
    for name in ("a", "b"):
        try:
            nets[name] = _net(value[name], spec.n_inputs, spec.n_hidden)
        except ValueError as err:
            return outcome(Status.FAIL, f"{where(ctx, spec.answer)}.{name}: {err}")
    problems = []
    for name, (hidden, out) in nets.items():
        rows = network_outputs(hidden, out, spec.n_inputs)
        bad = [fmt_row(r["x"]) for i, r in enumerate(rows) if r["y"] != target[i]]
        if bad:
            problems.append(f"network {name} does not compute {spec.function_name} on inputs {', '.join(bad)}")
    if nets["a"] == nets["b"]:
        problems.append("networks a and b have identical weights, so they are not two different solutions")
    if problems:
        return outcome(Status.FAIL, "the counterexample does not hold: " + "; ".join(problems))
    return outcome(Status.PASS, f"the counterexample holds: two different networks both compute {spec.function_name}")


# --------------------------------------------------------------------------- student kit


def answer_form(spec: Spec) -> Form:
    """The form of the answer (for the student kit's form check): two networks' weights."""
    net = Form(type="mapping", keys={"hidden": Form(type="numbers", shape=[spec.n_hidden, spec.n_inputs + 1]),
                                     "output": Form(type="numbers", shape=[spec.n_hidden + 1])})
    return Form(type="mapping", keys={"a": net, "b": net})


def describe_answer(spec: Spec) -> str:
    """The comment beside the key in the student kit's answers template."""
    row = "[" + ", ".join(f"w{i}" for i in range(spec.n_inputs + 1)) + "]"
    out = "[" + ", ".join(f"w{i}" for i in range(spec.n_hidden + 1)) + "]"
    net = f"{{hidden: [{', '.join([row] * spec.n_hidden)}], output: {out}}}"
    return f"two different networks: {{a: {net}, b: {net}}}"
