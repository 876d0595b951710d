"""HW2 Problem 1: batch norm by hand on a 4x3 batch, and a true/false question."""

from __future__ import annotations

import math

# The batch of Problem 1 (4 samples, 3 features); gamma = 1, beta = 0, eps = 1e-5.
X: list[list[float]] = [
    [1.0, 2.0, 0.0],
    [3.0, 6.0, 1.0],
    [5.0, 4.0, 2.0],
    [7.0, 12.0, 5.0],
]
EPS = 1e-5


def normalized() -> list[list[float]]:
    """X normalized per feature with the batch mean and the biased batch variance (divide
    by N, as batch norm does in training), computed by plain arithmetic."""
    n, d = len(X), len(X[0])
    out = [[0.0] * d for _ in range(n)]
    for j in range(d):
        column = [X[i][j] for i in range(n)]
        mean = sum(column) / n
        var = sum((v - mean) ** 2 for v in column) / n
        for i in range(n):
            out[i][j] = (column[i] - mean) / math.sqrt(var + EPS)
    return out


NORMALIZED = normalized()

KEY = {
    "tf": {
        "statement": "At test time, batch norm normalizes each input with the mean and variance of the test batch it is in.",
        "answer": False,
        "explanation": "In eval mode batch norm uses the running mean and variance collected during training, so a "
        "prediction does not depend on the other inputs of the batch (a batch of one works).",
    },
}
