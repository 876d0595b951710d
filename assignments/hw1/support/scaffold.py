"""The course scaffold for HW1 (shipped to students as the top-level module `scaffold`).

`CONV` and `FC` are the course's own classes ("Code block 2: Useful classes" of its starter
notebook): subclasses of `nn.Conv2d` / `nn.Linear` whose constructors take exactly the
PyTorch parameters with the same names and defaults, except that `CONV` defaults to
`bias=False`, as the course's does. Each keeps the tensors of its last call in `self.input`
and `self.output` (None before the first call), the way the course code records them, so a
student (and the grader) can fill the Lab 2 table from a real forward pass: the shapes are
`layer.input.shape` and `layer.output.shape`. The tensors keep their autograd history, as in
the course: call `.detach()` before `.numpy()`.

Students copy this code into their notebooks or import it (`from scaffold import CONV, FC`);
keyword and positional uses of `nn.Conv2d` / `nn.Linear` therefore both have to work here
(`CONV(in_channels=3, out_channels=6, kernel_size=5)`, `CONV(3, 6, 5, 1, 2)`).

This file must import only torch: in the sandbox it is loaded by file path as `scaffold`,
next to the student's code, where the `reference` package does not exist; the sandbox
captures it before the student's code runs, so rebinding `scaffold.CONV` changes nothing
the probes test against.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.modules.utils import _pair


class CONV(nn.Conv2d):
    """`nn.Conv2d` with the course's default `bias=False`, recording its last input and
    output tensors in `self.input` / `self.output`."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] | str = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        bias: bool = False,
        padding_mode: str = "zeros",
    ) -> None:
        # The course sets these before nn.Module.__init__ (allowed for plain attributes).
        self.input: torch.Tensor | None = None
        self.output: torch.Tensor | None = None
        padding = padding if isinstance(padding, str) else _pair(padding)
        super().__init__(
            in_channels, out_channels, _pair(kernel_size), _pair(stride), padding, _pair(dilation),
            groups, bias, padding_mode,
        )

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        self.input = input
        self.output = super().forward(input)
        return self.output


class FC(nn.Linear):
    """`nn.Linear` recording its last input and output tensors (see `CONV`)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        self.input: torch.Tensor | None = None
        self.output: torch.Tensor | None = None
        super().__init__(in_features, out_features, bias)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        self.input = input
        self.output = F.linear(input, self.weight, self.bias)
        return self.output
