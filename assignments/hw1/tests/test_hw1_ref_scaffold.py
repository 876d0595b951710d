"""The scaffold's CONV and FC: the course's classes (nn.Conv2d / nn.Linear with the same
constructor parameters, CONV without a bias by default) that keep their last input and
output tensors in `.input` / `.output`."""

from __future__ import annotations

import inspect

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from grader.packs import Pack

_PACK = Pack.at(__file__)
CONV = _PACK.module("support.scaffold").CONV
FC = _PACK.module("support.scaffold").FC


# The course's constructors ("Code block 2" of its starter notebook), parameter by parameter.
COURSE_CONV = [("in_channels", None), ("out_channels", None), ("kernel_size", None), ("stride", 1), ("padding", 0),
               ("dilation", 1), ("groups", 1), ("bias", False), ("padding_mode", "zeros")]
COURSE_FC = [("in_features", None), ("out_features", None), ("bias", True)]


def _params(cls: type) -> list[tuple[str, object]]:
    sig = inspect.signature(cls.__init__)
    return [(p.name, None if p.default is inspect.Parameter.empty else p.default)
            for p in list(sig.parameters.values())[1:]]


def test_constructors_are_the_courses() -> None:
    assert _params(CONV) == COURSE_CONV
    assert _params(FC) == COURSE_FC


def test_constructor_names_are_pytorchs() -> None:
    """Every parameter name is nn.Conv2d's / nn.Linear's, with its default except CONV's bias."""
    for ours, torch_cls in ((CONV, nn.Conv2d), (FC, nn.Linear)):
        theirs = dict(_params(torch_cls))
        for name, default in _params(ours):
            assert name in theirs, name
            if not (ours is CONV and name == "bias"):
                assert theirs[name] == default, name


def test_keyword_construction_as_students_write_it() -> None:
    conv = CONV(in_channels=3, out_channels=6, kernel_size=5)
    fc = FC(in_features=400, out_features=120)
    assert isinstance(conv, nn.Conv2d) and isinstance(fc, nn.Linear)
    assert (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding) == (3, 6, (5, 5), (1, 1), (0, 0))
    assert conv.bias is None and [n for n, _ in conv.named_parameters()] == ["weight"]
    assert (fc.in_features, fc.out_features) == (400, 120)
    assert [n for n, _ in fc.named_parameters()] == ["weight", "bias"]


def test_positional_construction_and_explicit_bias() -> None:
    conv = CONV(3, 16, 5, 1, 2)
    assert (conv.kernel_size, conv.stride, conv.padding, conv.bias) == ((5, 5), (1, 1), (2, 2), None)
    assert CONV(3, 16, (3, 5), stride=(1, 2), padding=(0, 1), dilation=2).dilation == (2, 2)
    assert CONV(3, 16, 3, bias=True).bias.shape == (16,)
    assert CONV(4, 4, 3, padding="same").padding == "same"
    assert FC(4, 3, False).bias is None


def test_input_and_output_are_none_before_the_first_forward() -> None:
    for layer in (CONV(3, 4, 3), FC(5, 2)):
        assert layer.input is None and layer.output is None


@settings(max_examples=15, deadline=None)
@given(
    batch=st.integers(1, 3),
    channels=st.integers(1, 4),
    size=st.integers(5, 12),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    bias=st.booleans(),
)
def test_conv_records_its_call_and_computes_conv2d(batch: int, channels: int, size: int, kernel: int, stride: int,
                                                   padding: int, bias: bool) -> None:
    layer = CONV(channels, 2, kernel, stride, padding, bias=bias)
    x = torch.randn(batch, channels, size, size + 1)
    out = layer(x)
    torch.testing.assert_close(out, F.conv2d(x, layer.weight, layer.bias, stride=stride, padding=padding))
    assert layer.input is x and layer.output is out
    assert tuple(layer.input.shape) == (batch, channels, size, size + 1)
    assert layer.output.requires_grad  # live tensors, as the course's: .detach() before .numpy()


def test_fc_records_the_last_call_only() -> None:
    layer = FC(4, 3)
    layer(torch.randn(2, 4))
    x = torch.randn(5, 7, 4)
    out = layer(x)
    torch.testing.assert_close(out, F.linear(x, layer.weight, layer.bias))
    assert layer.input is x and tuple(layer.output.shape) == (5, 7, 3)
