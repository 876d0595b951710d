"""HW2 Problem 3: a 2-D convolution (cross-correlation, as nn.Conv2d) by explicit loops."""

from __future__ import annotations

import torch


def conv2d_naive(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor, stride: int = 1, padding: int = 0) -> torch.Tensor:
    """x (N, C, H, W), w (F, C, KH, KW), b (F,) -> (N, F, H_out, W_out) with zero padding,
    H_out = (H + 2 padding - KH) // stride + 1 (and the same for W)."""
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    padded = torch.zeros((n, c, h + 2 * padding, wd + 2 * padding), dtype=x.dtype, device=x.device)
    padded[:, :, padding : padding + h, padding : padding + wd] = x
    h_out = (h + 2 * padding - kh) // stride + 1
    w_out = (wd + 2 * padding - kw) // stride + 1
    out = torch.zeros((n, f, h_out, w_out), dtype=x.dtype, device=x.device)
    for i in range(h_out):
        for j in range(w_out):
            window = padded[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]  # (N, C, KH, KW)
            for k in range(f):
                out[:, k, i, j] = (window * w[k]).sum(dim=(1, 2, 3)) + b[k]
    return out
