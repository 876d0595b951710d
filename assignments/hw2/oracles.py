"""HW2 oracles: what is graded, derived in the grader's process from a probe's plain output.

The student's code runs in the same process as the probes and could change torch there,
so the comparisons with PyTorch's own answers happen here: the inputs are redrawn from the
rubric's seed (the same `case_inputs` functions the probes use) and the student's results
are compared with autograd, F.conv2d and torch.optim.SGD computed in this process.

An oracle is `name(output, args) -> plain data`; `output` is untrusted on the student's
side (any structure within the sandbox's result limit): anything that does not fit raises
ValueError with a message for the student. Never shipped to the sandbox or a student kit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from . import probes

ORACLES: tuple[str, ...] = ("bn_vs_autograd", "conv_vs_torch", "param_count", "sgd_vs_torch", "training_loss")

MAX_PARAMETERS = 1024
MAX_ELEMENTS = 2**31


def _cases(output: Any, count: int, what: str) -> list[Mapping[str, Any]]:
    cases = output.get("cases") if isinstance(output, Mapping) else None
    if not isinstance(cases, list) or len(cases) != count or not all(isinstance(c, Mapping) for c in cases):
        raise ValueError(f"the results of {what} are not readable (expected {count} cases)")
    return cases


def _array(value: Any, shape: tuple[int, ...], what: str) -> np.ndarray:
    if value is None:
        raise ValueError(f"{what} was not returned")
    if not isinstance(value, np.ndarray) or value.dtype != np.float64:
        raise ValueError(f"{what} is not an array of numbers")
    if value.shape != shape:
        raise ValueError(f"{what} has shape {value.shape}, expected {shape}")
    return value


def _gap(got: np.ndarray, expected: torch.Tensor) -> float:
    """The largest absolute difference (inf where the student's value is not finite)."""
    diff = np.abs(got - expected.detach().numpy())
    return float(diff.max()) if np.isfinite(diff).all() else math.inf


def bn_vs_autograd(output: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    """Per case, the largest difference of the student's dx, dgamma, dbeta from autograd's
    gradients of sum(out * dout) through F.batch_norm (training mode) on the same inputs."""
    spec = probes._sizes(args["cases"], probes.BN_KEYS, "bn cases")
    gen = probes.pk.generator(int(args["seed"]))
    eps = float(args.get("eps", 1e-5))
    found = []
    for case, got in zip(spec, _cases(output, len(spec), "batchnorm_backward")):
        inputs = probes.bn_case_inputs(case, gen)
        x = inputs["x"].clone().requires_grad_(True)
        gamma = inputs["gamma"].clone().requires_grad_(True)
        beta = inputs["beta"].clone().requires_grad_(True)
        out = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
        dx, dgamma, dbeta = torch.autograd.grad((out * inputs["dout"]).sum(), (x, gamma, beta))
        where = f"case N={case['n']}, D={case['d']}: "
        n, d = case["n"], case["d"]
        found.append({
            "n": n,
            "d": d,
            "dx": _gap(_array(got.get("dx"), (n, d), where + "dx"), dx),
            "dgamma": _gap(_array(got.get("dgamma"), (d,), where + "dgamma"), dgamma),
            "dbeta": _gap(_array(got.get("dbeta"), (d,), where + "dbeta"), dbeta),
        })
    return {"max_abs_difference": found}


def conv_vs_torch(output: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    """Per case, the largest difference of the student's output from F.conv2d's."""
    spec = probes._sizes(args["cases"], probes.CONV_KEYS, "conv cases")
    gen = probes.pk.generator(int(args["seed"]))
    found = []
    for case, got in zip(spec, _cases(output, len(spec), "conv2d_naive")):
        inputs = probes.conv_case_inputs(case, gen)
        expected = F.conv2d(inputs["x"], inputs["w"], inputs["b"], stride=case["stride"], padding=case["padding"])
        where = f"case x {case['n']}x{case['c']}x{case['h']}x{case['w']}, stride {case['stride']}, padding {case['padding']}: out"
        found.append({**case, "out": _gap(_array(got.get("out"), tuple(expected.shape), where), expected)})
    return {"max_abs_difference": found}


def param_count(output: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    """{"total": trainable parameters, "per_parameter": {name: count}} from the shapes."""
    params = output.get("parameters") if isinstance(output, Mapping) else None
    if not isinstance(params, list) or len(params) > MAX_PARAMETERS:
        raise ValueError("the parameters of SimpleCNN are not readable")
    per: dict[str, int] = {}
    for item in params:
        if not (isinstance(item, list) and len(item) == 3 and isinstance(item[0], str) and isinstance(item[1], list)
                and isinstance(item[2], bool) and all(type(d) is int and 0 <= d < MAX_ELEMENTS for d in item[1])):
            raise ValueError("the parameters of SimpleCNN are not readable")
        if item[2]:
            per[item[0][:200]] = math.prod(item[1])
    return {"total": sum(per.values()), "per_parameter": per}


def sgd_vs_torch(output: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    """Per step, the largest difference of the student's parameters from torch.optim.SGD's
    (same lr, momentum, weight decay, dampening 0) on the same initial values and gradients."""
    shapes: Sequence[Sequence[int]] = args["shapes"]
    steps = int(args["steps"])
    params, grads = probes.sgd_inputs(shapes, steps, int(args["seed"]))
    params = [p.clone().requires_grad_(True) for p in params]
    opt = torch.optim.SGD(params, lr=float(args["lr"]), momentum=float(args["momentum"]), weight_decay=float(args["weight_decay"]))
    got = output.get("steps") if isinstance(output, Mapping) else None
    names = [f"p{i}" for i in range(len(shapes))]
    if not isinstance(got, list) or len(got) != steps or not all(isinstance(s, Mapping) and list(s) == names for s in got):
        raise ValueError(f"the parameters after each of the {steps} steps are not readable")
    gaps = []
    for t in range(steps):
        for p, g in zip(params, grads[t]):
            p.grad = g.clone()
        opt.step()
        gaps.append(max(_gap(_array(got[t][name], tuple(p.shape), f"step {t + 1}: {name}"), p)
                        for name, p in zip(names, params)))
    return {"max_abs_difference": gaps}


def training_loss(output: Any, args: Mapping[str, Any]) -> dict[str, Any]:
    """The cross-entropy on the whole blobs set of the model before training and after each
    epoch, computed here from the parameters the probe read; `decreased`: the last is below
    0.9 times the first; `reported_numbers`: every call of train_one_epoch returned a finite
    number."""
    X, y = probes.blobs(int(args["n"]), int(args["seed"]))
    epochs = int(args["epochs"])
    history = output.get("params") if isinstance(output, Mapping) else None
    reported = output.get("reported") if isinstance(output, Mapping) else None
    if not isinstance(history, list) or len(history) != epochs + 1 or not isinstance(reported, list) or len(reported) != epochs:
        raise ValueError(f"the model after each of the {epochs} epochs is not readable")
    model = probes.pk.build_model(probes.TRAIN_ARCH)
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    losses = []
    for state in history:
        if not isinstance(state, Mapping) or set(state) != set(shapes):
            raise ValueError("the model's parameters changed names during training")
        weights = {name: _array(state[name], shapes[name], name) for name in shapes}
        model = probes.pk.build_model(probes.TRAIN_ARCH, weights=weights)
        with torch.no_grad():
            loss = float(F.cross_entropy(model(X), y))
        losses.append(loss if math.isfinite(loss) else math.inf)
    numbers = all(
        (isinstance(r, float) and math.isfinite(r)) or (isinstance(r, np.ndarray) and r.size == 1 and bool(np.isfinite(r).all()))
        for r in reported
    )
    return {"losses": losses, "decreased": bool(losses[-1] < 0.9 * losses[0]), "reported_numbers": numbers}
