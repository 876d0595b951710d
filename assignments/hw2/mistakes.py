"""HW2's known mistakes: variants of the reference that make a mistake students make.

Run in the grader's process only, with the same probe inputs as the reference; a check
that names one (`mistakes:` in rubric.yaml) tells a student whose failing output matches
it what they did. See grader/mistakes.py for the format of `MISTAKES`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from .reference import conv, optim


def bn_forward_unbiased(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, Any]:
    """The variance divided by N - 1 (torch.var's default) instead of N."""
    mean = x.mean(dim=0)
    var = x.var(dim=0, unbiased=True)
    inv_std = 1.0 / torch.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


def bn_forward_eps_outside(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, Any]:
    """eps added to the standard deviation, (x - mean) / (sqrt(var) + eps)."""
    mean = x.mean(dim=0)
    var = ((x - mean) ** 2).mean(dim=0)
    inv_std = 1.0 / (torch.sqrt(var) + eps)
    x_hat = (x - mean) * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


def conv_no_padding(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """The padding argument ignored: a 'valid' convolution."""
    return conv.conv2d_naive(x, w, b, stride=stride, padding=0)


def conv_stride_ignored(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """Every position computed: stride 1 whatever was asked."""
    return conv.conv2d_naive(x, w, b, stride=1, padding=padding)


def sgd_decay_after_momentum(params: Sequence[torch.Tensor], grads: Sequence[torch.Tensor], velocities: Sequence[torch.Tensor],
                             lr: float, momentum: float, weight_decay: float) -> None:
    """Momentum applied to the raw gradient and weight decay added afterwards:
    v <- momentum v + g; p <- p - lr (v + weight_decay p)."""
    with torch.no_grad():
        for p, g, v in zip(params, grads, velocities):
            v.mul_(momentum).add_(g)
            p.sub_(lr * (v + weight_decay * p))


def sgd_no_weight_decay(params: Sequence[torch.Tensor], grads: Sequence[torch.Tensor], velocities: Sequence[torch.Tensor],
                        lr: float, momentum: float, weight_decay: float) -> None:
    """weight_decay accepted and not used."""
    optim.sgd_momentum_step(params, grads, velocities, lr, momentum, 0.0)


MISTAKES: dict[str, dict[str, Any]] = {
    "bn_unbiased_variance": {
        "explain": "this is batch norm with the unbiased variance (divided by N - 1, torch.var's default); "
        "batch norm divides by N (unbiased=False)",
        "replace": {"batchnorm.batchnorm_forward": bn_forward_unbiased},
    },
    "bn_eps_outside_sqrt": {
        "explain": "eps is added to the standard deviation here; it belongs under the square root, sqrt(var + eps)",
        "replace": {"batchnorm.batchnorm_forward": bn_forward_eps_outside},
    },
    "conv_no_padding": {
        "explain": "this is the convolution without the zero padding: pad the input by `padding` on every side first",
        "replace": {"conv.conv2d_naive": conv_no_padding},
    },
    "conv_stride_ignored": {
        "explain": "this is the convolution at every position (stride 1): move the window by `stride`",
        "replace": {"conv.conv2d_naive": conv_stride_ignored},
    },
    "sgd_decay_after_momentum": {
        "explain": "weight decay is added after the momentum here; torch.optim.SGD adds weight_decay * p to the "
        "gradient first, and the velocity accumulates that sum",
        "replace": {"optim.sgd_momentum_step": sgd_decay_after_momentum},
    },
    "sgd_no_weight_decay": {
        "explain": "this is SGD with momentum but without weight decay: add weight_decay * p to each gradient",
        "replace": {"optim.sgd_momentum_step": sgd_no_weight_decay},
    },
}
