"""HW1 probes: the trusted functions that exercise a solution.

The same probe runs on the reference (in the trusted grader process) and on a student's
code (in the sandbox child, where the `reference` package is not importable and must never
be loaded). So this file imports only the standard library, numpy and torch, and reaches
the exercised code only through a `ProbeContext`: `ctx.module("lab1")` is
`reference.hw1.lab1` on one side and the student's `lab1.py` on the other.

Every probe is `name(ctx, **args) -> plain data`: dicts, lists, str, int, float, bool, None
and float64 numpy arrays, never an object of the solution's classes. Inputs are created
fresh for every call from fixed seeds, so both sides see the same values and nothing the
exercised code mutates leaks into the next call. What the exercised code returns is
converted (numpy array, torch tensor, list, tuple, number -> float64 array) but not judged:
shapes and tolerances are the checks' business. A return value that cannot be converted
raises `TypeError` naming the function and what it returned. Inside a structured result
(the parts of a tuple, the values of a dict) a part that is None or absent comes back as
None, so the checks can still score the other parts.

Probes compute no answer: they run in the student's process, where the student's code can
replace torch or numpy functions, so whatever grading has to compute from what the code
returned (gradients, parameter and MAC counts, the agreement of two measurements of one
model) is derived in the grader's process by `oracles.py`, from the plain data returned here.

Probes are deterministic on CPU (the same output bytes on every run) and honour
`ctx.device`: models and tensors are moved there, results come back as CPU numpy arrays.

The module works whether or not its loader registers it in `sys.modules` (no dataclasses,
which need that), and it changes no global state: the global torch RNG is restored after
a model is constructed under a seed.
"""

from __future__ import annotations

import math
import pathlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType, ModuleType
from typing import Any, NamedTuple, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# How a student's constructor is seeded: `torch.manual_seed`, or, where this torch build
# has no accelerator at all (no CUDA/ROCm, XPU, MTIA, MPS or custom backend compiled in),
# the CPU generator alone, directly: the same state, without the Python stack that
# torch.manual_seed records for each accelerator not started yet (it reads the source of
# every frame: most of the cost of seeding in a fresh sandbox child). Worked out once, here.
try:
    _CPU_ONLY = (torch.version.cuda is None and torch.version.hip is None and not torch.xpu._is_compiled()
                 and not torch.mtia.is_available() and not torch.backends.mps.is_built()
                 and not hasattr(torch, torch._C._get_privateuse1_backend_name()))
except Exception:  # a build without these probes: seed everything, as torch does
    _CPU_ONLY = False
_SEED_TORCH = torch.default_generator.manual_seed if _CPU_ONLY else torch.manual_seed

# The probe functions of this module (the names rubrics refer to). `dataset`,
# `build_model`, `batch_inputs` and `as_array` are helpers, not probes.
PROBES: tuple[str, ...] = (
    "closed_form",
    "lms",
    "lenet_forward",
    "lenet_layers",
    "lab3_gradients",
    "lab3_zero_init",
    "jacobians",
    "two_layer_grads",
)


class ProbeContext(Protocol):
    """How a probe reaches the code it exercises and the files it reads."""

    device: str  # "cpu" or "cuda"

    def module(self, name: str) -> ModuleType:
        """"lab1", "lab2", "lab3", "problem3" or "scaffold"."""
        ...

    def data_path(self, name: str) -> pathlib.Path:
        """A data file of the assignment, e.g. "lab1.csv"."""
        ...


# --------------------------------------------------------------------------------------
# Converting what the exercised code returned


def _article(word: str) -> str:
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def _describe(value: object) -> str:
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {tuple(value.shape)}"
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return _article(type(value).__name__)


_NUMERIC_KINDS = "biuf"  # bool, signed, unsigned, float


def _convert(value: object) -> np.ndarray | str:
    """A fresh float64 array, or a description of why `value` is not an array of numbers."""
    if isinstance(value, torch.Tensor):
        tensor = value.detach()
        if tensor.is_complex():
            return f"a complex tensor ({tensor.dtype})"
        try:
            if tensor.layout != torch.strided:
                tensor = tensor.to_dense()
            tensor = tensor.resolve_conj().resolve_neg().to(device="cpu", dtype=torch.float64)
            return np.array(tensor.numpy(), dtype=np.float64, copy=True)
        except (RuntimeError, NotImplementedError, TypeError) as exc:
            return f"a tensor that could not be copied to the CPU ({type(exc).__name__})"
    if isinstance(value, np.ndarray):
        if value.dtype.kind in _NUMERIC_KINDS:
            return np.array(value, dtype=np.float64, copy=True)
        if value.dtype.kind == "O":
            inner = _convert(value.tolist())
            return inner if isinstance(inner, str) else inner.reshape(value.shape + inner.shape[value.ndim :])
        return f"an array of dtype {value.dtype}"
    if isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        try:
            return np.array(float(value), dtype=np.float64)
        except OverflowError:
            return "an integer too large for a float"
    if isinstance(value, (list, tuple)):
        parts: list[np.ndarray] = []
        for item in value:
            part = _convert(item)
            if isinstance(part, str):
                return f"{_describe(value)} containing {part}"
            parts.append(part)
        if not parts:
            return np.zeros((0,), dtype=np.float64)
        shapes = {part.shape for part in parts}
        if len(shapes) > 1:
            first, other = parts[0].shape, next(p.shape for p in parts if p.shape != parts[0].shape)
            return f"{_describe(value)} whose items have different shapes {first} and {other}"
        return np.stack(parts)
    return _describe(value)


def as_array(value: object, *, func: str, expect: str, where: str = "") -> np.ndarray:
    """`value` as a new float64 numpy array (CPU), or TypeError naming `func` and what it
    returned, e.g. "closed_form returned a str, expected an array of 3 numbers"."""
    try:
        result = _convert(value)
    except RecursionError:
        result = f"{_describe(value)} nested too deeply"
    if isinstance(result, str):
        raise TypeError(f"{func} returned {result}{where}, expected {expect}")
    return result


def _optional_array(value: object, *, func: str, expect: str, where: str) -> np.ndarray | None:
    return None if value is None else as_array(value, func=func, expect=expect, where=where)


def _parts(value: object, count: int, *, func: str, expect: str) -> list[object]:
    if not isinstance(value, (tuple, list)) or len(value) != count:
        size = f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""
        raise TypeError(f"{func} returned {_describe(value)}{size}, expected {expect}")
    return list(value)


def _mapping(value: object, *, func: str, expect: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"{func} returned {_describe(value)}, expected {expect}")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{func} returned a dict with {_describe(key)} key, expected {expect}")
    return value


def _function(ctx: ProbeContext, module: str, name: str) -> Callable[..., Any]:
    mod = ctx.module(module)
    func = getattr(mod, name, None)
    if func is None:
        raise AttributeError(f"{module} defines no {name}")
    if not callable(func):
        raise TypeError(f"{module}.{name} is {_describe(func)}, expected a function or class")
    return func


def _device(ctx: ProbeContext) -> torch.device:
    return torch.device(ctx.device)


# --------------------------------------------------------------------------------------
# Lab 1 data sets


class _Synthetic(NamedTuple):
    """N rows of x1 ~ U(-x1_scale, x1_scale), x2 ~ U(-x2_scale, x2_scale) and
    y = w1 x1 + w2 x2 + b + N(0, noise^2) with coef = [w1, w2, b], drawn from
    np.random.default_rng(seed)."""

    seed: int
    rows: int
    x1_scale: float
    x2_scale: float
    coef: tuple[float, float, float] = (-1.0, 1.0, -2.0)  # the course data's model
    noise: float = 0.01


# The specifications of the synthetic data sets are rubric data (a check's `args`), not
# names defined here: this file ships in the student kit, and the data sets the grader
# grades on must not be reproducible from it.
_REQUIRED = ("seed", "rows", "x1_scale", "x2_scale")
_OPTIONAL = ("coef", "noise")


def _finite(value: Any, what: str, *, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or (positive and value <= 0):
        raise ValueError(f"data set {what} must be a {'positive' if positive else 'finite'} number, got {value!r}")
    return float(value)


def _synthetic(spec: Mapping[str, Any]) -> _Synthetic:
    """A data set specification {seed, rows, x1_scale, x2_scale[, coef, noise]} checked;
    ValueError names what is wrong (an instructor error in the rubric)."""
    keys = set(spec)
    if not set(_REQUIRED) <= keys <= set(_REQUIRED + _OPTIONAL):
        raise ValueError(f"a data set is 'course' or {{{', '.join(_REQUIRED)}[, {', '.join(_OPTIONAL)}]}}, got keys {sorted(keys)}")
    seed, rows = spec["seed"], spec["rows"]
    for key, value, low in (("seed", seed, 0), ("rows", rows, 3)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"data set {key} must be an integer >= {low}, got {value!r}")
    coef = spec.get("coef", _Synthetic._field_defaults["coef"])
    if isinstance(coef, (str, bytes)) or not isinstance(coef, Sequence) or len(coef) != 3:
        raise ValueError(f"data set coef must be [w1, w2, b], got {coef!r}")
    return _Synthetic(
        seed=seed,
        rows=rows,
        x1_scale=_finite(spec["x1_scale"], "x1_scale", positive=True),
        x2_scale=_finite(spec["x2_scale"], "x2_scale", positive=True),
        coef=tuple(_finite(c, "coef", positive=False) for c in coef),  # type: ignore[arg-type]
        noise=_finite(spec.get("noise", _Synthetic._field_defaults["noise"]), "noise", positive=True),
    )


def dataset(ctx: ProbeContext, name: str | Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of a Lab 1 data set, created fresh on every call: X (N, 2), y (N,), float64.

    "course" is lab1.csv (read through `ctx.data_path`); a mapping {seed, rows, x1_scale,
    x2_scale[, coef, noise]} is a synthetic data set: x1 ~ U(-x1_scale, x1_scale),
    x2 ~ U(-x2_scale, x2_scale), y = w1 x1 + w2 x2 + b + noise with coef = [w1, w2, b]
    (default the course data's model, [-1, 1, -2]) and noise ~ N(0, noise^2) (default std
    0.01), drawn from np.random.default_rng(seed)."""
    if isinstance(name, str):
        if name != "course":
            raise ValueError(f"unknown data set {name!r}: give 'course' or {{{', '.join(_REQUIRED)}}}")
        path = ctx.data_path("lab1.csv")
        with open(path, encoding="utf-8") as fh:
            header = fh.readline().strip()
            if header != "x1,x2,y":
                raise ValueError(f"{path}: expected the header 'x1,x2,y', got {header!r}")
            data = np.loadtxt(fh, delimiter=",", dtype=np.float64, ndmin=2)
        return data[:, :2].copy(), data[:, 2].copy()
    if not isinstance(name, Mapping):
        raise ValueError(f"a data set is 'course' or a mapping, got {type(name).__name__}")
    spec = _synthetic(name)
    rng = np.random.default_rng(spec.seed)
    X = rng.uniform(-1.0, 1.0, size=(spec.rows, 2)) * np.array([spec.x1_scale, spec.x2_scale])
    w1, w2, b = spec.coef
    y = w1 * X[:, 0] + w2 * X[:, 1] + b + rng.normal(0.0, spec.noise, size=spec.rows)
    return X, y


_dataset = dataset  # the probes below take a keyword argument named `dataset`


def closed_form(ctx: ProbeContext, *, dataset: str | Mapping[str, Any]) -> dict[str, Any]:
    """lab1.closed_form(X, y) on one data set -> {"w": array}."""
    X, y = _dataset(ctx, dataset)
    w = _function(ctx, "lab1", "closed_form")(X, y)
    return {"w": as_array(w, func="closed_form", expect="an array of 3 numbers [w1, w2, b]")}


def lms(ctx: ProbeContext, *, dataset: str | Mapping[str, Any] = "course", lr: float = 0.01, epochs: int = 20) -> dict[str, Any]:
    """lab1.lms(X, y, lr=lr, epochs=epochs) -> {"w": final weights, "mse": MSE per epoch}."""
    X, y = _dataset(ctx, dataset)
    result = _function(ctx, "lab1", "lms")(X, y, lr=float(lr), epochs=int(epochs))
    w, history = _parts(result, 2, func="lms", expect="a pair (w, mse_per_epoch)")
    return {
        "w": as_array(w, func="lms", expect="an array of 3 numbers [w1, w2, b]", where=" as w"),
        "mse": as_array(history, func="lms", expect=f"{epochs} MSE values, one per epoch", where=" as mse_per_epoch"),
    }


# --------------------------------------------------------------------------------------
# Lab 2


def _seeded_instance(factory: Callable[[], Any], seed: int, *, what: str) -> nn.Module:
    """Call `factory()` with the global torch RNG seeded (restored afterwards)."""
    with torch.random.fork_rng(devices=[]):
        _SEED_TORCH(seed)
        model = factory()
    if not isinstance(model, nn.Module):
        raise TypeError(f"{what} built {_describe(model)}, expected an nn.Module")
    return model


def lenet_forward(ctx: ProbeContext, *, batch: int = 5, seed: int = 0) -> dict[str, Any]:
    """LeNet5() (weights from seed) on a seeded (batch, 3, 32, 32) input ->
    {"output_shape": [...], "finite": bool}."""
    model = _seeded_instance(_function(ctx, "lab2", "LeNet5"), seed, what="LeNet5()")
    model = model.to(_device(ctx)).eval()
    gen = torch.Generator().manual_seed(seed)
    images = torch.randn((int(batch), 3, 32, 32), generator=gen).to(_device(ctx))
    with torch.no_grad():
        out = model(images)
    logits = as_array(out, func="LeNet5.forward", expect=f"a ({batch}, 10) tensor of logits")
    return {"output_shape": list(logits.shape), "finite": bool(np.isfinite(logits).all())}


def _shape(value: object) -> list[int] | None:
    return [int(d) for d in value.shape] if isinstance(value, torch.Tensor) else None


def _structure(name: str, layer: nn.Module, scaffold_classes: tuple[type, ...]) -> dict[str, Any]:
    """What an nn.Conv2d / nn.Linear is, read from the module itself (no forward pass)."""
    weight = getattr(layer, "weight", None)
    bias = getattr(layer, "bias", None)
    return {
        "name": name,
        "type": "conv" if isinstance(layer, nn.Conv2d) else "fc",
        "scaffold": isinstance(layer, scaffold_classes),
        "weight_shape": _shape(weight),
        "bias_shape": _shape(bias),
    }


_LENET_INPUT_SEED = 20_240_201


def lenet_layers(ctx: ProbeContext) -> dict[str, Any]:
    """The student's LeNet5, measured three ways on one seeded (1, 3, 32, 32) input.

    -> {"modules": every nn.Conv2d / nn.Linear in `named_modules()` order, read from the
    module ({"name", "type" ("conv" | "fc"), "scaffold" (an instance of the scaffold's CONV /
    FC as captured before the student's code ran), "weight_shape", "bias_shape"}),
    "parameters": [[name, shape], ...] for every parameter, "recorded": the
    shapes of the `input` / `output` tensors that the scaffold's own layers keep (as the
    course's CONV / FC do) after a forward pass without hooks, "calls": [{"name", "input_shape", "output_shape"}, ...] seen by forward
    hooks in the order of first call, "last_call": {name: [input shape, output shape]} of
    each layer's last call under hooks, "outputs": {"plain": logits without hooks, "hooked":
    logits with hooks}}.

    Nothing here computes an answer: parameter and MAC counts, and the check that the
    three measurements agree (a model that behaves differently while it is measured), are
    derived in the grader's process (`oracles.lenet_layers`)."""
    scaffold = ctx.module("scaffold")
    scaffold_classes = (scaffold.CONV, scaffold.FC)
    scaffold_forwards = (scaffold.CONV.forward, scaffold.FC.forward)
    model = _seeded_instance(_function(ctx, "lab2", "LeNet5"), 0, what="LeNet5()")
    model = model.to(_device(ctx)).eval()
    images = torch.randn((1, 3, 32, 32), generator=torch.Generator().manual_seed(_LENET_INPUT_SEED)).to(_device(ctx))
    layers = [(name, layer) for name, layer in model.named_modules() if isinstance(layer, (nn.Conv2d, nn.Linear))]
    modules = [_structure(name, layer, scaffold_classes) for name, layer in layers]
    parameters = [[name, _shape(param)] for name, param in model.named_parameters()]
    # The scaffold's layers note their shapes on every call: a measurement without hooks.
    noting = [(name, layer) for name, layer in layers
              if isinstance(layer, scaffold_classes) and getattr(type(layer), "forward", None) in scaffold_forwards]
    for _, layer in noting:
        layer.input = None
        layer.output = None
    with torch.no_grad():
        plain = model(images)
    recorded = {}
    for name, layer in noting:
        recorded[name] = [_shape(getattr(layer, "input", None)), _shape(getattr(layer, "output", None))]
    calls: list[dict[str, Any]] = []
    last_call: dict[str, list[list[int] | None]] = {}  # as the layers note it: the last call's shapes

    def hook_for(name: str) -> Callable[[nn.Module, tuple[Any, ...], Any], None]:
        def hook(module: nn.Module, args: tuple[Any, ...], out: Any) -> None:
            shapes = [_shape(args[0]) if args else None, _shape(out)]
            if name not in last_call:
                calls.append({"name": name, "input_shape": shapes[0], "output_shape": shapes[1]})
            last_call[name] = shapes

        return hook

    handles = []
    try:
        for name, layer in layers:
            handles.append(layer.register_forward_hook(hook_for(name)))
        with torch.no_grad():
            hooked = model(images)
    finally:
        for handle in handles:
            handle.remove()
    expect = "a (1, 10) tensor of logits"
    return {
        "modules": modules,
        "parameters": parameters,
        "recorded": recorded,
        "calls": calls,
        "last_call": last_call,
        "outputs": {
            "plain": as_array(plain, func="LeNet5.forward", expect=expect),
            "hooked": as_array(hooked, func="LeNet5.forward", expect=expect),
        },
    }


# --------------------------------------------------------------------------------------
# Lab 3: a generic builder (the architecture arrives as data) and the gradient probes


class _Step(NamedTuple):
    layer: str  # "conv" | "fc" | "relu" | "maxpool" | "flatten"
    name: str | None = None
    kernel: int = 0
    stride: int = 0


_LAYER_KEYS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = MappingProxyType(
    {  # layer -> (required keys, optional keys), besides "layer"
        "conv": (frozenset({"name", "in", "out", "kernel"}), frozenset({"stride", "padding", "bias"})),
        "fc": (frozenset({"name", "in", "out"}), frozenset({"bias"})),
        "relu": (frozenset(), frozenset()),
        "maxpool": (frozenset({"kernel"}), frozenset({"stride"})),
        "flatten": (frozenset(), frozenset()),
    }
)


class _ArchModel(nn.Module):
    """A feed-forward network from a plain-data layer list; parameters are named
    "<name>.weight" / "<name>.bias"."""

    def __init__(self, steps: tuple[_Step, ...], layers: Mapping[str, nn.Module]) -> None:
        super().__init__()
        self._steps = steps
        for name, layer in layers.items():
            self.add_module(name, layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for step in self._steps:
            if step.layer in ("conv", "fc"):
                x = getattr(self, str(step.name))(x)
            elif step.layer == "relu":
                x = F.relu(x)
            elif step.layer == "maxpool":
                x = F.max_pool2d(x, step.kernel, step.stride)
            else:  # flatten
                x = torch.flatten(x, 1)
        return x


def _positive_int(entry: Mapping[str, Any], key: str, where: str, minimum: int = 1) -> int:
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where}: {key!r} must be an integer >= {minimum}, got {value!r}")
    return value


def _flag(entry: Mapping[str, Any], key: str, where: str) -> bool:
    value = entry[key]
    if not isinstance(value, bool):
        raise ValueError(f"{where}: {key!r} must be true or false, got {value!r}")
    return value


def build_model(ctx: ProbeContext, arch: Sequence[Mapping[str, Any]], seed: int) -> nn.Module:
    """An nn.Module for the layer list `arch`, built from the scaffold's CONV and FC, on
    ctx.device.

    `arch` items: {"layer": "conv", "name", "in", "out", "kernel"[, "stride", "padding",
    "bias"]}, {"layer": "fc", "name", "in", "out"[, "bias"]}, {"layer": "relu"},
    {"layer": "maxpool", "kernel"[, "stride" (default: kernel)]}, {"layer": "flatten"}.
    "bias" defaults to the scaffold's own default (the course's CONV has none, FC has one).
    Weights and the biases that exist are drawn in layer order from a torch.Generator seeded
    with `seed`, uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) like PyTorch's default; the global
    RNG is left as it was.
    Raises ValueError for an arch that does not validate (an instructor error)."""
    scaffold = ctx.module("scaffold")
    if isinstance(arch, (str, bytes)) or not isinstance(arch, Sequence) or not arch:
        raise ValueError("arch must be a non-empty list of layer dicts")
    steps: list[_Step] = []
    layers: dict[str, nn.Module] = {}
    shapes: list[tuple[str, int, int, int]] = []  # (name, in, out, kernel; 0 for fc)
    with torch.random.fork_rng(devices=[]):
        for index, entry in enumerate(arch):
            where = f"arch[{index}]"
            if not isinstance(entry, Mapping) or entry.get("layer") not in _LAYER_KEYS:
                raise ValueError(f"{where}: expected a dict with 'layer' one of {', '.join(_LAYER_KEYS)}, got {entry!r}")
            kind = entry["layer"]
            required, optional = _LAYER_KEYS[kind]
            keys = set(entry) - {"layer"}
            if missing := sorted(required - keys):
                raise ValueError(f"{where} ({kind}): missing {', '.join(missing)}")
            if unknown := sorted(keys - required - optional):
                raise ValueError(f"{where} ({kind}): unknown key(s) {', '.join(unknown)}")
            if kind in ("conv", "fc"):
                name = entry["name"]
                if not isinstance(name, str) or not name.isidentifier() or name in layers:
                    raise ValueError(f"{where}: 'name' must be a new identifier, got {name!r}")
                n_in, n_out = _positive_int(entry, "in", where), _positive_int(entry, "out", where)
                if kind == "conv":
                    kernel = _positive_int(entry, "kernel", where)
                    stride = _positive_int(entry, "stride", where) if "stride" in entry else 1
                    padding = _positive_int(entry, "padding", where, minimum=0) if "padding" in entry else 0
                    bias_kw = {"bias": _flag(entry, "bias", where)} if "bias" in entry else {}
                    layers[name] = scaffold.CONV(n_in, n_out, kernel, stride, padding, **bias_kw)
                else:
                    kernel = 0
                    bias_kw = {"bias": _flag(entry, "bias", where)} if "bias" in entry else {}
                    layers[name] = scaffold.FC(n_in, n_out, **bias_kw)
                shapes.append((name, n_in, n_out, kernel))
                steps.append(_Step(kind, name=name))
            elif kind == "maxpool":
                kernel = _positive_int(entry, "kernel", where)
                stride = _positive_int(entry, "stride", where) if "stride" in entry else kernel
                steps.append(_Step(kind, kernel=kernel, stride=stride))
            else:
                steps.append(_Step(kind))
    model = _ArchModel(tuple(steps), layers)
    gen = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for name, n_in, n_out, kernel in shapes:
            layer = layers[name]
            fan_in = n_in * kernel * kernel if kernel else n_in
            bound = 1.0 / math.sqrt(fan_in)
            weight = torch.empty(tuple(layer.weight.shape)).uniform_(-bound, bound, generator=gen)
            layer.weight.copy_(weight)
            if layer.bias is not None:
                layer.bias.copy_(torch.empty(n_out).uniform_(-bound, bound, generator=gen))
    return model.to(_device(ctx))


_DATA_SEED_OFFSET = 7919  # images and labels use a seed apart from the weights'


def batch_inputs(seed: int, batch: int, image_shape: Iterable[int], classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The seeded (images, labels) of the Lab 3 probes, on the CPU: images (batch,
    *image_shape) ~ N(0, 1), labels uniform in [0, classes). The grader's oracles draw the
    same batch from the same seed."""
    gen = torch.Generator().manual_seed(int(seed) + _DATA_SEED_OFFSET)
    images = torch.randn((int(batch), *(int(d) for d in image_shape)), generator=gen)
    labels = torch.randint(0, int(classes), (int(batch),), generator=gen)
    return images, labels


def _batch(ctx: ProbeContext, seed: int, batch: int, image_shape: Iterable[int], classes: int) -> tuple[torch.Tensor, torch.Tensor]:
    images, labels = batch_inputs(seed, batch, image_shape, classes)
    return images.to(_device(ctx)), labels.to(_device(ctx))


def _grad_dict(grads: Mapping[str, Any], *, func: str) -> dict[str, np.ndarray | None]:
    return {
        name: _optional_array(value, func=func, expect="a gradient array", where=f" for {name!r}")
        for name, value in grads.items()
    }


def lab3_gradients(
    ctx: ProbeContext,
    *,
    arch: Sequence[Mapping[str, Any]],
    seed: int = 0,
    batch: int = 8,
    image_shape: Sequence[int] = (3, 32, 32),
    classes: int = 10,
) -> dict[str, Any]:
    """lab3.layer_gradients(model, images, labels) on build_model(arch, seed) and a seeded
    batch -> {"grads": {parameter name: array}}."""
    model = build_model(ctx, arch, seed)
    images, labels = _batch(ctx, seed, batch, image_shape, classes)
    result = _function(ctx, "lab3", "layer_gradients")(model, images, labels)
    grads = _mapping(result, func="layer_gradients", expect="a dict mapping parameter names to gradients")
    return {"grads": _grad_dict(grads, func="layer_gradients")}


def lab3_zero_init(
    ctx: ProbeContext,
    *,
    arch: Sequence[Mapping[str, Any]],
    seed: int = 0,
    batch: int = 8,
    image_shape: Sequence[int] = (3, 32, 32),
    classes: int = 10,
) -> dict[str, Any]:
    """lab3.zero_init(model) on build_model(arch, seed) -> {"params": {name: array}}, the
    parameters as zero_init left them. `batch`, `image_shape` and `classes` are not used
    here: the grader derives what is graded from the parameters (which are not zero, and
    the gradients of the mean cross-entropy on the seeded batch, `oracles.lab3_zero_init`)
    in its own process, where the student's code cannot change torch."""
    model = build_model(ctx, arch, seed)
    _function(ctx, "lab3", "zero_init")(model)
    return {
        "params": {
            name: as_array(param, func="zero_init", expect="a parameter tensor", where=f" as {name!r}")
            for name, param in model.named_parameters()
        }
    }


# --------------------------------------------------------------------------------------
# Problem 3


def _shape_list(shapes: Sequence[Sequence[int]], arity: int, what: str) -> list[tuple[int, ...]]:
    result = []
    for item in shapes:
        dims = tuple(item)
        if len(dims) != arity or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in dims):
            raise ValueError(f"shapes: each item must be {what} (positive integers), got {item!r}")
        result.append(dims)
    return result


def jacobians(ctx: ProbeContext, *, shapes: Sequence[Sequence[int]], seed: int = 0) -> dict[str, Any]:
    """problem3.sigmoid_layer_jacobians(W, b, x) on seeded float64 inputs, one case per
    [n_in, n_out] -> {"cases": [{"n_in", "n_out", "dx", "dW", "db"}, ...]}."""
    func = _function(ctx, "problem3", "sigmoid_layer_jacobians")
    gen = torch.Generator().manual_seed(int(seed))
    cases = []
    for n_in, n_out in _shape_list(shapes, 2, "[n_in, n_out]"):
        W = torch.randn((n_out, n_in), generator=gen, dtype=torch.float64)
        b = torch.randn((n_out,), generator=gen, dtype=torch.float64)
        x = torch.randn((n_in,), generator=gen, dtype=torch.float64)
        device = _device(ctx)
        result = func(W.to(device), b.to(device), x.to(device))
        dx, dW, db = _parts(result, 3, func="sigmoid_layer_jacobians", expect="a tuple (dx, dW, db)")
        case: dict[str, Any] = {"n_in": n_in, "n_out": n_out}
        for key, value in (("dx", dx), ("dW", dW), ("db", db)):
            case[key] = _optional_array(value, func="sigmoid_layer_jacobians", expect="a Jacobian array", where=f" as {key}")
        cases.append(case)
    return {"cases": cases}


def two_layer_grads(ctx: ProbeContext, *, shapes: Sequence[Sequence[int]], seed: int = 0) -> dict[str, Any]:
    """problem3.two_layer_grads(W1, b1, W2, b2, x1, t) on seeded float64 inputs, one case
    per [n_in, n_hidden, n_out] -> {"cases": [{"n_in", "n_hidden", "n_out", "W1", "b1",
    "W2", "b2"}, ...]} (a key the solution did not return is None)."""
    func = _function(ctx, "problem3", "two_layer_grads")
    gen = torch.Generator().manual_seed(int(seed))
    cases = []
    for n_in, n_hidden, n_out in _shape_list(shapes, 3, "[n_in, n_hidden, n_out]"):
        W1 = torch.randn((n_hidden, n_in), generator=gen, dtype=torch.float64)
        b1 = torch.randn((n_hidden,), generator=gen, dtype=torch.float64)
        W2 = torch.randn((n_out, n_hidden), generator=gen, dtype=torch.float64)
        b2 = torch.randn((n_out,), generator=gen, dtype=torch.float64)
        x1 = torch.randn((n_in,), generator=gen, dtype=torch.float64)
        t = torch.randn((n_out,), generator=gen, dtype=torch.float64)
        device = _device(ctx)
        result = func(*(v.to(device) for v in (W1, b1, W2, b2, x1, t)))
        grads = _mapping(result, func="two_layer_grads", expect="a dict with keys W1, b1, W2, b2")
        case: dict[str, Any] = {"n_in": n_in, "n_hidden": n_hidden, "n_out": n_out}
        for key in ("W1", "b1", "W2", "b2"):
            case[key] = _optional_array(grads.get(key), func="two_layer_grads", expect="a gradient array", where=f" for {key!r}")
        cases.append(case)
    return {"cases": cases}
