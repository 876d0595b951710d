"""HW1 Lab 3: gradients of one forward and backward pass, and all-zero initialization."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def layer_gradients(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradients of the mean cross-entropy of one batch, per parameter name (as in
    `model.named_parameters()`). Earlier `.grad` values are cleared first, so the result is
    this pass's gradient only; the tensors returned are detached clones. A parameter the
    loss does not depend on gets a zero gradient."""
    model.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(images), labels, reduction="mean")
    loss.backward()
    grads: dict[str, torch.Tensor] = {}
    for name, param in model.named_parameters():
        grad = param.grad if param.grad is not None else torch.zeros_like(param)
        grads[name] = grad.detach().clone()
    return grads


def zero_init(model: nn.Module) -> None:
    """Set every weight and bias of `model` to zero, in place."""
    with torch.no_grad():
        for param in model.parameters():
            param.zero_()
