"""HW2 Problem 6: one epoch of mini-batch training."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def train_one_epoch(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    batch_size: int,
) -> float:
    """One pass over (X, y) in order, in mini-batches of `batch_size` (the last may be
    smaller): zero the gradients, forward, loss, backward, step. Returns the mean of the
    batches' losses weighted by batch size (the epoch's mean loss)."""
    model.train()
    total, count = 0.0, 0
    for start in range(0, len(X), batch_size):
        xb, yb = X[start : start + batch_size], y[start : start + batch_size]
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * len(xb)
        count += len(xb)
    return total / count
