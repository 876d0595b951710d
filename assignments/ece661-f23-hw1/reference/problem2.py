"""Problem 2 (Adalines, +1 = True, -1 = False, output Sign(s)): the reference weights and
truth tables, computed from the weights (nothing typed in but the figures' numbers)."""

from __future__ import annotations

import itertools

import numpy as np

ROWS2: list[list[int]] = [[-1, -1], [-1, 1], [1, -1], [1, 1]]  # the handout's row order
ROWS3: list[list[int]] = [list(r) for r in itertools.product((-1, 1), repeat=3)]


def sign(s: np.ndarray) -> np.ndarray:
    """Sign() of the handout; s = 0 is undefined there and never reached by these weights."""
    if np.any(s == 0):
        raise ValueError("s = 0: Sign(0) is not defined by the handout")
    return np.where(s > 0, 1, -1)


def adaline(w: list[float], rows: list[list[int]]) -> tuple[list[float], list[int]]:
    """(s, y) per row for weights [w0, w1, ...] (w0 on the constant +1 input)."""
    x = np.asarray(rows, dtype=np.float64)
    s = w[0] + x @ np.asarray(w[1:], dtype=np.float64)
    return [float(v) for v in s], [int(v) for v in sign(s)]


# Figure 1 as rendered: w0 = 4 (the PDF's hidden text layer says -2, which would be AND).
Q2_1_W = [4.0, 2.0, 1.0]
Q2_1_S, Q2_1_Y = adaline(Q2_1_W, ROWS2)
Q2_1_FUNCTION = "constant true"
Q2_1_NAMES = ["constant true", "always true", "true", "tautology", "constant 1", "constant +1", "always +1", "always 1"]

NAND_Y = [1, 1, 1, -1]
Q2_2_W = [1.0, -1.0, -1.0]
Q2_2_S, _ = adaline(Q2_2_W, ROWS2)

MAJORITY_Y = [1 if sum(r) > 0 else -1 for r in ROWS3]
Q2_3_W = [0.0, 1.0, 1.0, 1.0]
Q2_3_S, _ = adaline(Q2_3_W, ROWS3)

# Problem 2.4: the fixed first layer, [bias, weight on x1, weight on x2] per hidden unit
Q2_4_HIDDEN = [[0.5, -1.0, 1.0], [0.5, 1.0, -1.0]]
XOR_Y = [-1, 1, 1, -1]
Q2_4_W = [1.0, -1.0, -1.0]


def hidden(rows: list[list[int]]) -> list[list[int]]:
    """(h1, h2) per row through the fixed first layer of Figure 4."""
    return [[adaline(unit, [row])[1][0] for unit in Q2_4_HIDDEN] for row in rows]


Q2_4_H = hidden(ROWS2)
Q2_4_S, _ = adaline(Q2_4_W, Q2_4_H)
