"""Problem 3.2: the numeric instance (ReLU hidden layer, L = 1/2 (t - x3)^T (t - x3)),
computed with torch autograd from the handout's data."""

from __future__ import annotations

import torch

X1 = [[0.0], [1.0], [2.0]]
T = [[1.0], [2.0]]
W1 = [[3.0, -1.0, 1.0], [-5.0, 2.0, -1.0]]
B1 = [[1.0], [2.0]]
W2 = [[1.0, -2.0], [-3.0, 1.0]]
B2 = [[1.0], [1.0]]


def instance() -> dict[str, object]:
    """{"L": float, "dW1": 2x3, "db1": 2, "dW2": 2x2, "db2": 2} as plain lists."""
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in (("W1", W1), ("b1", B1), ("W2", W2), ("b2", B2))}
    x1, target = torch.tensor(X1, dtype=torch.float64), torch.tensor(T, dtype=torch.float64)
    x2 = torch.relu(t["W1"] @ x1 + t["b1"])
    x3 = t["W2"] @ x2 + t["b2"]
    loss = 0.5 * ((target - x3).T @ (target - x3)).squeeze()
    grads = torch.autograd.grad(loss, [t["W1"], t["b1"], t["W2"], t["b2"]])
    g = dict(zip(("dW1", "db1", "dW2", "db2"), grads))
    return {
        "L": float(loss.detach()),
        "dW1": g["dW1"].tolist(),
        "db1": g["db1"].reshape(-1).tolist(),
        "dW2": g["dW2"].tolist(),
        "db2": g["db2"].reshape(-1).tolist(),
    }


Q3_2 = instance()

Q3_1_EXPECTED = (
    "With d3 = x3 - t: dL/dW2 = d3 x2^T, dL/db2 = d3; d2 = (W2^T d3) * x2 * (1 - x2) (element-wise); "
    "dL/dW1 = d2 x1^T, dL/db1 = d2. (t - x3) with a leading minus, or diag(sigma'(z1)), are equivalent."
)
