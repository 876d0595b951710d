"""The course scaffold for HW1 (shipped to students as the top-level module `scaffold`).

`CONV` and `FC` are thin subclasses of `nn.Conv2d` / `nn.Linear` that remember the shapes
of their last input and output, so a student (and the grader) can fill the Lab 2 table
from a real forward pass.

This file must import only torch: in the sandbox it is loaded by file path as `scaffold`,
next to the student's code, where the `reference` package does not exist.
"""

from __future__ import annotations

import torch
from torch import nn


class CONV(nn.Conv2d):
    """`nn.Conv2d(in_ch, out_ch, kernel, stride, padding)` that records its last shapes.

    `last_input_shape` / `last_output_shape` are tuples of ints, None before the first
    forward pass.
    """

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int = 1, padding: int = 0) -> None:
        super().__init__(in_ch, out_ch, kernel, stride=stride, padding=padding)
        self.last_input_shape: tuple[int, ...] | None = None
        self.last_output_shape: tuple[int, ...] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = super().forward(x)
        self.last_input_shape = tuple(x.shape)
        self.last_output_shape = tuple(out.shape)
        return out


class FC(nn.Linear):
    """`nn.Linear(in_f, out_f)` that records its last shapes (see `CONV`)."""

    def __init__(self, in_f: int, out_f: int) -> None:
        super().__init__(in_f, out_f)
        self.last_input_shape: tuple[int, ...] | None = None
        self.last_output_shape: tuple[int, ...] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = super().forward(x)
        self.last_input_shape = tuple(x.shape)
        self.last_output_shape = tuple(out.shape)
        return out
