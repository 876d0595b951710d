"""Problem 4.1: the 5x9 output of the handout's kernel on its input (zero padding 1,
stride 1), computed with torch.nn.functional.conv2d (the kernel is symmetric under a 180
degree rotation, so convolution and cross-correlation agree)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

A = [
    [0, 0, -1, 0, 0, 0, 1, 0, 0],
    [0, -1, -1, -1, 0, 1, 1, 1, 0],
    [-1, -1, -1, -1, 0, 1, 1, 1, 1],
    [0, -1, -1, -1, 0, 1, 1, 1, 0],
    [0, 0, -1, 0, 0, 0, 1, 0, 0],
]
K = [[0.0, -0.5, 0.0], [-0.5, 1.0, -0.5], [0.0, -0.5, 0.0]]


def output() -> list[list[float]]:
    a = torch.tensor(A, dtype=torch.float64)[None, None]
    k = torch.tensor(K, dtype=torch.float64)[None, None]
    return F.conv2d(a, k, padding=1)[0, 0].tolist()


Q4_1 = output()

Q4_2_EXPECTED = (
    "A Laplacian-type (4-neighbour) high-pass / edge-detecting filter: it responds at the blobs' "
    "outlines and suppresses smooth variation. Its coefficients sum to -1, so uniform regions are "
    "sign-inverted (blob interiors flip sign; the zero background next to a blob takes the opposite "
    "sign, a contour ring): out = -A - 1/2 Laplacian(A). On an image: an inverted, edge-emphasized picture."
)
