"""HW1 oracles: what is graded, derived in the grader's process from what a probe returned.

A probe runs in the student's process, where the student's code can replace anything it
can reach (`torch.autograd.grad`, `F.cross_entropy`, a helper of the probes module). So a
probe only calls the student's code and returns what it produced; whatever has to be
*computed* to grade it (gradients, parameter and MAC counts, the agreement of two
measurements of one model) is computed here, on the trusted side, from that plain data and
the probe's arguments. The rubric names an oracle on a check (`oracle: lenet_layers`); the
grader applies it to the student's probe output and to the reference's, and the check
compares the two results (`select` then picks from them).

An oracle is `name(output, args) -> plain data`: `output` is the probe's plain output
(untrusted on the student's side: any shape, any size within the sandbox's result limit),
`args` the probe's arguments from the rubric. It raises ValueError with a message for the
student when the output does not make sense (the checks that read it then fail with that
message); any other exception is a bug of the oracle. Oracles are deterministic and run on
the CPU. This module is never shipped to the sandbox or to a student kit, and imports no
part of the grader.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from . import probes

ORACLES: tuple[str, ...] = ("lenet_layers", "lab3_zero_init")

MAX_LAYERS = 256  # more conv/linear modules than any LeNet variant: refuse before looping
MAX_DIMS = 8
MAX_ELEMENTS = 2**26  # per shape (LeNet-5 has at most 48000): counts derived from shapes stay well within a float


# --------------------------------------------------------------------------------------
# Reading untrusted plain data


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"the measurement of {what} is not readable (expected a mapping)")
    return value


def _list(value: Any, what: str, limit: int = MAX_LAYERS) -> Sequence[Any]:
    if not isinstance(value, list):
        raise ValueError(f"the measurement of {what} is not readable (expected a list)")
    if len(value) > limit:
        raise ValueError(f"{what}: {len(value)} entries, more than the {limit} this check reads")
    return value


def _shape(value: Any, what: str) -> tuple[int, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > MAX_DIMS or not all(type(d) is int and 0 <= d < 2**40 for d in value):
        raise ValueError(f"{what}: not a shape")
    if math.prod(value) > MAX_ELEMENTS:
        raise ValueError(f"{what}: {math.prod(value)} elements, more than any layer of this assignment has")
    return tuple(value)


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise ValueError(f"{what}: not a layer name")
    return value


def _shown(shape: tuple[int, ...] | None) -> str:
    return "not called" if shape is None else "(" + ", ".join(map(str, shape)) + ")"


# --------------------------------------------------------------------------------------
# Lab 2: the per-layer table of the student's own model


def lenet_layers(output: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    """From `probes.lenet_layers`: {"layers": per called conv/linear layer, in call order,
    {"name", "type", "input_shape", "output_shape", "weight_shape", "params" (weight
    elements), "macs" (output elements x weight elements per output channel)},
    "non_scaffold": names of conv/linear modules that are not the scaffold's CONV / FC,
    "total_params": every parameter element, biases included, "output_shape": the logits'}.

    ValueError when the model behaves differently while forward hooks measure it: its
    logits change, a layer runs only with hooks (or only without), or a scaffold layer
    notes other shapes than the hooks saw."""
    out = _mapping(output, "your model")
    modules: dict[str, dict[str, Any]] = {}
    for i, row in enumerate(_list(out.get("modules"), "your model's layers")):
        row = _mapping(row, f"layer {i + 1}")
        name = _name(row.get("name"), f"layer {i + 1}")
        kind = row.get("type")
        if kind not in ("conv", "fc"):
            raise ValueError(f"layer {name}: unknown type {kind!r}")
        modules[name] = {"type": kind, "scaffold": bool(row.get("scaffold")),
                         "weight_shape": _shape(row.get("weight_shape"), f"{name} weight")}
    total = 0
    for i, item in enumerate(_list(out.get("parameters"), "your model's parameters", limit=4 * MAX_LAYERS)):
        if not isinstance(item, list) or len(item) != 2:
            raise ValueError(f"parameter {i + 1}: not readable")
        shape = _shape(item[1], f"parameter {item[0]!r}")
        total += math.prod(shape) if shape is not None else 0
    calls: list[tuple[str, tuple[int, ...] | None, tuple[int, ...] | None]] = []
    for i, row in enumerate(_list(out.get("calls"), "your model's forward pass")):
        row = _mapping(row, f"call {i + 1}")
        name = _name(row.get("name"), f"call {i + 1}")
        if name not in modules:
            raise ValueError(f"the forward pass called {name}, which is not a layer of the model")
        calls.append((name, _shape(row.get("input_shape"), f"{name} input"), _shape(row.get("output_shape"), f"{name} output")))
    problems = _measured_differently(out, calls)
    if problems:
        raise ValueError("your model behaves differently while it is measured (with forward hooks) than when it "
                         "runs plainly, so its layers cannot be graded: " + "; ".join(problems[:6]))
    layers = []
    for name, in_shape, out_shape in calls:
        weight = modules[name]["weight_shape"]
        per_output = math.prod(weight[1:]) if weight else None
        layers.append({
            "name": name,
            "type": modules[name]["type"],
            "input_shape": None if in_shape is None else list(in_shape),
            "output_shape": None if out_shape is None else list(out_shape),
            "weight_shape": None if weight is None else list(weight),
            "params": None if weight is None else math.prod(weight),
            "macs": None if out_shape is None or per_output is None else math.prod(out_shape) * per_output,
        })
    logits = np.asarray(_mapping(out.get("outputs"), "your model's output").get("hooked"))
    return {
        "layers": layers,
        "non_scaffold": [name for name, m in modules.items() if not m["scaffold"]],
        "total_params": total,
        "output_shape": [int(d) for d in logits.shape],
    }


def _measured_differently(out: Mapping[str, Any], calls: list[tuple[str, Any, Any]]) -> list[str]:
    problems = []
    outputs = _mapping(out.get("outputs"), "your model's output")
    plain, hooked = outputs.get("plain"), outputs.get("hooked")
    if not isinstance(plain, np.ndarray) or not isinstance(hooked, np.ndarray):
        raise ValueError("your model's output is not readable")
    if plain.shape != hooked.shape or not np.allclose(plain, hooked, rtol=1e-5, atol=1e-6, equal_nan=True):
        problems.append("its output on the same input changes when hooks are attached")
    last_call = _mapping(out.get("last_call"), "your model's forward pass")
    if len(last_call) > MAX_LAYERS:
        raise ValueError("your model's forward pass: too many layers")
    hooked_shapes = {}
    for name, shapes in last_call.items():
        if not isinstance(shapes, list) or len(shapes) != 2:
            raise ValueError(f"{name}: not readable")
        hooked_shapes[name] = (_shape(shapes[0], f"{name} input"), _shape(shapes[1], f"{name} output"))
    if set(hooked_shapes) != {name for name, _, _ in calls}:
        raise ValueError("your model's forward pass is not readable")
    recorded = _mapping(out.get("recorded"), "your model's layers")
    if len(recorded) > MAX_LAYERS:
        raise ValueError("your model's layers: too many")
    for name, shapes in recorded.items():
        if not isinstance(shapes, list) or len(shapes) != 2:
            raise ValueError(f"{name}: not readable")
        plain_shapes = (_shape(shapes[0], f"{name} input"), _shape(shapes[1], f"{name} output"))
        seen = hooked_shapes.get(name, (None, None))
        if plain_shapes == seen:
            continue
        if plain_shapes == (None, None):
            problems.append(f"{name} runs only while measured")
        elif seen == (None, None):
            problems.append(f"{name} runs only while not measured")
        else:
            problems.append(f"{name} sees input {_shown(plain_shapes[0])} when run plainly but {_shown(seen[0])} while measured")
    return problems


# --------------------------------------------------------------------------------------
# Lab 3: gradients after zero_init, computed here


# Whether a layer of an arch has a bias when the arch does not say: the scaffold's defaults
# (the course's CONV has bias=False, FC bias=True), as probes.build_model builds them.
_DEFAULT_BIAS = {"conv": False, "fc": True}


def _arch_parameters(arch: Sequence[Mapping[str, Any]]) -> dict[str, tuple[int, ...]]:
    shapes: dict[str, tuple[int, ...]] = {}
    for entry in arch:
        kind = entry["layer"]
        if kind == "conv":
            k = int(entry["kernel"])
            shapes[f"{entry['name']}.weight"] = (int(entry["out"]), int(entry["in"]), k, k)
        elif kind == "fc":
            shapes[f"{entry['name']}.weight"] = (int(entry["out"]), int(entry["in"]))
        if kind in _DEFAULT_BIAS and entry.get("bias", _DEFAULT_BIAS[kind]):
            shapes[f"{entry['name']}.bias"] = (int(entry["out"]),)
    return shapes


def _forward(arch: Sequence[Mapping[str, Any]], params: Mapping[str, torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """The network of `arch` written out with torch.nn.functional (what probes.build_model
    builds from the scaffold's CONV / FC)."""
    for entry in arch:
        kind = entry["layer"]
        if kind == "conv":
            x = F.conv2d(x, params[f"{entry['name']}.weight"], params.get(f"{entry['name']}.bias"),
                         stride=int(entry.get("stride", 1)), padding=int(entry.get("padding", 0)))
        elif kind == "fc":
            x = F.linear(x, params[f"{entry['name']}.weight"], params.get(f"{entry['name']}.bias"))
        elif kind == "relu":
            x = F.relu(x)
        elif kind == "maxpool":
            kernel = int(entry["kernel"])
            x = F.max_pool2d(x, kernel, int(entry.get("stride", kernel)))
        else:
            x = torch.flatten(x, 1)
    return x


def lab3_zero_init(output: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    """From `probes.lab3_zero_init` (the parameters as the student's zero_init left them):
    {"nonzero_params": names of parameters with an element != 0 (NaN counts), "grads":
    {name: gradient of the mean cross-entropy on the probe's seeded batch}}, computed in
    float64. ValueError when a parameter is missing or changed shape."""
    arch = args["arch"]
    expected = _arch_parameters(arch)
    given = _mapping(_mapping(output, "the model after zero_init").get("params"), "the parameters after zero_init")
    params: dict[str, torch.Tensor] = {}
    for name, shape in expected.items():
        value = given.get(name)
        if not isinstance(value, np.ndarray):
            raise ValueError(f"after zero_init the model has no parameter {name}")
        if value.shape != shape:
            raise ValueError(f"after zero_init {name} has shape {_shown(value.shape)}, expected {_shown(shape)}")
        params[name] = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    if extra := sorted(set(given) - set(expected)):
        raise ValueError(f"after zero_init the model has parameters it did not have before: {', '.join(map(str, extra[:5]))}")
    nonzero = [name for name, p in params.items() if bool((p.detach() != 0).any())]
    images, labels = probes.batch_inputs(int(args.get("seed", 0)), int(args.get("batch", 8)),
                                         args.get("image_shape", (3, 32, 32)), int(args.get("classes", 10)))
    loss = F.cross_entropy(_forward(arch, params, images.to(torch.float64)), labels, reduction="mean")
    grads = torch.autograd.grad(loss, list(params.values()), allow_unused=True)
    return {
        "nonzero_params": nonzero,
        "grads": {name: (np.zeros(p.shape) if g is None else g.detach().numpy().copy())
                  for (name, p), g in zip(params.items(), grads)},
    }
