"""Shared fixtures for the HW1 reference tests: a probe context on the reference, and an
independent float64 LeNet-5 gradient computation (no code shared with the solution)."""

from __future__ import annotations

import pathlib
from collections.abc import Callable
from types import ModuleType

import pytest
import torch
import torch.nn.functional as F

from grader.packs import Pack

PACK = Pack.at(__file__)
HW1 = PACK.root


class RefContext:
    """ProbeContext on the reference: module(name) is the pack's reference/<name>.py, or
    its support/<name>.py (the scaffold), as the sandbox shows it to student code."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device

    def module(self, name: str) -> ModuleType:
        if (HW1 / "support" / f"{name}.py").is_file():
            return PACK.module(f"support.{name}")
        return PACK.module(f"reference.{name}")

    def data_path(self, name: str) -> pathlib.Path:
        return HW1 / "support" / name


@pytest.fixture
def ref_ctx() -> RefContext:
    return RefContext()


@pytest.fixture(scope="session")
def hw1_dir() -> pathlib.Path:
    return HW1


def _lenet_logits(p: dict[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    x = F.max_pool2d(torch.relu(F.conv2d(x, p["conv1.weight"], p.get("conv1.bias"))), 2)
    x = F.max_pool2d(torch.relu(F.conv2d(x, p["conv2.weight"], p.get("conv2.bias"))), 2)
    x = x.reshape(x.shape[0], -1)
    x = torch.relu(x @ p["fc1.weight"].T + p["fc1.bias"])
    x = torch.relu(x @ p["fc2.weight"].T + p["fc2.bias"])
    return x @ p["fc3.weight"].T + p["fc3.bias"]


def lenet_grads_f64(
    params: dict[str, torch.Tensor], images: torch.Tensor, labels: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Gradients of the mean cross-entropy of LeNet-5 (written out functionally, loss as
    logsumexp minus the true logit), computed in float64 with torch.autograd.grad."""
    leaves = {k: v.detach().to(torch.float64).clone().requires_grad_(True) for k, v in params.items()}
    logits = _lenet_logits(leaves, images.detach().to(torch.float64))
    loss = (torch.logsumexp(logits, dim=1) - logits[torch.arange(len(labels)), labels]).mean()
    grads = torch.autograd.grad(loss, list(leaves.values()))
    return dict(zip(leaves, grads))


@pytest.fixture(scope="session")
def independent_lenet_grads() -> Callable[..., dict[str, torch.Tensor]]:
    return lenet_grads_f64
