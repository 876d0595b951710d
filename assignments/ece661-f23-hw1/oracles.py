"""Oracles of ECE 661 F23 HW1: what is graded, derived in the grader's process from the
probes' plain data (student code cannot change what runs here). Every input is bounded
before use: it came from a student's process."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

MAX_LAYERS = 64
MAX_DIMS = 8
MAX_ELEMENTS = 10**9


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{what} is not readable")
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list) or len(value) > MAX_LAYERS:
        raise ValueError(f"{what}: not readable (or more than {MAX_LAYERS} layers)")
    return value


def _shape(value: Any, what: str) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_DIMS or not all(type(d) is int and 0 <= d < 2**40 for d in value):
        raise ValueError(f"{what}: not a shape")
    if math.prod(value) > MAX_ELEMENTS:
        raise ValueError(f"{what}: too many elements")
    return tuple(value)


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise ValueError(f"{what}: not a layer name")
    return value


def simple_nn_layers(output: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    """From `probes.simple_nn_layers`: {"layers": per called conv/linear layer in call order
    {"name", "type", "input_shape", "output_shape", "weight_shape", "params" (weight
    elements, as the template's comment asks), "macs" (output elements x weight elements
    per output channel)}, "not_course_layers": conv/linear layers that are not the
    notebook's CONV / FC or do not keep their input/output as the course's do,
    "biased_convs": convolutions with a bias (the course's CONV has none)}.

    ValueError when the model behaves differently while forward hooks measure it."""
    out = _mapping(output, "your SimpleNN")
    modules: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(_list(out.get("modules"), "your SimpleNN's layers")):
        row = _mapping(row, f"layer {i + 1}")
        name = _name(row.get("name"), f"layer {i + 1}")
        if row.get("type") not in ("conv", "fc"):
            raise ValueError(f"layer {name}: unknown type")
        modules[name] = {"type": row["type"], "course": row.get("course_class") is True,
                         "weight": _shape(row.get("weight_shape"), f"{name} weight"),
                         "bias": _shape(row.get("bias_shape"), f"{name} bias")}
    calls = []
    for i, row in enumerate(_list(out.get("calls"), "your SimpleNN's forward pass")):
        row = _mapping(row, f"call {i + 1}")
        name = _name(row.get("name"), f"call {i + 1}")
        if name not in modules:
            raise ValueError(f"the forward pass called {name}, which is not a layer of SimpleNN")
        calls.append((name, _shape(row.get("input_shape"), f"{name} input"), _shape(row.get("output_shape"), f"{name} output")))
    outputs = _mapping(out.get("outputs"), "your SimpleNN's output")
    plain, hooked = outputs.get("plain"), outputs.get("hooked")
    if not isinstance(plain, np.ndarray) or not isinstance(hooked, np.ndarray):
        raise ValueError("your SimpleNN's output is not readable")
    if plain.shape != hooked.shape or not np.allclose(plain, hooked, rtol=1e-5, atol=1e-6, equal_nan=True):
        raise ValueError("your SimpleNN gives another output while it is measured (with forward hooks), so its layers cannot be graded")
    recorded = _mapping(out.get("recorded"), "your SimpleNN's layers")
    hooked_shapes = {name: (i, o) for name, i, o in calls}
    not_course = []
    for name, m in modules.items():
        rec = recorded.get(name)
        kept = (None, None) if not isinstance(rec, list) or len(rec) != 2 else (
            _shape(rec[0], f"{name} input"), _shape(rec[1], f"{name} output"))
        if not m["course"] or (name in hooked_shapes and kept != hooked_shapes[name]):
            not_course.append(name)
    layers = []
    for name, in_shape, out_shape in calls:
        weight = modules[name]["weight"]
        layers.append({
            "name": name,
            "type": modules[name]["type"],
            "input_shape": None if in_shape is None else list(in_shape),
            "output_shape": None if out_shape is None else list(out_shape),
            "weight_shape": None if weight is None else list(weight),
            "params": None if weight is None else math.prod(weight),
            "macs": None if out_shape is None or weight is None else math.prod(out_shape) * math.prod(weight[1:]),
        })
    return {"layers": layers, "not_course_layers": not_course,
            "biased_convs": [n for n, m in modules.items() if m["type"] == "conv" and m["bias"] is not None]}


def zeroed_net(output: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    """From `probes.zeroed_net`: {"nonzero_weights": layers whose weight is not all zero
    after code block 7, "upstream_gradients": layers before the last whose weight gradient
    is not all zero (with every weight zero, only the last layer can get one, and only
    where its bias and the previous layer's bias are positive), "layers": how many}."""
    rows = _list(_mapping(output, "your net").get("layers"), "your net's layers")
    names, nonzero, grads = [], [], []
    for i, row in enumerate(rows):
        row = _mapping(row, f"layer {i + 1}")
        name = _name(row.get("name"), f"layer {i + 1}")
        weight, grad = row.get("weight"), row.get("grad")
        if not isinstance(weight, np.ndarray) or weight.size > MAX_ELEMENTS:
            raise ValueError(f"{name}: the weight is not readable")
        names.append(name)
        if bool((weight != 0).any()):
            nonzero.append(name)
        if grad is not None and (not isinstance(grad, np.ndarray) or grad.shape != weight.shape):
            raise ValueError(f"{name}: the gradient is not readable")
        grads.append(grad)
    upstream = [n for n, g in zip(names[:-1], grads[:-1]) if g is not None and bool((g != 0).any())]
    return {"nonzero_weights": nonzero, "upstream_gradients": upstream, "layers": len(names)}
