"""HW1 Problem 3: backpropagation through sigmoid layers, in closed form (no autograd).

Inputs are float64 torch tensors (anything `torch.as_tensor` accepts is converted to
float64); x, b and t are 1-D. Results are float64 tensors on the inputs' device.
"""

from __future__ import annotations

import torch


def _f64(value: object, like: torch.Tensor | None = None) -> torch.Tensor:
    device = like.device if like is not None else None
    return torch.as_tensor(value, dtype=torch.float64, device=device)


def sigmoid_layer_jacobians(W: torch.Tensor, b: torch.Tensor, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Local Jacobians of x_next = sigmoid(W x + b), with W of shape (n_out, n_in).

    Returns (dx, dW, db):
      dx[i, k]    = d x_next_i / d x_k    = s_i (1 - s_i) W[i, k],      shape (n_out, n_in)
      dW[i, j, k] = d x_next_i / d W[j, k] = delta_ij s_i (1 - s_i) x_k, shape (n_out, n_out, n_in)
      db[i, j]    = d x_next_i / d b_j    = delta_ij s_i (1 - s_i),     shape (n_out, n_out)
    where s = x_next.
    """
    W = _f64(W)
    b = _f64(b, W)
    x = _f64(x, W)
    s = torch.sigmoid(W @ x + b)
    d = s * (1.0 - s)
    dx = d[:, None] * W
    db = torch.diag(d)
    dW = db[:, :, None] * x[None, None, :]
    return dx, dW, db


def two_layer_grads(
    W1: torch.Tensor, b1: torch.Tensor, W2: torch.Tensor, b2: torch.Tensor, x1: torch.Tensor, t: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Gradients of L = 1/2 |t - x3|^2 for y1 = W1 x1 + b1, x2 = sigmoid(y1),
    x3 = W2 x2 + b2, shaped like the parameters:

      dL/db2 = e = x3 - t           dL/dW2 = e x2^T
      dL/db1 = g = (W2^T e) * x2 * (1 - x2)   dL/dW1 = g x1^T
    """
    W1 = _f64(W1)
    b1, W2, b2, x1, t = (_f64(v, W1) for v in (b1, W2, b2, x1, t))
    x2 = torch.sigmoid(W1 @ x1 + b1)
    x3 = W2 @ x2 + b2
    e = x3 - t
    g = (W2.T @ e) * x2 * (1.0 - x2)
    return {
        "W1": torch.outer(g, x1),
        "b1": g,
        "W2": torch.outer(e, x2),
        "b2": e,
    }
