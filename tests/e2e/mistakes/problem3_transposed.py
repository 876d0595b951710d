import torch


def sigmoid_layer_jacobians(W, b, x):
    s = torch.sigmoid(W @ x + b)
    d = s * (1 - s)
    dx = W.T * d          # transposed: (n_in, n_out)
    db = torch.diag(d)
    dW = torch.einsum("ij,k->ijk", torch.diag(d), x)
    return dx, dW, db


def two_layer_grads(W1, b1, W2, b2, x1, t):
    x2 = torch.sigmoid(W1 @ x1 + b1)
    x3 = W2 @ x2 + b2
    e = x3 - t
    delta = (W2.T @ e) * x2 * (1 - x2)
    return {"W1": torch.outer(x1, delta), "b1": delta, "W2": torch.outer(e, x2), "b2": e}
