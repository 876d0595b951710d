"""HW1 Lab 2: LeNet-5 built from the scaffold's CONV and FC, and its per-layer table.

`layer_table()` measures the table with forward hooks on a real forward pass; nothing in
it is typed in. `LENET_ARCH` describes the same network as plain data, for the probes'
generic builder (Lab 3 grades with a model built from it, not with this class).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from ..support.scaffold import CONV, FC

LAYER_NAMES: list[str] = ["conv1", "conv2", "fc1", "fc2", "fc3"]

INPUT_SHAPE: tuple[int, int, int, int] = (1, 3, 32, 32)

LENET_ARCH: list[dict[str, object]] = [
    {"layer": "conv", "name": "conv1", "in": 3, "out": 6, "kernel": 5},
    {"layer": "relu"},
    {"layer": "maxpool", "kernel": 2},
    {"layer": "conv", "name": "conv2", "in": 6, "out": 16, "kernel": 5},
    {"layer": "relu"},
    {"layer": "maxpool", "kernel": 2},
    {"layer": "flatten"},
    {"layer": "fc", "name": "fc1", "in": 400, "out": 120},
    {"layer": "relu"},
    {"layer": "fc", "name": "fc2", "in": 120, "out": 84},
    {"layer": "relu"},
    {"layer": "fc", "name": "fc3", "in": 84, "out": 10},
]


class LeNet5(nn.Module):
    """CONV(3,6,5) - ReLU - maxpool 2 - CONV(6,16,5) - ReLU - maxpool 2 - flatten -
    FC(400,120) - ReLU - FC(120,84) - ReLU - FC(84,10). Input (N, 3, 32, 32), output
    (N, 10) logits."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = CONV(3, 6, 5)
        self.conv2 = CONV(6, 16, 5)
        self.fc1 = FC(400, 120)
        self.fc2 = FC(120, 84)
        self.fc3 = FC(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


def _macs(layer: nn.Module, out: torch.Tensor) -> int:
    """Multiply-accumulates of one call: each output element costs one dot product."""
    if isinstance(layer, nn.Conv2d):
        kh, kw = layer.kernel_size
        return out.numel() * (layer.in_channels // layer.groups) * kh * kw
    if isinstance(layer, nn.Linear):
        return out.numel() * layer.in_features
    raise TypeError(f"no MAC formula for {type(layer).__name__}")


def layer_table() -> dict[str, dict[str, object]]:
    """Per layer of LeNet5 (keys in LAYER_NAMES order): input_shape, output_shape,
    weight_shape (lists of ints), params (weight elements; the bias is not counted) and
    macs, measured with forward hooks on a forward pass of a (1, 3, 32, 32) input."""
    with torch.random.fork_rng(devices=[]):  # the weights do not matter; keep the global RNG as it was
        model = LeNet5()
    table: dict[str, dict[str, object]] = {}
    handles = []

    def hook_for(name: str, layer: nn.Module) -> Callable[[nn.Module, tuple[torch.Tensor, ...], torch.Tensor], None]:
        def hook(module: nn.Module, args: tuple[torch.Tensor, ...], out: torch.Tensor) -> None:
            table[name] = {
                "input_shape": list(args[0].shape),
                "output_shape": list(out.shape),
                "weight_shape": list(layer.weight.shape),
                "params": layer.weight.numel(),
                "macs": _macs(layer, out),
            }

        return hook

    for name in LAYER_NAMES:
        layer = getattr(model, name)
        handles.append(layer.register_forward_hook(hook_for(name, layer)))
    try:
        with torch.no_grad():
            model(torch.zeros(INPUT_SHAPE))
    finally:
        for handle in handles:
            handle.remove()
    return {name: table[name] for name in LAYER_NAMES}
