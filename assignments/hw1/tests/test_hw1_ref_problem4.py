"""Problem 4: the hand convolution against torch's conv2d and the sample write-up."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from grader.packs import Pack

_PACK = Pack.at(__file__)
p4 = _PACK.module("reference.problem4")


# The 4.1 matrix of /work/shared/hw1/sample-writeup.txt (which the handout says is right).
WRITEUP_4_1 = [
    [0, 0, -0.25, -0.5, 1.75, -0.5, -0.25, 0, 0],
    [-0.25, -0.5, 1.5, 1.25, 1, 1.25, 1.5, -0.5, -0.25],
    [1.75, 1.5, 1, 1, 1, 1, 1, 1.5, 1.75],
    [-0.25, -0.5, 1.5, 1.25, 1, 1.25, 1.5, -0.5, -0.25],
    [0, 0, -0.25, -0.5, 1.75, -0.5, -0.25, 0, 0],
]


def test_output_equals_conv2d_with_padding_1() -> None:
    image = torch.tensor(p4.IMAGE, dtype=torch.float64)[None, None]
    kernel = torch.tensor(p4.KERNEL, dtype=torch.float64)[None, None]
    expected = F.conv2d(image, kernel, stride=1, padding=1)[0, 0]
    got = p4.output()
    assert isinstance(got, list) and all(isinstance(row, list) for row in got)
    assert all(type(v) is float for row in got for v in row)
    torch.testing.assert_close(torch.tensor(got, dtype=torch.float64), expected, rtol=0, atol=1e-12)


def test_output_equals_the_sample_writeup() -> None:
    assert p4.output() == WRITEUP_4_1


def test_inputs_are_the_handouts() -> None:
    assert [len(row) for row in p4.IMAGE] == [9] * 5 and {v for row in p4.IMAGE for v in row} == {0, 1}
    assert p4.KERNEL == [[0, -0.25, 0], [-0.25, 2, -0.25], [0, -0.25, 0]]


def test_kind() -> None:
    assert p4.KIND == "sharpen" and p4.KIND in p4.KIND_ACCEPTED
    assert p4.KIND_ACCEPTED == ["sharpen", "sharpening"]
