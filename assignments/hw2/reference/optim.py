"""HW2 Problem 5: one step of SGD with momentum and weight decay, as torch.optim.SGD does it
(dampening 0, no Nesterov)."""

from __future__ import annotations

from collections.abc import Sequence

import torch


def sgd_momentum_step(
    params: Sequence[torch.Tensor],
    grads: Sequence[torch.Tensor],
    velocities: Sequence[torch.Tensor],
    lr: float,
    momentum: float,
    weight_decay: float,
) -> None:
    """In place, for each parameter p with gradient g and velocity v (zeros at first):
    g <- g + weight_decay * p;  v <- momentum * v + g;  p <- p - lr * v."""
    with torch.no_grad():
        for p, g, v in zip(params, grads, velocities):
            d = g + weight_decay * p
            v.mul_(momentum).add_(d)
            p.sub_(lr * v)
