"""HW1's known mistakes: variants of the reference that make a mistake students make.

Run in the grader's process only (never shipped to the sandbox or a student kit), with
the same probe inputs as the reference; a check that names a mistake (`mistakes:` in
rubrics/hw1.yaml) tells a student whose failing output matches it what they did. See
grader/mistakes.py for the format of `MISTAKES`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .reference import lab1, lab2, problem3
from .support.scaffold import CONV, FC

# ------------------------------------------------------------------------------ Lab 1


def lms_batch_gradient(X: np.ndarray, y: np.ndarray, lr: float = lab1.LEARNING_RATE, epochs: int = lab1.EPOCHS):
    """One update per epoch with the mean gradient over all rows (batch gradient descent)."""
    A = lab1._augment(X)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    w = np.zeros(A.shape[1])
    history = np.empty(epochs)
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            w = w + lr * A.T @ (y - A @ w) / len(y)
            history[epoch] = np.mean((A @ w - y) ** 2)
    return w, history


def lms_update_sign(X: np.ndarray, y: np.ndarray, lr: float = lab1.LEARNING_RATE, epochs: int = lab1.EPOCHS):
    """The update with the wrong sign, w <- w - lr (y_i - w . a_i) a_i: a step up the error."""
    A = lab1._augment(X)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    w = np.zeros(A.shape[1])
    history = np.empty(epochs)
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            for a_i, y_i in zip(A, y):
                w = w - lr * (y_i - w @ a_i) * a_i
            history[epoch] = np.mean((A @ w - y) ** 2)
    return w, history


def lms_no_bias(X: np.ndarray, y: np.ndarray, lr: float = lab1.LEARNING_RATE, epochs: int = lab1.EPOCHS):
    """Per-sample LMS on X itself: no column of ones, so no b."""
    A = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    w = np.zeros(A.shape[1])
    history = np.empty(epochs)
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            for a_i, y_i in zip(A, y):
                w = w + lr * (y_i - w @ a_i) * a_i
            history[epoch] = np.mean((A @ w - y) ** 2)
    return w, history


def lms_half_mse(X: np.ndarray, y: np.ndarray, lr: float = lab1.LEARNING_RATE, epochs: int = lab1.EPOCHS):
    """The right weights, with the slides' MSE: 1/2 mean squared residual."""
    w, history = lab1.lms(X, y, lr=lr, epochs=epochs)
    return w, 0.5 * history


def lms_one_epoch_short(X: np.ndarray, y: np.ndarray, lr: float = lab1.LEARNING_RATE, epochs: int = lab1.EPOCHS):
    """One epoch fewer than asked (range(1, epochs)): the weights after 19 epochs."""
    return lab1.lms(X, y, lr=lr, epochs=epochs - 1)


def lms_shuffled(X: np.ndarray, y: np.ndarray, lr: float = lab1.LEARNING_RATE, epochs: int = lab1.EPOCHS):
    """Rows visited in a new random order every epoch (np.random.permutation, numpy's global
    RNG, which the grader seeds the same way on both sides)."""
    A = lab1._augment(X)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    w = np.zeros(A.shape[1])
    history = np.empty(epochs)
    with np.errstate(over="ignore", invalid="ignore"):
        for epoch in range(epochs):
            for i in np.random.permutation(len(y)):
                w = w + lr * (y[i] - w @ A[i]) * A[i]
            history[epoch] = np.mean((A @ w - y) ** 2)
    return w, history


def closed_form_no_bias(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares on X itself: no column of ones, so no b."""
    return np.linalg.lstsq(np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64).reshape(-1), rcond=None)[0]


# ------------------------------------------------------------------------------ Problem 2


def negated_outputs(expected: Any) -> Any:
    """The opposite logic function (OR for NOR): every weight's sign flipped."""
    return [-y for y in expected]


# ------------------------------------------------------------------------------ Problem 3


def jacobians_dx_transposed(W, b, x):
    """dx as d x_k / d x_next_i: shape (n_in, n_out) instead of (n_out, n_in)."""
    dx, dW, db = problem3.sigmoid_layer_jacobians(W, b, x)
    return dx.T, dW, db


def jacobians_derivative_at_preactivation(W, b, x):
    """sigma'(z) taken as z (1 - z) with z = W x + b, the pre-activation, not s = sigma(z)."""
    W = problem3._f64(W)
    b, x = problem3._f64(b, W), problem3._f64(x, W)
    z = W @ x + b
    d = z * (1.0 - z)
    db = torch.diag(d)
    return d[:, None] * W, db[:, :, None] * x[None, None, :], db


def two_layer_outer_transposed(W1, b1, W2, b2, x1, t):
    """dW = x delta^T instead of delta x^T: the weight gradients shaped like W^T."""
    grads = problem3.two_layer_grads(W1, b1, W2, b2, x1, t)
    return {**grads, "W1": grads["W1"].T, "W2": grads["W2"].T}


def two_layer_derivative_at_preactivation(W1, b1, W2, b2, x1, t):
    """sigma'(y1) taken as y1 (1 - y1), at the pre-activation y1 = W1 x1 + b1."""
    W1 = problem3._f64(W1)
    b1, W2, b2, x1, t = (problem3._f64(v, W1) for v in (b1, W2, b2, x1, t))
    y1 = W1 @ x1 + b1
    x2 = torch.sigmoid(y1)
    e = W2 @ x2 + b2 - t
    g = (W2.T @ e) * y1 * (1.0 - y1)
    return {"W1": torch.outer(g, x1), "b1": g, "W2": torch.outer(e, x2), "b2": e}


# ------------------------------------------------------------------------------ Lab 2


def table_params_with_bias(expected: Any) -> Any:
    """The table with # Param counting the bias too (one per output channel or unit)."""
    table = copy.deepcopy(expected)
    for row in table.values():
        row["params"] = row["params"] + row["weight_shape"][0]
    return table


def table_macs_with_bias(expected: Any) -> Any:
    """The table with # MAC counting the bias addition too (one more per output element)."""
    table = copy.deepcopy(expected)
    for row in table.values():
        row["macs"] = row["macs"] + int(np.prod(row["output_shape"][1:]))
    return table


class LeNet5Padded(nn.Module):
    """LeNet-5 with padding 2 on conv1 (the original 28x28 MNIST LeNet): conv1 keeps 32x32,
    so fc1 sees 16 x 6 x 6 = 576 features."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = CONV(3, 6, 5, padding=2)
        self.conv2 = CONV(6, 16, 5)
        self.fc1 = FC(576, 120)
        self.fc2 = FC(120, 84)
        self.fc3 = FC(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


# ------------------------------------------------------------------------------ Lab 3


def layer_gradients_sum(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradients of the summed (not mean) cross-entropy over the batch."""
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(images), labels, reduction="sum").backward()
    return {name: (p.grad if p.grad is not None else torch.zeros_like(p)).detach().clone()
            for name, p in model.named_parameters()}


def zero_init_weights_only(model: nn.Module) -> None:
    """Zeroes the weights but leaves the biases as they were."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            if not name.endswith("bias"):
                param.zero_()


_ = lab2  # the reference's LeNet5 is the one these variants differ from

MISTAKES: dict[str, dict[str, Any]] = {
    "lms_batch_gradient": {
        "replace": {"lab1.lms": lms_batch_gradient},
        "explain": "this is batch gradient descent (one update per epoch with the gradient over all rows); "
                   "the handout asks for LMS: one update per row, rows in order",
    },
    "lms_update_sign": {
        "replace": {"lab1.lms": lms_update_sign},
        "explain": "your update has the wrong sign, so each step goes up the error and the weights blow up; "
                   "LMS adds lr (y_i - w . a_i) a_i",
    },
    "lms_no_bias": {
        "replace": {"lab1.lms": lms_no_bias},
        "explain": "this is LMS without the column of ones, so the model has no bias b; "
                   "append 1 to every row so that w = [w1, w2, b]",
    },
    "half_mse": {
        "replace": {"lab1.lms": lms_half_mse},
        "explain": "this is the MSE with the 1/2 factor (the slides' convention); "
                   "the handout asks for the plain mean of the squared errors",
    },
    "lms_19_epochs": {
        "replace": {"lab1.lms": lms_one_epoch_short},
        "explain": "these are the weights after 19 epochs: your loop runs one epoch fewer than `epochs`",
    },
    "lms_shuffled_rows": {
        "replace": {"lab1.lms": lms_shuffled},
        "explain": "you visit the rows in a random order; the handout asks for the rows in file order",
    },
    "closed_form_no_bias": {
        "replace": {"lab1.closed_form": closed_form_no_bias},
        "explain": "this is least squares without the column of ones, so there is no bias b; "
                   "solve with A = [X, 1] to get w = [w1, w2, b]",
    },
    "weights_negated": {
        "derive": negated_outputs,
        "explain": "your weights compute the opposite function (every output flipped): "
                   "flip the sign of every weight, the bias weight w0 included",
    },
    "jacobian_transposed": {
        "replace": {"problem3.sigmoid_layer_jacobians": jacobians_dx_transposed},
        "explain": "your dx is transposed: dx[i, k] is d x_next_i / d x_k, shape (n_out, n_in)",
    },
    "sigmoid_derivative_at_preactivation": {
        "replace": {"problem3.sigmoid_layer_jacobians": jacobians_derivative_at_preactivation},
        "explain": "the sigmoid's derivative is s (1 - s) with s = sigmoid(z), the layer's output; "
                   "you took z (1 - z) at the pre-activation z = W x + b",
    },
    "two_layer_outer_transposed": {
        "replace": {"problem3.two_layer_grads": two_layer_outer_transposed},
        "explain": "your weight gradients are transposed: dL/dW is (error signal) times (layer input)^T, "
                   "shaped like W (n_out, n_in), not x delta^T",
    },
    "two_layer_derivative_at_preactivation": {
        "replace": {"problem3.two_layer_grads": two_layer_derivative_at_preactivation},
        "explain": "the sigmoid's derivative is x2 (1 - x2) with x2 = sigmoid(y1); "
                   "you took y1 (1 - y1) at the pre-activation y1 = W1 x1 + b1",
    },
    "table_params_with_bias": {
        "derive": table_params_with_bias,
        "explain": "your # Param counts the biases too; the handout counts weight elements only",
    },
    "table_macs_with_bias": {
        "derive": table_macs_with_bias,
        "explain": "your # MAC counts the bias addition as one more per output; "
                   "the handout counts one multiply-accumulate per weight use only",
    },
    "lenet_padding_2": {
        "replace": {"lab2.LeNet5": LeNet5Padded},
        "explain": "conv1 has padding 2 (the 28x28 MNIST LeNet); on 32x32 inputs LeNet-5's conv1 has no padding, "
                   "so that fc1 sees 16 x 5 x 5 = 400 features",
    },
    "cross_entropy_sum": {
        "replace": {"lab3.layer_gradients": layer_gradients_sum},
        "explain": "these are the gradients of the summed cross-entropy (batch-size times too large); "
                   "the handout asks for the mean over the batch",
    },
    "zero_init_weights_only": {
        "replace": {"lab3.zero_init": zero_init_weights_only},
        "explain": "zero_init sets the weights to zero but leaves the biases: every parameter, biases too, must be zero",
    },
}
