"""HW2 Problem 4: SimpleCNN, conv-bn-relu-pool twice, then a linear layer to 10 classes."""

from __future__ import annotations

import torch
from torch import nn


class SimpleCNN(nn.Module):
    """(N, 3, 32, 32) -> (N, 10): conv 3x3 (16, padding 1) - BN - ReLU - maxpool 2,
    conv 3x3 (32, padding 1) - BN - ReLU - maxpool 2, flatten, linear 32*8*8 -> 10."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc = nn.Linear(32 * 8 * 8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.max_pool2d(torch.relu(self.bn1(self.conv1(x))), 2)
        x = torch.max_pool2d(torch.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(torch.flatten(x, 1))


def count_parameters(model: nn.Module) -> int:
    """The number of trainable parameters (what Problem 4 asks students to report)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


PARAM_COUNT = count_parameters(SimpleCNN())  # 25674
