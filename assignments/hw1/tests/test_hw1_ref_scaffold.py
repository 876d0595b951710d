"""The scaffold's CONV and FC: plain Conv2d / Linear that record their last shapes."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from grader.packs import Pack

_PACK = Pack.at(__file__)
CONV = _PACK.module("support.scaffold").CONV
FC = _PACK.module("support.scaffold").FC



def test_shapes_are_none_before_the_first_forward() -> None:
    for layer in (CONV(3, 4, 3), FC(5, 2)):
        assert layer.last_input_shape is None and layer.last_output_shape is None


def test_they_are_the_torch_layers() -> None:
    conv, fc = CONV(3, 6, 5, stride=2, padding=1), FC(400, 120)
    assert isinstance(conv, nn.Conv2d) and isinstance(fc, nn.Linear)
    assert (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding) == (3, 6, (5, 5), (2, 2), (1, 1))
    assert (fc.in_features, fc.out_features) == (400, 120)
    assert [n for n, _ in conv.named_parameters()] == ["weight", "bias"]


@settings(max_examples=15, deadline=None)
@given(
    batch=st.integers(1, 3),
    channels=st.integers(1, 4),
    size=st.integers(5, 12),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
)
def test_conv_records_shapes_and_computes_conv2d(batch: int, channels: int, size: int, kernel: int, stride: int, padding: int) -> None:
    layer = CONV(channels, 2, kernel, stride, padding)
    x = torch.randn(batch, channels, size, size + 1)
    out = layer(x)
    torch.testing.assert_close(out, F.conv2d(x, layer.weight, layer.bias, stride=stride, padding=padding))
    assert layer.last_input_shape == (batch, channels, size, size + 1)
    assert layer.last_output_shape == tuple(out.shape)
    assert all(type(d) is int for d in layer.last_output_shape)


def test_fc_records_the_last_call_only() -> None:
    layer = FC(4, 3)
    layer(torch.randn(2, 4))
    out = layer(torch.randn(5, 7, 4))
    assert layer.last_input_shape == (5, 7, 4)
    assert layer.last_output_shape == (5, 7, 3) == tuple(out.shape)
