"""Lab 3: one pass of gradients, and all-zero initialization."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.packs import Pack

_PACK = Pack.at(__file__)
LeNet5 = _PACK.module("reference.lab2").LeNet5
layer_gradients = _PACK.module("reference.lab3").layer_gradients
zero_init = _PACK.module("reference.lab3").zero_init



def batch(seed: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn((size, 3, 32, 32), generator=gen), torch.randint(0, 10, (size,), generator=gen)


def seeded_lenet(seed: int) -> LeNet5:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return LeNet5()


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), size=st.integers(1, 8))
def test_layer_gradients_equal_an_independent_float64_computation(seed: int, size: int, independent_lenet_grads) -> None:
    model = seeded_lenet(seed)
    images, labels = batch(seed, size)
    grads = layer_gradients(model, images, labels)
    expected = independent_lenet_grads(dict(model.named_parameters()), images, labels)
    assert list(grads) == [name for name, _ in model.named_parameters()] == list(expected)
    for name, grad in grads.items():
        assert grad.shape == expected[name].shape
        torch.testing.assert_close(grad.to(torch.float64), expected[name], rtol=1e-4, atol=1e-6, msg=name)


def test_layer_gradients_clears_earlier_grads_and_returns_detached_clones() -> None:
    model = seeded_lenet(1)
    images, labels = batch(1, 4)
    for param in model.parameters():
        param.grad = torch.full_like(param, 123.0)
    first = layer_gradients(model, images, labels)
    second = layer_gradients(model, images, labels)
    for name, param in model.named_parameters():
        assert torch.equal(first[name], second[name]), name  # not accumulated
        assert not second[name].requires_grad
        kept = second[name].clone()
        param.grad.fill_(7.0)  # the model's gradient changes; the returned one must not
        assert torch.equal(second[name], kept), f"{name}: the result aliases .grad"


def test_zero_init_zeroes_every_weight_and_bias() -> None:
    model = seeded_lenet(2)
    assert zero_init(model) is None
    for name, param in model.named_parameters():
        assert torch.count_nonzero(param) == 0, name


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), size=st.integers(1, 16))
def test_under_zero_init_only_the_last_bias_has_a_gradient(seed: int, size: int) -> None:
    model = seeded_lenet(seed)
    zero_init(model)
    images, labels = batch(seed, size)
    grads = layer_gradients(model, images, labels)
    for name, grad in grads.items():
        if name != "fc3.bias":
            assert torch.count_nonzero(grad) == 0, name
    # Zero logits: softmax is uniform, so dL/db = mean over the batch of (softmax - onehot).
    softmax = np.full((size, 10), 1.0 / 10)
    onehot = np.eye(10)[labels.numpy()]
    np.testing.assert_allclose(grads["fc3.bias"].numpy(), (softmax - onehot).mean(axis=0), rtol=1e-6, atol=1e-7)
