"""`conv_size`: a counterexample to "a larger input always gives a larger output feature
map" (Problem 1.5), verified with a real torch.nn.functional.conv2d."""

from __future__ import annotations

from typing import Literal

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome, precheck, where
from grader.checks.form import Form
from grader.compare import NotNumeric, describe, to_number
from grader.results import Status

MAX_SIZE = 512  # the conv is run for real; keep it cheap and bounded


ANSWER_CHILDREN = ("kernel", "stride", "padding", "sizes")


class Spec(CheckSpecBase):
    kind: Literal["conv_size"]


def _int(d: dict, key: str, lo: int) -> int:
    if key not in d:
        raise ValueError(f"missing {key}")
    try:
        v = to_number(d[key])
    except NotNumeric as err:
        raise ValueError(f"{key}: expected a whole number, got {err}") from None
    if not lo <= v <= MAX_SIZE or v != int(v):  # NaN and infinities fail the range test first
        raise ValueError(f"{key}: expected a whole number from {lo} to {MAX_SIZE}, got {describe(d[key])}")
    return int(v)


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    import torch
    import torch.nn.functional as F

    value = ctx.answer
    if not isinstance(value, dict):
        return outcome(Status.FAIL, f"{where(ctx, spec.answer)}: expected {{kernel, stride, padding, sizes: [n1, n2]}}, got {describe(value)}")
    try:
        k = _int(value, "kernel", 1)
        stride = _int(value, "stride", 1)
        pad = _int(value, "padding", 0)
        sizes = value.get("sizes")
        if not isinstance(sizes, list) or len(sizes) != 2:
            raise ValueError(f"sizes: expected two input sizes [n1, n2], got {describe(sizes)}")
        n1, n2 = (_int({"size": s}, "size", 1) for s in sizes)
    except ValueError as err:
        return outcome(Status.FAIL, f"{where(ctx, spec.answer)}: {err}")
    if n1 == n2:
        return outcome(Status.FAIL, f"the two input sizes are equal ({n1}); a counterexample needs a larger input")
    small, large = sorted((n1, n2))
    outs = {}
    for n in (small, large):
        if n + 2 * pad < k:
            return outcome(Status.FAIL, f"an input of {n}x{n} with padding {pad} is smaller than the {k}x{k} kernel: conv2d gives no output")
        x = torch.zeros(1, 1, n, n, dtype=torch.float64)
        w = torch.zeros(1, 1, k, k, dtype=torch.float64)
        outs[n] = tuple(F.conv2d(x, w, stride=stride, padding=pad).shape[-2:])
    desc = f"kernel {k}, stride {stride}, padding {pad}: input {small}x{small} -> output {outs[small][0]}x{outs[small][1]}, input {large}x{large} -> output {outs[large][0]}x{outs[large][1]}"
    if outs[large][0] <= outs[small][0]:
        return outcome(Status.PASS, f"the counterexample holds ({desc}, computed with conv2d)", details={"outputs": {str(n): list(o) for n, o in outs.items()}})
    return outcome(Status.FAIL, f"the counterexample does not hold: the larger input gives a larger output ({desc})",
                   details={"outputs": {str(n): list(o) for n, o in outs.items()}})


# --------------------------------------------------------------------------- student kit


def answer_form(spec: Spec) -> Form:
    """The form of the answer (for the student kit's form check)."""
    whole = Form(type="number")
    return Form(type="mapping", keys={"kernel": whole, "stride": whole, "padding": whole,
                                      "sizes": Form(type="numbers", shape=[2])})


def describe_answer(spec: Spec) -> str:
    """The comment beside the key in the student kit's answers template."""
    return "{kernel: K, stride: S, padding: P, sizes: [N1, N2]}"
