"""HW1 Lab 1: linear regression in closed form and by LMS, on `support/lab1.csv`.

The model is y_hat = w1 x1 + w2 x2 + b with w = [w1, w2, b]; X has shape (N, 2) and the
bias is handled by appending a column of ones ("augmented" rows a_i = [x1, x2, 1]).
Everything is float64 numpy.
"""

from __future__ import annotations

import pathlib

import numpy as np

DATA_PATH = pathlib.Path(__file__).resolve().parent.parent / "support" / "lab1.csv"

# Lab 1 (d): the learning-rate sweep. 0.001 .. 0.1 converge on the course data (0.001
# slowly: its MSE is still falling after 20 epochs); 0.5 and 1.0 diverge (the MSE grows
# by tens of orders of magnitude, and overflows to NaN for 1.0).
LEARNING_RATES: list[float] = [0.001, 0.003, 0.01, 0.03, 0.1, 0.5, 1.0]

EPOCHS = 20
LEARNING_RATE = 0.01


def load_data(path: str | pathlib.Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) from a csv with header `x1,x2,y`: X of shape (N, 2), y of shape (N,)."""
    path = DATA_PATH if path is None else pathlib.Path(path)
    with open(path, encoding="utf-8") as fh:
        header = fh.readline().strip().split(",")
        if header != ["x1", "x2", "y"]:
            raise ValueError(f"{path}: expected the header 'x1,x2,y', got {','.join(header)!r}")
        data = np.loadtxt(fh, delimiter=",", dtype=np.float64, ndmin=2)
    if data.shape[1] != 3:
        raise ValueError(f"{path}: expected 3 columns, got {data.shape[1]}")
    return data[:, :2].copy(), data[:, 2].copy()


def _augment(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (N, features), got {X.shape}")
    return np.hstack([X, np.ones((X.shape[0], 1))])


def closed_form(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares w = [w1, w2, b] minimizing |A w - y|^2, A = [X, 1].

    Solved by Householder QR (A = QR, R w = Q^T y) rather than the normal equations,
    whose condition number is the square of A's: the hidden data sets include a badly
    scaled one.
    """
    A = _augment(X)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    if A.shape[0] < A.shape[1]:
        raise ValueError(f"need at least {A.shape[1]} rows for {A.shape[1]} unknowns, got {A.shape[0]}")
    q, r = np.linalg.qr(A, mode="reduced")
    return np.linalg.solve(r, q.T @ y)


def mse(X: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Mean squared error of w = [w1, w2, b] on (X, y)."""
    residual = _augment(X) @ np.asarray(w, dtype=np.float64) - np.asarray(y, dtype=np.float64).reshape(-1)
    return float(np.mean(residual**2))


def lms(X: np.ndarray, y: np.ndarray, lr: float = LEARNING_RATE, epochs: int = EPOCHS) -> tuple[np.ndarray, np.ndarray]:
    """Online LMS: w starts at zeros; for each epoch, for each row i in order,
    w <- w + lr (y_i - w . a_i) a_i. Returns (w, mse_per_epoch), the MSE over the whole
    data set after each epoch.

    A learning rate that is too large makes w overflow to inf and then NaN; that is the
    expected outcome for the (d) sweep, so it happens quietly (no warning, no error).
    """
    A = _augment(X)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    w = np.zeros(A.shape[1])
    history = np.empty(epochs)
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            for a_i, y_i in zip(A, y):
                w = w + lr * (y_i - w @ a_i) * a_i
            history[epoch] = np.mean((A @ w - y) ** 2)
    return w, history


def answers(path: str | pathlib.Path | None = None) -> dict[str, dict[str, object]]:
    """The numbers Lab 1 (a) and (b) ask for, on the course data (plain lists and floats)."""
    X, y = load_data(path)
    w_star = closed_form(X, y)
    w_lms, _ = lms(X, y, lr=LEARNING_RATE, epochs=EPOCHS)
    return {
        "closed_form": {"w": [float(v) for v in w_star], "mse": mse(X, y, w_star)},
        "lms": {"w": [float(v) for v in w_lms]},
    }
