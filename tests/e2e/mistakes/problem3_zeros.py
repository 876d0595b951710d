import torch


def sigmoid_layer_jacobians(W, b, x):
    n_out, n_in = W.shape
    return torch.zeros(n_out, n_in), torch.zeros(n_out, n_out, n_in), torch.zeros(n_out, n_out)


def two_layer_grads(W1, b1, W2, b2, x1, t):
    return {"W1": torch.zeros_like(W1), "b1": torch.zeros_like(b1), "W2": torch.zeros_like(W2), "b2": torch.zeros_like(b2)}
