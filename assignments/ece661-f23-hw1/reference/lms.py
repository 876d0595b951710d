"""Lab 1 (LMS on dataset.mat): the reference numbers the report is graded against.

Convention A of the handout facts: e_k = d_k - x_k^T W, W <- W + r e_k x_k, rows in order,
W0 = 0, MSE = mean of squared errors over the whole data set (no 1/2), recorded after each
epoch. Computed here from the pack's support/dataset.mat, never typed in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

DATA = Path(__file__).resolve().parent.parent / "support" / "dataset.mat"
RATES = (0.005, 0.01, 0.05, 0.5)
EPOCHS = 20


def load() -> tuple[np.ndarray, np.ndarray]:
    """X (100, 3) with a leading column of ones, D (100,)."""
    mat = scipy.io.loadmat(str(DATA))
    return np.asarray(mat["X"], dtype=np.float64), np.asarray(mat["D"], dtype=np.float64).reshape(-1)


def mse(X: np.ndarray, D: np.ndarray, W: np.ndarray) -> float:
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.mean((D - X @ W) ** 2))


def closed_form(X: np.ndarray, D: np.ndarray) -> np.ndarray:
    """W* = R^-1 P with R = X^T X / N and P = X^T D / N."""
    n = len(D)
    return np.linalg.solve(X.T @ X / n, X.T @ D / n)


def lms(X: np.ndarray, D: np.ndarray, r: float, epochs: int = EPOCHS) -> tuple[np.ndarray, list[float]]:
    """(final W, MSE per epoch with epoch 0 = the initial W = 0: epochs + 1 values)."""
    W = np.zeros(X.shape[1])
    history = [mse(X, D, W)]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(epochs):
            for x_k, d_k in zip(X, D):
                W = W + r * (d_k - x_k @ W) * x_k
            history.append(mse(X, D, W))
    return W, history


_X, _D = load()
W_STAR: list[float] = closed_form(_X, _D).tolist()
MSE_STAR: float = mse(_X, _D, np.asarray(W_STAR))
W_LMS, _HISTORY = lms(_X, _D, 0.01)
W_LMS_001: list[float] = W_LMS.tolist()
MSE_LMS_001: float = _HISTORY[-1]
CURVES: dict[float, list[float]] = {r: lms(_X, _D, r)[1] for r in (*RATES, 1.0)}
