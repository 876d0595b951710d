"""Bipolar threshold units and two-layer (Madaline) networks, for the logic checks.

y = Sign(w0 + sum_i w_i x_i); the ECE 661 handout leaves Sign(0) undefined, so s = 0 gives
y = 0, which matches no target (+1 True, -1 False): weights that put an input row on the
boundary do not realize the function. Inputs enumerate {-1,+1}^n in lexicographic order
with -1 first (the handout's row order), so a target function is a list of 2^n outputs.

Copied from the hw1 pack's kinds (a pack cannot import another pack's kinds); the only
change is Sign(0)."""

from __future__ import annotations

import itertools
from typing import Any

from grader.numeric.compare import NotNumeric, describe, to_number


def inputs(n: int) -> list[tuple[int, ...]]:
    return list(itertools.product((-1, 1), repeat=n))


def sign(s: float) -> int:
    return 1 if s > 0 else (-1 if s < 0 else 0)


def unit(w: list[float], x: tuple[int, ...]) -> tuple[float, int]:
    s = w[0] + sum(wi * xi for wi, xi in zip(w[1:], x))
    return s, sign(s)


def read_weights(value: Any, n: int, labels: list[str]) -> list[float]:
    """A weight row of n numbers: a list, or a mapping {w0: .., w1: ..} in label order.
    Raises ValueError with `expected a list of 3 numbers [w0, w1, w2], got "abc"`."""
    want = f"expected a list of {n} numbers [{', '.join(labels)}]"
    if isinstance(value, dict):
        keys = [k for k in labels if k in value]
        if len(keys) == n:
            value = [value[k] for k in labels]
        else:
            raise ValueError(f"{want}, got {describe(value)}")
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{want}, got {describe(value)}")
    if len(value) != n:
        raise ValueError(f"{want}, got {len(value)} numbers")
    try:
        return [to_number(v) for v in value]
    except NotNumeric as err:
        raise ValueError(f"{want}, got {err}") from None


def network_outputs(hidden: list[list[float]] | None, output: list[float], n: int) -> list[dict[str, Any]]:
    """Per input row: x, the hidden outputs z (if any), s and y of the output unit."""
    rows = []
    for x in inputs(n):
        if hidden:
            z = tuple(unit(h, x)[1] for h in hidden)
            s, y = unit(output, z)
            rows.append({"x": x, "z": z, "s": s, "y": y})
        else:
            s, y = unit(output, x)
            rows.append({"x": x, "s": s, "y": y})
    return rows


def fmt_row(x: tuple[int, ...]) -> str:
    return "(" + ", ".join(f"{v:+d}" for v in x) + ")"
