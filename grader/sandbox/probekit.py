"""probekit: what an assignment's probes share, loadable where probes run.

A probe runs twice: on the reference in the grader's process, and on the student's code
in the sandbox child, where nothing of `grader` (or of the course's reference) can be
imported. This module is the exception: it imports only the standard library, numpy and
torch, and the sandbox's zygote loads it by file path (as `probekit`) before the probes
module, so a probes file writes

    import probekit as pk

on both sides (the grader registers this module under that name when it loads probes).
In the child it is pinned like the probes themselves (`_child/pinning.py`): the probes run
with a private copy of its functions and globals, captured before any student code is
imported, and a call after which the student's code changed anything of it (or a library
function it uses) is reported as not graded.

What it offers (see docs/probekit.md for examples):

- converting what the student's code returned into plain data, or a TypeError naming the
  student's function and what it returned: `as_array`, `optional_array`, `to_plain`,
  `parts`, `mapping`, `describe`;
- reaching the student's function with a clear message: `function(ctx, "lab1", "lms")`;
- seeded instances: `generator`, `randn`, `seeded_instance` (a model built under a seed,
  the global RNG left as it was);
- a model from a plain-data layer list, with seeded or given weights: `build_model`;
- calling a student function with a time budget: `call_with_budget`;
- reading names a notebook (or module) left after it ran: `read_names`.

Nothing here computes an answer: probes run in the student's process, where the student's
code could change torch or numpy, so what decides a grade is derived in the grader's
process (the assignment's oracles) from the plain data a probe returns.
"""

from __future__ import annotations

import math
import signal
import threading
import time
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

NAME = "probekit"  # the name probes import this module by, on both sides

# Taken when this module is loaded (in the sandbox: in the zygote, before any student code)
# and used instead of looking them up at each call: torch rebinds torch.manual_seed itself
# when it first imports torch._dynamo (an optimizer's first step does), and the pins would
# report the call as the student's tampering; a student's own rebinding changes nothing either.
# (The pins watch a library's attribute by its name wherever this module's code uses that
# name, so no function here spells `manual_seed`.)
_manual_seed = torch.manual_seed
_seed_generator = torch.Generator.manual_seed
_fork_rng = torch.random.fork_rng
_seed_cpu = torch.default_generator.manual_seed


# Whether this torch build can seed nothing but the CPU: no CUDA/ROCm, XPU, MTIA or MPS
# compiled in, no custom backend. `torch.manual_seed` also queues a seed for each
# accelerator not initialised yet, recording the Python stack each time (it reads the
# source of every frame: most of the cost of seeding in a fresh sandbox child); in such a
# build no queued seed can ever apply, so seeding the CPU generator alone leaves exactly
# the state `torch.manual_seed` leaves. (Worked out here, at the top level, not in a
# function: the pins would watch every torch name a function of this module spells.)
try:
    _CPU_ONLY = (torch.version.cuda is None and torch.version.hip is None and not torch.xpu._is_compiled()
                 and not torch.mtia.is_available() and not torch.backends.mps.is_built()
                 and not hasattr(torch, torch._C._get_privateuse1_backend_name()))
except Exception:  # noqa: BLE001 - a build without these probes: seed everything, as torch does
    _CPU_ONLY = False

__all__ = [
    "NAME",
    "BudgetExceeded",
    "Context",
    "article",
    "as_array",
    "build_model",
    "call_with_budget",
    "describe",
    "device",
    "function",
    "generator",
    "mapping",
    "optional_array",
    "parts",
    "randn",
    "seed_torch",
    "read_names",
    "seeded_instance",
    "to_plain",
]


class Context(Protocol):
    """How a probe reaches the code it exercises and the files it reads (the engine's
    reference context on one side, the sandbox's on the other)."""

    device: str  # "cpu" or "cuda"

    def module(self, name: str) -> types.ModuleType:
        """The solution's module `name` (the reference's, or the student's file)."""
        ...

    def data_path(self, name: str) -> Any:
        """The path of a support data file of the assignment."""
        ...


def device(ctx: Context) -> torch.device:
    """The torch device probes move models and tensors to."""
    return torch.device(ctx.device)


# --------------------------------------------------------------------------------------
# Describing and converting what the exercised code returned


def article(word: str) -> str:
    """"an int", "a tensor": for messages."""
    return f"an {word}" if word[:1].lower() in "aeiou" else f"a {word}"


def describe(value: object) -> str:
    """A short description of a value for a student's message, calling none of its methods
    beyond `shape` of arrays and tensors: "a tensor of shape (4, 3)", "a str", "None"."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        return f"a numpy array of shape {tuple(value.shape)}"
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    name = type(value).__name__
    return article(name if isinstance(name, str) else "object")


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
        converted: list[np.ndarray] = []
        for item in value:
            part = _convert(item)
            if isinstance(part, str):
                return f"{describe(value)} containing {part}"
            converted.append(part)
        if not converted:
            return np.zeros((0,), dtype=np.float64)
        shapes = {part.shape for part in converted}
        if len(shapes) > 1:
            first = converted[0].shape
            other = next(p.shape for p in converted if p.shape != first)
            return f"{describe(value)} whose items have different shapes {first} and {other}"
        return np.stack(converted)
    return describe(value)


def as_array(value: object, *, func: str, expect: str, where: str = "") -> np.ndarray:
    """`value` (a tensor on any device, a numpy array, a number, nested lists of them) as a
    new float64 numpy array on the CPU, or TypeError naming `func` and what it returned:
    "closed_form returned a str, expected an array of 3 numbers"."""
    try:
        result = _convert(value)
    except RecursionError:
        result = f"{describe(value)} nested too deeply"
    if isinstance(result, str):
        raise TypeError(f"{func} returned {result}{where}, expected {expect}")
    return result


def optional_array(value: object, *, func: str, expect: str, where: str = "") -> np.ndarray | None:
    """None for None (a part the solution left out: the checks can still score the other
    parts), else `as_array`."""
    return None if value is None else as_array(value, func=func, expect=expect, where=where)


MAX_PLAIN_ITEMS = 100_000  # dict entries and list items in one `to_plain` result
MAX_PLAIN_DEPTH = 20
MAX_PLAIN_TEXT = 10_000  # characters of one string


def to_plain(value: object, *, func: str, expect: str, where: str = "") -> Any:
    """A nested result (dicts with str keys, lists, tuples, tensors, arrays, numbers,
    strings, None) as plain data the sandbox can send back: tensors and numeric arrays
    become float64 numpy arrays, numpy scalars become Python numbers, tuples become lists.
    Anything else raises TypeError naming `func`, where in the result it is, and what it
    is: "batchnorm_forward returned a generator at ['cache'][2], expected ...". Sizes are
    bounded (items, depth, string length) so a huge or cyclic result fails plainly."""
    count = 0

    def walk(item: object, path: str, depth: int) -> Any:
        nonlocal count
        count += 1
        at = f" at {path}" if path else ""
        if count > MAX_PLAIN_ITEMS:
            raise TypeError(f"{func} returned more than {MAX_PLAIN_ITEMS} values{where}, expected {expect}")
        if depth > MAX_PLAIN_DEPTH:
            raise TypeError(f"{func} returned a value nested more than {MAX_PLAIN_DEPTH} levels deep{where}, expected {expect}")
        if item is None or type(item) in (bool, int, str):
            if type(item) is str and len(item) > MAX_PLAIN_TEXT:
                raise TypeError(f"{func} returned a string of {len(item)} characters{at}{where}, expected {expect}")
            return item
        if type(item) is float:
            return item
        if isinstance(item, np.bool_):
            return bool(item)
        if isinstance(item, np.integer):
            return int(item)
        if isinstance(item, np.floating):
            return float(item)
        if isinstance(item, (torch.Tensor, np.ndarray)):
            converted = _convert(item)
            if isinstance(converted, str):
                raise TypeError(f"{func} returned {converted}{at}{where}, expected {expect}")
            return converted
        if isinstance(item, (list, tuple)):
            return [walk(part, f"{path}[{i}]", depth + 1) for i, part in enumerate(item)]
        if isinstance(item, Mapping):
            out: dict[str, Any] = {}
            for key in list(item.keys()):
                if type(key) is not str:
                    raise TypeError(f"{func} returned a dict with {describe(key)} key{at}{where}, expected {expect}")
                out[key] = walk(item[key], f"{path}[{key!r}]", depth + 1)
            return out
        raise TypeError(f"{func} returned {describe(item)}{at}{where}, expected {expect}")

    return walk(value, "", 0)


def parts(value: object, count: int, *, func: str, expect: str) -> list[object]:
    """The `count` items of a tuple or list the solution returned, or TypeError:
    "lms returned a tuple of length 3, expected a pair (w, mse_per_epoch)"."""
    if not isinstance(value, (tuple, list)) or len(value) != count:
        size = f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""
        raise TypeError(f"{func} returned {describe(value)}{size}, expected {expect}")
    return list(value)


def mapping(value: object, *, func: str, expect: str) -> Mapping[str, Any]:
    """A dict with str keys the solution returned, or TypeError naming what it was."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{func} returned {describe(value)}, expected {expect}")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{func} returned a dict with {describe(key)} key, expected {expect}")
    return value


def function(ctx: Context, module: str, name: str) -> Callable[..., Any]:
    """The solution's `module.name` (a function or a class): AttributeError "lab1 defines
    no lms" when it is not there, TypeError when it is not callable."""
    mod = ctx.module(module)
    found = getattr(mod, name, None)
    if found is None:
        raise AttributeError(f"{module} defines no {name}")
    if not callable(found):
        raise TypeError(f"{module}.{name} is {describe(found)}, expected a function or class")
    return found  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------
# Seeded instances


def generator(seed: int) -> torch.Generator:
    """A CPU torch.Generator seeded with `seed` (the global RNG is not touched)."""
    gen = torch.Generator()
    _seed_generator(gen, int(seed))
    return gen


def seed_torch(seed: int) -> None:
    """Seed torch's global generators as `torch.manual_seed(seed)` does, the CPU's alone
    (directly) where the build has nothing else to seed (see `_CPU_ONLY`)."""
    if _CPU_ONLY:
        _seed_cpu(int(seed))
    else:
        _manual_seed(int(seed))


def randn(shape: Iterable[int], seed: int | torch.Generator, *, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """A standard normal tensor on the CPU drawn from `seed` (a seed, or a generator to
    draw several tensors in a row): the same numbers on both sides."""
    gen = seed if isinstance(seed, torch.Generator) else generator(seed)
    return torch.randn(tuple(int(d) for d in shape), generator=gen, dtype=dtype)


def seeded_instance(factory: Callable[..., Any], seed: int, *args: Any, what: str, **kwargs: Any) -> nn.Module:
    """`factory(*args, **kwargs)` with the global torch RNG seeded by `seed` (and restored
    afterwards): a model built by the student's constructor gets the same initial weights
    on every run. TypeError when the result is not an nn.Module, naming `what`."""
    with _fork_rng(devices=[]):
        seed_torch(seed)
        model = factory(*args, **kwargs)
    if not isinstance(model, nn.Module):
        raise TypeError(f"{what} built {describe(model)}, expected an nn.Module")
    return model


# --------------------------------------------------------------------------------------
# A model from a layer list


class _Step(NamedTuple):
    layer: str  # "conv" | "fc" | "bn2d" | "bn1d" | "relu" | "maxpool" | "avgpool" | "flatten"
    name: str | None = None
    kernel: int = 0
    stride: int = 0


_LAYER_KEYS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = types.MappingProxyType(
    {  # layer -> (required keys, optional keys), besides "layer"
        "conv": (frozenset({"name", "in", "out", "kernel"}), frozenset({"stride", "padding", "bias"})),
        "fc": (frozenset({"name", "in", "out"}), frozenset({"bias"})),
        "bn2d": (frozenset({"name", "features"}), frozenset({"eps", "momentum"})),
        "bn1d": (frozenset({"name", "features"}), frozenset({"eps", "momentum"})),
        "relu": (frozenset(), frozenset()),
        "maxpool": (frozenset({"kernel"}), frozenset({"stride"})),
        "avgpool": (frozenset({"kernel"}), frozenset({"stride"})),
        "flatten": (frozenset(), frozenset()),
    }
)


class LayerModel(nn.Module):
    """A feed-forward network from a plain-data layer list; parameters are named
    "<name>.weight" / "<name>.bias" (batch norm also has running_mean / running_var)."""

    def __init__(self, steps: tuple[_Step, ...], layers: Mapping[str, nn.Module]) -> None:
        super().__init__()
        self._steps = steps
        for name, layer in layers.items():
            self.add_module(name, layer)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for step in self._steps:
            if step.name is not None:
                x = getattr(self, step.name)(x)
            elif step.layer == "relu":
                x = F.relu(x)
            elif step.layer == "maxpool":
                x = F.max_pool2d(x, step.kernel, step.stride)
            elif step.layer == "avgpool":
                x = F.avg_pool2d(x, step.kernel, step.stride)
            else:  # flatten
                x = torch.flatten(x, 1)
        return x


def _int(entry: Mapping[str, Any], key: str, where: str, minimum: int = 1) -> int:
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{where}: {key!r} must be an integer >= {minimum}, got {value!r}")
    return value


def _number(entry: Mapping[str, Any], key: str, where: str, default: float) -> float:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: {key!r} must be a positive number, got {value!r}")
    return float(value)


def build_model(
    arch: Sequence[Mapping[str, Any]],
    *,
    seed: int | None = None,
    weights: Mapping[str, Any] | None = None,
    conv: Callable[..., nn.Module] = nn.Conv2d,
    fc: Callable[..., nn.Module] = nn.Linear,
    on: torch.device | str = "cpu",
) -> LayerModel:
    """An nn.Module for the layer list `arch`, on device `on`.

    `arch` items (plain data, e.g. from a rubric's `args`):
      {"layer": "conv", "name", "in", "out", "kernel"[, "stride" (1), "padding" (0), "bias" (true)]}
      {"layer": "fc", "name", "in", "out"[, "bias" (true)]}
      {"layer": "bn2d" | "bn1d", "name", "features"[, "eps" (1e-5), "momentum" (0.1)]}
      {"layer": "relu"}, {"layer": "flatten"},
      {"layer": "maxpool" | "avgpool", "kernel"[, "stride" (kernel)]}
    `conv(in, out, kernel, stride, padding[, bias=False])` and `fc(in, out[, bias=False])`
    build the layers: nn.Conv2d and nn.Linear, or a course scaffold's classes.

    Weights: with `seed`, every conv and fc weight and bias is drawn in layer order from a
    torch.Generator seeded with `seed`, uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) like
    PyTorch's default (batch norm keeps weight 1, bias 0); the global RNG is left as it
    was. `weights` ({"conv1.weight": array, ...}) then sets the parameters and buffers it
    names (shapes must match). Without either, each layer keeps what its constructor
    drew. Raises ValueError for an arch or weights that do not fit (an instructor error)."""
    if isinstance(arch, (str, bytes)) or not isinstance(arch, Sequence) or not arch:
        raise ValueError("arch must be a non-empty list of layer dicts")
    steps: list[_Step] = []
    layers: dict[str, nn.Module] = {}
    drawn: list[tuple[str, int, bool]] = []  # (name, fan_in, has bias) of conv and fc layers
    with _fork_rng(devices=[]):  # constructors draw from the global RNG: leave it as it was
        for index, entry in enumerate(arch):
            where = f"arch[{index}]"
            if not isinstance(entry, Mapping) or entry.get("layer") not in _LAYER_KEYS:
                raise ValueError(f"{where}: expected a dict with 'layer' one of {', '.join(_LAYER_KEYS)}, got {entry!r}")
            kind = str(entry["layer"])
            required, optional = _LAYER_KEYS[kind]
            keys = set(entry) - {"layer"}
            if missing := sorted(required - keys):
                raise ValueError(f"{where} ({kind}): missing {', '.join(missing)}")
            if unknown := sorted(keys - required - optional):
                raise ValueError(f"{where} ({kind}): unknown key(s) {', '.join(unknown)}")
            if "name" in required:
                name = entry["name"]
                if not isinstance(name, str) or not name.isidentifier() or name in layers:
                    raise ValueError(f"{where}: 'name' must be a new identifier, got {name!r}")
                bias = entry.get("bias", True)
                if not isinstance(bias, bool):
                    raise ValueError(f"{where}: 'bias' must be true or false, got {bias!r}")
                extra = {} if bias else {"bias": False}
                if kind == "conv":
                    n_in, n_out, kernel = _int(entry, "in", where), _int(entry, "out", where), _int(entry, "kernel", where)
                    stride = _int(entry, "stride", where) if "stride" in entry else 1
                    padding = _int(entry, "padding", where, minimum=0) if "padding" in entry else 0
                    layers[name] = conv(n_in, n_out, kernel, stride, padding, **extra)
                    drawn.append((name, n_in * kernel * kernel, bias))
                elif kind == "fc":
                    n_in, n_out = _int(entry, "in", where), _int(entry, "out", where)
                    layers[name] = fc(n_in, n_out, **extra)
                    drawn.append((name, n_in, bias))
                else:
                    norm = nn.BatchNorm2d if kind == "bn2d" else nn.BatchNorm1d
                    layers[name] = norm(_int(entry, "features", where), eps=_number(entry, "eps", where, 1e-5),
                                        momentum=_number(entry, "momentum", where, 0.1))
                steps.append(_Step(kind, name=name))
            elif kind in ("maxpool", "avgpool"):
                kernel = _int(entry, "kernel", where)
                stride = _int(entry, "stride", where) if "stride" in entry else kernel
                steps.append(_Step(kind, kernel=kernel, stride=stride))
            else:
                steps.append(_Step(kind))
    model = LayerModel(tuple(steps), layers)
    with torch.no_grad():
        if seed is not None:
            gen = generator(seed)
            for name, fan_in, has_bias in drawn:
                layer = layers[name]
                bound = 1.0 / math.sqrt(fan_in)
                weight = layer.weight
                assert isinstance(weight, torch.Tensor)
                weight.copy_(torch.empty(tuple(weight.shape)).uniform_(-bound, bound, generator=gen))
                bias_param = layer.bias
                if has_bias and isinstance(bias_param, torch.Tensor):
                    bias_param.copy_(torch.empty(tuple(bias_param.shape)).uniform_(-bound, bound, generator=gen))
        if weights is not None:
            _set_weights(model, weights)
    return model.to(on)


def _set_weights(model: nn.Module, weights: Mapping[str, Any]) -> None:
    state = dict(model.named_parameters()) | dict(model.named_buffers())
    for key, value in weights.items():
        if key not in state:
            raise ValueError(f"weights: the model has no {key!r} (it has {', '.join(sorted(state))})")
        target = state[key]
        given = torch.as_tensor(np.asarray(value), dtype=target.dtype)
        if tuple(given.shape) != tuple(target.shape):
            raise ValueError(f"weights: {key!r} has shape {tuple(given.shape)}, the model's is {tuple(target.shape)}")
        target.copy_(given)


# --------------------------------------------------------------------------------------
# A time budget


class BudgetExceeded(TimeoutError):
    """The exercised function took longer than its budget."""


def call_with_budget(func: Callable[..., Any], *args: Any, budget_s: float, what: str, **kwargs: Any) -> Any:
    """`func(*args, **kwargs)`, or BudgetExceeded("train_one_epoch did not finish within
    5 s") when it takes longer than `budget_s` seconds of wall-clock time.

    In the main thread an interval timer interrupts the call at the budget (the previous
    SIGALRM handler and timer are put back afterwards; a timer already running is left
    alone and only the elapsed time is judged); elsewhere, and whatever the function does
    with the interruption (catching it, ignoring SIGALRM), the elapsed time is measured
    after it returns and a call over budget raises all the same. The sandbox's own
    wall-clock limit stays the hard bound: the budget gives a message that names the
    function, and keeps a slow call from using up the limits of the calls after it."""
    if isinstance(budget_s, bool) or not isinstance(budget_s, (int, float)) or not math.isfinite(budget_s) or budget_s <= 0:
        raise ValueError(f"budget_s must be a positive number of seconds, got {budget_s!r}")
    message = f"{what} did not finish within {budget_s:g} s"
    start = time.monotonic()
    alarm = threading.current_thread() is threading.main_thread() and signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    previous: Any = None
    if alarm:

        def on_alarm(signum: int, frame: Any) -> None:
            raise BudgetExceeded(message)

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, float(budget_s))
    try:
        result = func(*args, **kwargs)
    finally:
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0.0)
            signal.signal(signal.SIGALRM, previous)
    if time.monotonic() - start > budget_s:
        raise BudgetExceeded(message)
    return result


# --------------------------------------------------------------------------------------
# Names an executed notebook left


def read_names(namespace: Any, names: Sequence[str], *, file: str, required: bool = True) -> dict[str, Any]:
    """The values of `names` in what a notebook (or a module) left after it ran.

    `namespace`: a module as `ctx.module("lab1")` returns it (a notebook's code cells run
    top to bottom in one namespace), a mapping of names, or a notebook run as the sandbox's
    notebook mode hands it to a probe (`ctx.notebook("lab1")`: an object with a `namespace`
    mapping and `missing_because`, why a name was left undefined: "cell 4 failed: ...").
    With `required`, names that are not there raise NameError listing each with its reason
    when one is known ("lab1.ipynb defines no W_star (cell 4 failed: ...), mse_history
    after running its code"); without it, a missing name maps to None. The values are the
    student's objects: convert them (`as_array`, `to_plain`) before returning them."""
    why: Mapping[str, Any] = {}
    if isinstance(namespace, types.ModuleType):
        space: Mapping[str, Any] = vars(namespace)
    elif isinstance(namespace, Mapping):
        space = namespace
    elif isinstance(getattr(namespace, "namespace", None), Mapping):
        space = namespace.namespace
        reasons = getattr(namespace, "missing_because", None)
        why = reasons if isinstance(reasons, Mapping) else {}
    else:
        raise TypeError(f"read_names reads a module, a mapping or a notebook run, got {describe(namespace)}")
    found: dict[str, Any] = {}
    missing: list[str] = []
    for name in names:
        if name in space:
            found[name] = space[name]
        else:
            reason = why.get(name)
            missing.append(f"{name} ({reason})" if isinstance(reason, str) and reason else name)
            found[name] = None
    if missing and required:
        raise NameError(f"{file} defines no {', '.join(missing)} after running its code")
    return found


def register() -> types.ModuleType:
    """Make `import probekit` (what probes write) give this module in the grader's process,
    where it is `grader.sandbox.probekit`; in the sandbox's zygote it is loaded under that
    name already. ImportError when another module already holds the name."""
    import sys

    me = sys.modules[__name__]
    held = sys.modules.setdefault(NAME, me)
    if held is not me:
        raise ImportError(f"a module named {NAME!r} that is not the grader's is already imported ({getattr(held, '__file__', None)})")
    return me


register()
