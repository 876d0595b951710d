"""Problem 3: backpropagation through a sigmoid layer, in closed form."""
import torch


def sigmoid_layer_jacobians(W, b, x):
    x_next = torch.sigmoid(W @ x + b)
    d = x_next * (1 - x_next)
    dx = torch.diag(d) @ W
    db = torch.diag(d)
    n_out, n_in = W.shape
    dW = torch.zeros(n_out, n_out, n_in, dtype=W.dtype)
    for i in range(n_out):
        dW[i, i, :] = d[i] * x
    return dx, dW, db


def two_layer_grads(W1, b1, W2, b2, x1, t):
    y1 = W1 @ x1 + b1
    x2 = torch.sigmoid(y1)
    x3 = W2 @ x2 + b2
    e = x3 - t                      # dL/dx3
    delta = (W2.T @ e) * x2 * (1 - x2)
    return {
        "W1": torch.outer(delta, x1),
        "b1": delta,
        "W2": torch.outer(e, x2),
        "b2": e,
    }
