"""HW2 probes: the trusted functions that exercise a solution (the reference's in the
grader's process, the student's in the sandbox).

Every probe is `name(ctx, **args) -> plain data`, built on the engine's probe toolkit
(`probekit`: conversions with messages naming the student's function, seeded inputs, a
time budget). Inputs are drawn fresh for every call from the call's `seed`, in float64;
`case_inputs` functions are shared with `oracles.py`, which redraws the same inputs in the
grader's process to compare the student's results with autograd, F.conv2d and
torch.optim.SGD there (where the student's code cannot change torch).

The inputs graded on are rubric data (`args`), never defined here: this file ships in the
student kit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import probekit as pk
import torch
from torch import nn

PROBES: tuple[str, ...] = ("bn_forward", "bn_backward", "conv", "cnn_forward", "cnn_params", "sgd_steps", "train_epoch")

F64 = torch.float64


def _sizes(items: Sequence[Any], keys: Sequence[str], what: str) -> list[dict[str, int]]:
    """Rubric cases as dicts of positive ints; ValueError (an instructor error) otherwise."""
    out = []
    for item in items:
        if not isinstance(item, Mapping) or set(item) != set(keys):
            raise ValueError(f"{what}: each case is {{{', '.join(keys)}}}, got {item!r}")
        for key in keys:
            value = item[key]
            low = 0 if key == "padding" else 1
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{what}: {key} must be an integer >= {low}, got {value!r}")
        out.append({key: int(item[key]) for key in keys})
    return out


# --------------------------------------------------------------------------------------
# Batch norm


BN_KEYS = ("n", "d")


def bn_case_inputs(case: Mapping[str, int], gen: torch.Generator) -> dict[str, torch.Tensor]:
    """x (N, D) with a different scale and offset per feature, gamma, beta, dout."""
    n, d = case["n"], case["d"]
    x = pk.randn((n, d), gen) * (1.0 + 3.0 * torch.rand((d,), generator=gen, dtype=F64)) + 2.0 * pk.randn((d,), gen)
    gamma = 1.0 + 0.5 * pk.randn((d,), gen)
    beta = pk.randn((d,), gen)
    dout = pk.randn((n, d), gen)
    return {"x": x, "gamma": gamma, "beta": beta, "dout": dout}


def _bn_forward(ctx: pk.Context, inputs: Mapping[str, torch.Tensor], eps: float) -> tuple[Any, Any]:
    func = pk.function(ctx, "batchnorm", "batchnorm_forward")
    dev = pk.device(ctx)
    result = func(inputs["x"].to(dev), inputs["gamma"].to(dev), inputs["beta"].to(dev), eps)
    out, cache = pk.parts(result, 2, func="batchnorm_forward", expect="a pair (out, cache)")
    return out, cache


def bn_forward(ctx: pk.Context, *, cases: Sequence[Mapping[str, int]], seed: int, eps: float = 1e-5) -> dict[str, Any]:
    """batchnorm_forward(x, gamma, beta, eps) per case -> {"cases": [{"n", "d", "out"}]}."""
    gen = pk.generator(seed)
    found = []
    for case in _sizes(cases, BN_KEYS, "bn cases"):
        out, _ = _bn_forward(ctx, bn_case_inputs(case, gen), eps)
        expect = f"an ({case['n']}, {case['d']}) tensor"
        found.append({**case, "out": pk.as_array(out, func="batchnorm_forward", expect=expect, where=" as out")})
    return {"cases": found}


def bn_backward(ctx: pk.Context, *, cases: Sequence[Mapping[str, int]], seed: int, eps: float = 1e-5) -> dict[str, Any]:
    """batchnorm_backward(dout, cache) on the cache of the student's own forward pass ->
    {"cases": [{"n", "d", "dx", "dgamma", "dbeta"}]} (a part not returned is None)."""
    gen = pk.generator(seed)
    backward = pk.function(ctx, "batchnorm", "batchnorm_backward")
    found = []
    for case in _sizes(cases, BN_KEYS, "bn cases"):
        inputs = bn_case_inputs(case, gen)
        _, cache = _bn_forward(ctx, inputs, eps)
        result = backward(inputs["dout"].to(pk.device(ctx)), cache)
        dx, dgamma, dbeta = pk.parts(result, 3, func="batchnorm_backward", expect="a tuple (dx, dgamma, dbeta)")
        found.append({
            **case,
            **{key: pk.optional_array(value, func="batchnorm_backward", expect="a gradient tensor", where=f" as {key}")
               for key, value in (("dx", dx), ("dgamma", dgamma), ("dbeta", dbeta))},
        })
    return {"cases": found}


# --------------------------------------------------------------------------------------
# Convolution


CONV_KEYS = ("n", "c", "h", "w", "f", "k", "stride", "padding")


def conv_case_inputs(case: Mapping[str, int], gen: torch.Generator) -> dict[str, torch.Tensor]:
    """x (N, C, H, W), w (F, C, K, K), b (F,)."""
    x = pk.randn((case["n"], case["c"], case["h"], case["w"]), gen)
    w = pk.randn((case["f"], case["c"], case["k"], case["k"]), gen)
    b = pk.randn((case["f"],), gen)
    return {"x": x, "w": w, "b": b}


def conv(ctx: pk.Context, *, cases: Sequence[Mapping[str, int]], seed: int) -> dict[str, Any]:
    """conv2d_naive(x, w, b, stride=, padding=) per case -> {"cases": [{sizes..., "out"}]}."""
    func = pk.function(ctx, "conv", "conv2d_naive")
    gen = pk.generator(seed)
    dev = pk.device(ctx)
    found = []
    for case in _sizes(cases, CONV_KEYS, "conv cases"):
        inputs = conv_case_inputs(case, gen)
        out = func(inputs["x"].to(dev), inputs["w"].to(dev), inputs["b"].to(dev), stride=case["stride"], padding=case["padding"])
        found.append({**case, "out": pk.as_array(out, func="conv2d_naive", expect="an (N, F, H_out, W_out) tensor")})
    return {"cases": found}


# --------------------------------------------------------------------------------------
# SimpleCNN


def _cnn(ctx: pk.Context, seed: int) -> nn.Module:
    return pk.seeded_instance(pk.function(ctx, "model", "SimpleCNN"), seed, what="SimpleCNN()").to(pk.device(ctx))


def cnn_forward(ctx: pk.Context, *, batch: int, seed: int) -> dict[str, Any]:
    """SimpleCNN() (weights from seed) in eval mode on a seeded (batch, 3, 32, 32) input ->
    {"output_shape": [...], "finite": bool}."""
    model = _cnn(ctx, seed).eval()
    images = pk.randn((int(batch), 3, 32, 32), seed, dtype=torch.float32).to(pk.device(ctx))
    with torch.no_grad():
        logits = pk.as_array(model(images), func="SimpleCNN.forward", expect=f"a ({batch}, 10) tensor of logits")
    return {"output_shape": list(logits.shape), "finite": bool(np.isfinite(logits).all())}


def cnn_params(ctx: pk.Context, *, seed: int = 0) -> dict[str, Any]:
    """The parameters of SimpleCNN() as [name, shape, trainable] (counted in the grader's
    process by `oracles.param_count`)."""
    model = _cnn(ctx, seed)
    return {"parameters": [[name, [int(d) for d in p.shape], bool(p.requires_grad)] for name, p in model.named_parameters()]}


# --------------------------------------------------------------------------------------
# SGD with momentum and weight decay


def sgd_inputs(shapes: Sequence[Sequence[int]], steps: int, seed: int) -> tuple[list[torch.Tensor], list[list[torch.Tensor]]]:
    """The initial parameters (one per shape) and the gradients of every step, seeded."""
    gen = pk.generator(seed)
    params = [pk.randn(tuple(shape), gen) for shape in shapes]
    grads = [[pk.randn(tuple(shape), gen) for shape in shapes] for _ in range(int(steps))]
    return params, grads


def sgd_steps(ctx: pk.Context, *, shapes: Sequence[Sequence[int]], steps: int, lr: float, momentum: float,
              weight_decay: float, seed: int) -> dict[str, Any]:
    """`steps` calls of sgd_momentum_step(params, grads, velocities, lr, momentum,
    weight_decay) with velocities starting at zero -> {"steps": [{"p0": array, "p1": ...}
    after each step]} (parameter i as "p<i>")."""
    func = pk.function(ctx, "optim", "sgd_momentum_step")
    dev = pk.device(ctx)
    params, grads = sgd_inputs(shapes, steps, seed)
    params = [p.to(dev) for p in params]
    velocities = [torch.zeros_like(p) for p in params]
    trajectory = []
    for step_grads in grads:
        func(params, [g.to(dev) for g in step_grads], velocities, lr=float(lr), momentum=float(momentum),
             weight_decay=float(weight_decay))
        trajectory.append({f"p{i}": pk.as_array(p, func="sgd_momentum_step", expect="parameters updated in place")
                           for i, p in enumerate(params)})
    return {"steps": trajectory}


# --------------------------------------------------------------------------------------
# One epoch of training


def blobs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A synthetic 2-class set: n points in 2-D around (-1, -1) and (1, 1), std 0.7."""
    gen = pk.generator(seed)
    y = torch.randint(0, 2, (int(n),), generator=gen)
    X = (2.0 * y.to(torch.float32) - 1.0).unsqueeze(1) * torch.ones(2) + 0.7 * pk.randn((int(n), 2), gen, dtype=torch.float32)
    return X, y


class PlainSGD:
    """The optimizer train_one_epoch receives: `zero_grad()` and `step()` as torch.optim.SGD
    (no momentum): p <- p - lr * p.grad. Not torch.optim.SGD itself: its first `step()`
    imports torch._dynamo, about 4 s of CPU and 75 MB in every sandboxed child."""

    def __init__(self, params: Any, lr: float) -> None:
        self.params = [p for p in params]
        self.lr = float(lr)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.zero_()

    def step(self) -> None:
        with torch.no_grad():
            for p in self.params:
                if p.grad is not None:
                    p.add_(p.grad, alpha=-self.lr)


TRAIN_ARCH = [
    {"layer": "fc", "name": "fc1", "in": 2, "out": 16},
    {"layer": "relu"},
    {"layer": "fc", "name": "fc2", "in": 16, "out": 2},
]


def train_epoch(ctx: pk.Context, *, n: int, epochs: int, batch_size: int, lr: float, seed: int,
                budget_s: float = 5.0) -> dict[str, Any]:
    """A small MLP (weights from seed) trained by `epochs` calls of train_one_epoch(model, X,
    y, optimizer, loss_fn, batch_size) with plain SGD (`PlainSGD`) and nn.CrossEntropyLoss on
    the blobs set, each call within `budget_s` seconds -> {"reported": [what each call
    returned], "params": [{name: array} before training, then after each epoch]}. The loss
    is computed from the parameters in the grader's process (`oracles.training_loss`)."""
    func = pk.function(ctx, "train", "train_one_epoch")
    dev = pk.device(ctx)
    X, y = blobs(n, seed)
    X, y = X.to(dev), y.to(dev)
    model = pk.build_model(TRAIN_ARCH, seed=seed, on=dev)
    optimizer = PlainSGD(model.parameters(), lr=float(lr))
    loss_fn = nn.CrossEntropyLoss()

    def snapshot() -> dict[str, Any]:
        return {name: pk.as_array(p, func="train_one_epoch", expect="a model") for name, p in model.named_parameters()}

    history = [snapshot()]
    reported = []
    for epoch in range(int(epochs)):
        value = pk.call_with_budget(func, model, X, y, optimizer, loss_fn, int(batch_size), budget_s=float(budget_s),
                                    what=f"train_one_epoch (epoch {epoch + 1})")
        reported.append(pk.to_plain(value, func="train_one_epoch", expect="the epoch's mean loss (a number)"))
        history.append(snapshot())
    return {"reported": reported, "params": history}
