"""Probes of ECE 661 F23 HW1: what the built-in notebook probes (notebook.value,
notebook.figures, notebook.cells) do not cover, i.e. the SimpleNN the student's
`SimpleNN.ipynb` leaves behind.

The same probe runs on the reference notebook (reference/SimpleNN.ipynb, in the grader's
process) and on the student's (in the sandbox child). `ctx.module("SimpleNN")` is the
executed notebook's namespace as a module. This file imports only the standard library,
numpy and torch (it is loaded by path in the sandbox), returns plain data only, and computes
no answer: the table's counts and the agreement checks are derived in `oracles.py`, in the
grader's process.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

PROBES: tuple[str, ...] = ("simple_nn_forward", "simple_nn_layers", "zeroed_net", "numeric_values")

NOTEBOOK = "SimpleNN"
_INPUT_SEED = 20_230_909  # the handout's date: one seeded image for every measurement


def _describe(value: object) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {tuple(value.shape)}"
    return "None" if value is None else f"a {type(value).__name__}"


def _array(value: object, what: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return np.array(value.detach().to(device="cpu", dtype=torch.float64).numpy(), copy=True)
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return np.array(value, dtype=np.float64, copy=True)
    raise TypeError(f"{what} is {_describe(value)}, expected a tensor")


def _shape(value: object) -> list[int] | None:
    return [int(d) for d in value.shape] if isinstance(value, torch.Tensor) else None


def _model(ctx: Any, seed: int) -> nn.Module:
    """A fresh `SimpleNN()` from the executed notebook, built under `seed` (the global RNG is
    restored): the notebook's own `net` has all-zero weights after code block 7."""
    factory = getattr(ctx.module(NOTEBOOK), "SimpleNN", None)
    if factory is None:
        raise AttributeError("SimpleNN.ipynb defines no SimpleNN")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(seed))
        model = factory()
    if not isinstance(model, nn.Module):
        raise TypeError(f"SimpleNN() built {_describe(model)}, expected an nn.Module")
    return model.to(torch.device(ctx.device)).eval()


def simple_nn_forward(ctx: Any, *, batch: int = 5, seed: int = 0) -> dict[str, Any]:
    """SimpleNN() on a seeded (batch, 3, 32, 32) input -> {"output_shape", "finite"}."""
    model = _model(ctx, seed)
    images = torch.randn((int(batch), 3, 32, 32), generator=torch.Generator().manual_seed(_INPUT_SEED)).to(ctx.device)
    with torch.no_grad():
        out = _array(model(images), "SimpleNN's output")
    return {"output_shape": list(out.shape), "finite": bool(np.isfinite(out).all())}


def simple_nn_layers(ctx: Any) -> dict[str, Any]:
    """SimpleNN() measured twice on one seeded (1, 3, 32, 32) image.

    -> {"modules": every nn.Conv2d / nn.Linear in `named_modules()` order ({"name", "type"
    ("conv" | "fc"), "course_class" (an instance of the notebook's CONV / FC),
    "weight_shape", "bias_shape"}), "recorded": {name: [input shape, output shape]} of the
    `input` / `output` tensors each layer kept after a plain forward pass (as the course's
    CONV / FC do; None where a layer keeps none), "calls": [{"name", "input_shape",
    "output_shape"}] seen by forward hooks in call order, "outputs": {"plain", "hooked"}}."""
    nb = ctx.module(NOTEBOOK)
    course = tuple(c for c in (getattr(nb, "CONV", None), getattr(nb, "FC", None)) if isinstance(c, type))
    model = _model(ctx, 0)
    image = torch.randn((1, 3, 32, 32), generator=torch.Generator().manual_seed(_INPUT_SEED)).to(ctx.device)
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    modules = [{
        "name": name,
        "type": "conv" if isinstance(layer, nn.Conv2d) else "fc",
        "course_class": bool(course) and isinstance(layer, course),
        "weight_shape": _shape(getattr(layer, "weight", None)),
        "bias_shape": _shape(getattr(layer, "bias", None)),
    } for name, layer in layers]
    for _, layer in layers:
        if hasattr(layer, "input"):
            layer.input = layer.output = None
    with torch.no_grad():
        plain = model(image)
    recorded = {name: [_shape(getattr(layer, "input", None)), _shape(getattr(layer, "output", None))] for name, layer in layers}
    calls: list[dict[str, Any]] = []
    seen: set[str] = set()

    def hook_for(name: str) -> Callable[[nn.Module, tuple[Any, ...], Any], None]:
        def hook(module: nn.Module, args: tuple[Any, ...], out: Any) -> None:
            if name not in seen:
                seen.add(name)
                calls.append({"name": name, "input_shape": _shape(args[0]) if args else None, "output_shape": _shape(out)})
        return hook

    handles = [layer.register_forward_hook(hook_for(name)) for name, layer in layers]
    try:
        with torch.no_grad():
            hooked = model(image)
    finally:
        for handle in handles:
            handle.remove()
    return {"modules": modules, "recorded": recorded, "calls": calls,
            "outputs": {"plain": _array(plain, "SimpleNN's output"), "hooked": _array(hooked, "SimpleNN's output")}}


def zeroed_net(ctx: Any) -> dict[str, Any]:
    """The notebook's own `net` as code block 7 left it -> {"layers": [{"name", "weight",
    "grad" (None when the layer has no gradient)}]} for every nn.Conv2d / nn.Linear."""
    # `net` is read as the last cell left it: that is code block 7's result only when every
    # cell ran (a failure earlier leaves a net block 7 never touched: not a wrong answer)
    for cell in ctx.notebook(NOTEBOOK).cells():
        if isinstance(cell, dict) and cell.get("status") != "ok":
            raise RuntimeError(f"net cannot be graded after code block 7: {cell.get('message') or 'a cell did not run'}")
    net = getattr(ctx.module(NOTEBOOK), "net", None)
    if not isinstance(net, nn.Module):
        raise TypeError(f"net is {_describe(net)} after the notebook ran, expected the SimpleNN of code block 3")
    layers = []
    for name, layer in net.named_modules():
        if isinstance(layer, (nn.Conv2d, nn.Linear)):
            grad = layer.weight.grad
            layers.append({"name": name, "weight": _array(layer.weight, f"{name}.weight"),
                           "grad": None if grad is None else _array(grad, f"{name}.weight.grad")})
    return {"layers": layers}


_MAX_NAMES = 500
_MAX_SIZE = 64


def _small_array(value: object) -> np.ndarray | None:
    """`value` as a float64 array when it is a small real number array (numpy, torch, a
    list of numbers, a number); None otherwise (modules, functions, strings, big data)."""
    if isinstance(value, bool) or callable(value) or isinstance(value, (str, bytes)):
        return None
    try:
        if isinstance(value, torch.Tensor):
            if value.numel() > _MAX_SIZE or value.is_complex():
                return None
            return np.array(value.detach().to(device="cpu", dtype=torch.float64).numpy(), copy=True)
        if isinstance(value, (int, float, np.integer, np.floating)):
            return np.array(float(value), dtype=np.float64)
        if isinstance(value, np.ndarray):
            return np.array(value, dtype=np.float64, copy=True) if value.size <= _MAX_SIZE and value.dtype.kind in "biuf" else None
        if isinstance(value, (list, tuple)) and 0 < len(value) <= _MAX_SIZE and \
                all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) for v in value):
            return np.array([float(v) for v in value], dtype=np.float64)
    except (TypeError, ValueError, OverflowError, RuntimeError):
        return None
    return None


def _finite_small_array(value: object) -> np.ndarray | None:
    array = _small_array(value)
    return array if array is not None and bool(np.isfinite(array).all()) else None  # a diverged run compares nothing


def numeric_values(ctx: Any, *, notebook: str = "lab1", data: Any = None) -> dict[str, Any]:
    """Every small, finite numeric top-level value the executed file `notebook` left (at
    most 64 numbers each, at most 500 names), run on `data` when given -> {"values": {name: array}}.
    For files whose variable names no template prescribes: the checks look for a value."""
    run = ctx.notebook(notebook, data)
    values: dict[str, np.ndarray] = {}
    for name, value in list(vars(run.module).items()):
        if len(values) >= _MAX_NAMES:
            break
        if isinstance(name, str) and not name.startswith("_"):
            array = _finite_small_array(value)
            if array is not None:
                values[name] = array
    return {"values": values}
