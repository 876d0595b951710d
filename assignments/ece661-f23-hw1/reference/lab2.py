"""Lab 2 (b): Table 2 of the handout (batch 1), computed from Table 1's architecture with
the shape rule, not typed in. # Param counts the weights only (the template's comment);
the course's CONV has no bias; # MAC = output elements x weight elements per output."""

from __future__ import annotations

import math

# Table 1: (name, kind, in, out, kernel, stride, padding, max-pool after (kernel, stride) or None)
ARCH: list[tuple[str, str, int, int, int, int, int, tuple[int, int] | None]] = [
    ("conv1", "conv", 3, 16, 5, 1, 2, (4, 2)),
    ("conv2", "conv", 16, 16, 3, 1, 2, (3, 2)),
    ("conv3", "conv", 16, 32, 7, 1, 2, (2, 2)),
    ("fc1", "fc", 288, 32, 0, 0, 0, None),
    ("fc2", "fc", 32, 10, 0, 0, 0, None),
]
INPUT_SHAPE = [1, 3, 32, 32]


def _out(size: int, kernel: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def layer_table() -> dict[str, dict[str, object]]:
    """{layer: {input_shape, output_shape, weight_shape, params, macs}} in Table 1's order."""
    table: dict[str, dict[str, object]] = {}
    shape = list(INPUT_SHAPE)
    for name, kind, n_in, n_out, k, stride, pad, pool in ARCH:
        if kind == "conv":
            h = _out(shape[2], k, stride, pad)
            out = [1, n_out, h, _out(shape[3], k, stride, pad)]
            weight = [n_out, n_in, k, k]
        else:
            shape = [1, math.prod(shape[1:])]  # flatten before the first FC
            out = [1, n_out]
            weight = [n_out, n_in]
        table[name] = {"input_shape": shape, "output_shape": out, "weight_shape": weight,
                       "params": math.prod(weight), "macs": math.prod(out) * math.prod(weight[1:])}
        shape = out
        if pool is not None:
            shape = [1, out[1], _out(out[2], pool[0], pool[1], 0), _out(out[3], pool[0], pool[1], 0)]
    return table


TABLE = layer_table()
