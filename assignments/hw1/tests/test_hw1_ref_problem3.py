"""Problem 3: the closed-form Jacobians and gradients against torch.autograd, float64."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.autograd.functional import jacobian

from grader.packs import Pack

_PACK = Pack.at(__file__)
sigmoid_layer_jacobians = _PACK.module("reference.problem3").sigmoid_layer_jacobians
two_layer_grads = _PACK.module("reference.problem3").two_layer_grads


SETTINGS = settings(max_examples=40, deadline=None)
dims = st.integers(1, 8)
seeds = st.integers(0, 2**31 - 1)
scales = st.sampled_from([0.1, 1.0, 3.0])


def close(got: torch.Tensor, expected: torch.Tensor) -> None:
    assert got.dtype == torch.float64
    torch.testing.assert_close(got, expected, rtol=0, atol=1e-10)


def draw(gen: torch.Generator, scale: float, *shape: int) -> torch.Tensor:
    return scale * torch.randn(shape, generator=gen, dtype=torch.float64)


@SETTINGS
@given(n_in=dims, n_out=dims, seed=seeds, scale=scales)
def test_sigmoid_layer_jacobians_equal_autograd(n_in: int, n_out: int, seed: int, scale: float) -> None:
    gen = torch.Generator().manual_seed(seed)
    W, b, x = draw(gen, scale, n_out, n_in), draw(gen, scale, n_out), draw(gen, scale, n_in)
    inputs = (W.clone(), b.clone(), x.clone())
    # Autograd records nothing in inference mode: a solution built on it would raise or
    # return zeros here, so passing shows the closed form is used.
    with torch.inference_mode():
        dx, dW, db = sigmoid_layer_jacobians(W, b, x)
    assert all(torch.equal(a, b_) for a, b_ in zip((W, b, x), inputs)), "inputs were modified"
    assert (dx.shape, dW.shape, db.shape) == ((n_out, n_in), (n_out, n_out, n_in), (n_out, n_out))
    close(dx, jacobian(lambda x_: torch.sigmoid(W @ x_ + b), x))
    close(dW, jacobian(lambda W_: torch.sigmoid(W_ @ x + b), W))
    close(db, jacobian(lambda b_: torch.sigmoid(W @ x + b_), b))


@SETTINGS
@given(n_in=dims, n_hidden=dims, n_out=dims, seed=seeds, scale=scales)
def test_two_layer_grads_equal_backward(n_in: int, n_hidden: int, n_out: int, seed: int, scale: float) -> None:
    gen = torch.Generator().manual_seed(seed)
    W1, b1 = draw(gen, scale, n_hidden, n_in), draw(gen, scale, n_hidden)
    W2, b2 = draw(gen, scale, n_out, n_hidden), draw(gen, scale, n_out)
    x1, t = draw(gen, scale, n_in), draw(gen, scale, n_out)
    with torch.inference_mode():
        got = two_layer_grads(W1, b1, W2, b2, x1, t)
    params = {k: v.clone().requires_grad_(True) for k, v in {"W1": W1, "b1": b1, "W2": W2, "b2": b2}.items()}
    x3 = params["W2"] @ torch.sigmoid(params["W1"] @ x1 + params["b1"]) + params["b2"]
    loss = 0.5 * torch.dot(t - x3, t - x3)
    loss.backward()
    assert set(got) == {"W1", "b1", "W2", "b2"}
    for name, param in params.items():
        assert got[name].shape == param.shape, name
        close(got[name], param.grad)
