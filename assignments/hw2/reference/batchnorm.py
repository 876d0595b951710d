"""HW2 Problem 2: batch norm forward and backward for a (N, D) batch, training mode."""

from __future__ import annotations

from typing import Any

import torch


def batchnorm_forward(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, Any]:
    """out = gamma * (x - mean) / sqrt(var + eps) + beta per feature, with the batch mean and
    the biased batch variance; the cache holds what the backward pass needs."""
    mean = x.mean(dim=0)
    centered = x - mean
    var = (centered**2).mean(dim=0)
    inv_std = 1.0 / torch.sqrt(var + eps)
    x_hat = centered * inv_std
    out = gamma * x_hat + beta
    return out, (x_hat, inv_std, gamma)


def batchnorm_backward(dout: torch.Tensor, cache: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(dx, dgamma, dbeta) of the loss whose gradient at `out` is `dout`."""
    x_hat, inv_std, gamma = cache
    n = dout.shape[0]
    dbeta = dout.sum(dim=0)
    dgamma = (dout * x_hat).sum(dim=0)
    dx_hat = dout * gamma
    dx = inv_std / n * (n * dx_hat - dx_hat.sum(dim=0) - x_hat * (dx_hat * x_hat).sum(dim=0))
    return dx, dgamma, dbeta
