"""HW1 Problem 2: perceptrons and Madaline, with bipolar inputs and outputs in {-1, +1}.

A unit outputs y = sign(s) with s = w0 + sum_i w_i x_i and sign(0) = +1. Weight rows are
[w0, w1, ..., wn] (bias first). Truth tables are lists of +-1 over `inputs(n)`, the input
rows in lexicographic order with -1 first.

The net input is summed with `math.fsum`, which is correctly rounded: with bipolar inputs
every product w_i x_i is exact, so the sign of s is the sign of the exact sum and a weight
set that sits on a decision boundary (s == 0) is classified the same way on every machine.

Any weights that realize a function are a correct answer; the `Q2_*_W` values are one
valid answer each, for feedback and for tests.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence

Row = tuple[int, ...]


def sign(s: float) -> int:
    """+1 for s >= 0 (so sign(0) = +1), -1 otherwise; NaN has no sign and raises."""
    if math.isnan(s):
        raise ValueError("sign() of NaN is undefined")
    return 1 if s >= 0 else -1


def net_input(w: Sequence[float], x: Sequence[float]) -> float:
    """s = w0 + sum_i w_i x_i for the weight row w = [w0, w1, ..., wn] and inputs x."""
    if len(w) != len(x) + 1:
        raise ValueError(f"a unit with {len(x)} inputs needs {len(x) + 1} weights [w0, w1, ...], got {len(w)}")
    terms = [float(w[0])] + [float(wi) * float(xi) for wi, xi in zip(w[1:], x)]
    if not all(math.isfinite(t) for t in terms):
        raise ValueError(f"weights and inputs must be finite numbers, got w={list(w)}, x={list(x)}")
    return math.fsum(terms)


def unit(w: Sequence[float], x: Sequence[float]) -> int:
    """Output of one threshold unit: sign(w0 + sum_i w_i x_i)."""
    return sign(net_input(w, x))


def madaline(hidden: Sequence[Sequence[float]], output: Sequence[float], x: Sequence[float]) -> int:
    """A two-layer Madaline: hidden units (one weight row each) feed one output unit."""
    z = [unit(row, x) for row in hidden]
    return unit(output, z)


def inputs(n: int) -> list[Row]:
    """All 2**n bipolar input rows, lexicographic with -1 first: for n = 2,
    (-1, -1), (-1, 1), (1, -1), (1, 1)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    return list(itertools.product((-1, 1), repeat=n))


def truth_table(fn: Callable[[Row], int], n: int) -> list[int]:
    """[fn(x) for x in inputs(n)]: the outputs of `fn` (called with one input row, a
    tuple) in the order of `inputs(n)`."""
    return [fn(x) for x in inputs(n)]


def _bipolar(flag: bool) -> int:
    return 1 if flag else -1


AND: list[int] = truth_table(lambda x: _bipolar(all(v == 1 for v in x)), 2)
OR: list[int] = truth_table(lambda x: _bipolar(any(v == 1 for v in x)), 2)
NAND: list[int] = [-y for y in AND]
NOR: list[int] = [-y for y in OR]
XOR: list[int] = truth_table(lambda x: _bipolar(x[0] != x[1]), 2)
XNOR: list[int] = [-y for y in XOR]
MAJORITY3: list[int] = truth_table(lambda x: _bipolar(sum(v == 1 for v in x) >= 2), 3)

# The named 2-input functions (Q2.1 asks which one given weights compute).
FUNCTIONS2: dict[str, list[int]] = {
    "AND": AND,
    "OR": OR,
    "NAND": NAND,
    "NOR": NOR,
    "XOR": XOR,
    "XNOR": XNOR,
}

# Q2.1: the given weights, and the function they compute.
Q2_1_WEIGHTS: list[float] = [-1.5, 1, 1]
Q2_1_FUNCTION: str = "AND"

# Q2.2: one weight row [w0, w1, w2] for NOR.
Q2_2_W: list[float] = [-1, -1, -1]

# Q2.3: one weight row [w0, w1, w2, w3] for 3-input majority.
Q2_3_W: list[float] = [0, 1, 1, 1]

# Q2.4: the given hidden units (x1 AND NOT x2, NOT x1 AND x2) and one output row
# [w20, w21, w22] (an OR of the hidden units) that makes the Madaline compute XOR.
Q2_4_HIDDEN: list[list[float]] = [[-0.5, 1, -1], [-0.5, -1, 1]]
Q2_4_W: list[float] = [1.5, 1, 1]
