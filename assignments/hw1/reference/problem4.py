"""HW1 Problem 4: a 3x3 kernel applied by hand to a 5x9 binary image.

`output()` computes the cross-correlation (what `torch.nn.functional.conv2d` does: the
kernel is not flipped) with stride 1 and zero padding 1, by explicit loops, so it can be
checked against conv2d rather than being conv2d.
"""

from __future__ import annotations

IMAGE: list[list[float]] = [
    [0, 0, 0, 0, 1, 0, 0, 0, 0],
    [0, 0, 1, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 1, 1, 1, 1],
    [0, 0, 1, 1, 1, 1, 1, 0, 0],
    [0, 0, 0, 0, 1, 0, 0, 0, 0],
]

KERNEL: list[list[float]] = [
    [0, -0.25, 0],
    [-0.25, 2, -0.25],
    [0, -0.25, 0],
]

STRIDE = 1
PADDING = 1

# Q4.2: what the kernel does (identity plus a Laplacian edge response).
KIND = "sharpen"
KIND_ACCEPTED: list[str] = ["sharpen", "sharpening"]


def output() -> list[list[float]]:
    """The Q4.1 answer: IMAGE cross-correlated with KERNEL, stride 1, zero padding 1."""
    rows, cols = len(IMAGE), len(IMAGE[0])
    kh, kw = len(KERNEL), len(KERNEL[0])
    out_rows = (rows + 2 * PADDING - kh) // STRIDE + 1
    out_cols = (cols + 2 * PADDING - kw) // STRIDE + 1
    result: list[list[float]] = []
    for i in range(out_rows):
        row: list[float] = []
        for j in range(out_cols):
            acc = 0.0
            for u in range(kh):
                for v in range(kw):
                    r = i * STRIDE + u - PADDING
                    c = j * STRIDE + v - PADDING
                    if 0 <= r < rows and 0 <= c < cols:
                        acc += float(KERNEL[u][v]) * float(IMAGE[r][c])
            row.append(acc)
        result.append(row)
    return result
