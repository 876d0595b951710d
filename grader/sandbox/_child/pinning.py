"""Keeping the probes' own code out of the student's reach, inside the child.

The probes run in the student's process, so the student's code can rebind whatever it can
reach: a helper of the probes module (through `sys.modules`, the garbage collector, a
probe function's `__globals__` or a caller's frame), the scaffold's `CONV` / `FC`, a
builtin such as `isinstance`, a method of `nn.Module` or `torch.Tensor`. `Pins` is taken
before any student code is imported (the child has run only trusted code until then):

- the probes run against a private copy of the probes module's globals, with private
  copies of its functions bound to it and a private copy of the builtins, so rebinding a
  name in the module (or in the original functions' `__globals__`) changes nothing they run;
- the engine's modules the probes import (`probekit`) get the same treatment: a private
  copy of each, its functions bound to it, is what the probes' names point to;
- the probes see the support modules (the scaffold) as captured then, so
  `scaffold.CONV = nn.Conv2d` in the student's code is not what `isinstance` tests against;
- after every call, `tampered()` compares by identity every namespace the probes depend on
  (their globals and builtins, the modules they use, the classes of those modules and their
  bases, and the code and defaults of every function among them) with what was captured,
  and names what changed; the worker then reports the call as not graded.

`tampered()` runs after every call, over hundreds of names. Where CPython's layout can be
read (`peek`), it first reads, in one gather that touches none of them, the version tag
of every watched dict and the code and defaults pointers of every watched function, and
looks by name only where one of them moved since it was captured: an unmoved tag means an
unchanged dict, so the names it holds would all compare equal. Elsewhere it looks at
every name, as the fast path does wherever something moved; the verdict is the same.

This raises the bar; it is not a proof: code in the same process can forge anything it
sends. What the grade depends on is therefore also derived and cross-checked in the
grader's process (the rubric's oracles), from plain data only.
"""

from __future__ import annotations

import builtins
import gc
import types
from collections.abc import Mapping
from typing import Any

import numpy as np

from . import peek

_MISSING = object()
MAX_NAMED = 6


def _rebind(func: types.FunctionType, namespace: dict[str, Any]) -> types.FunctionType:
    """A copy of `func` whose global names are looked up in `namespace`."""
    copy = types.FunctionType(func.__code__, namespace, func.__name__, func.__defaults__, func.__closure__)
    copy.__kwdefaults__ = dict(func.__kwdefaults__) if func.__kwdefaults__ else None
    copy.__qualname__ = func.__qualname__
    copy.__module__ = func.__module__
    copy.__doc__ = func.__doc__
    copy.__dict__.update(func.__dict__)
    return copy


def _copy_module(module: types.ModuleType) -> types.ModuleType:
    copy = types.ModuleType(module.__name__, module.__doc__)
    copy.__dict__.update(module.__dict__)
    return copy


# Names of a class that the machinery the probes use calls without naming them in the
# probes' code (a module's call, its forward pass).
_IMPLICIT = frozenset({"forward", "_call_impl", "_wrapped_call_impl", "__call__", "__getattr__", "__setattr__", "__init__"})


def _names_used(namespace: Mapping[str, Any], module_name: str) -> frozenset[str]:
    """Every global and attribute name the code of a module's functions and classes uses."""
    codes: list[types.CodeType] = []
    for obj in namespace.values():
        if isinstance(obj, types.FunctionType) and obj.__module__ == module_name:
            codes.append(obj.__code__)
        elif isinstance(obj, type) and obj.__module__ == module_name:
            codes += [f.__code__ for f in vars(obj).values() if isinstance(f, types.FunctionType)]
    names: set[str] = set()
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return frozenset(names)


def _uses(namespace: Mapping[str, Any], module: types.ModuleType) -> bool:
    """Whether a namespace holds `module`, or a function or class defined in it."""
    for value in namespace.values():
        if value is module or (isinstance(value, types.FunctionType) and value.__globals__ is module.__dict__):
            return True
        if isinstance(value, type) and value.__module__ == module.__name__:
            return True
    return False


def _raw_dict(live: Mapping[str, Any]) -> dict[str, Any] | None:
    """The dict that holds a namespace's names: the namespace itself, or the dict behind a
    class's mappingproxy; None for any other mapping."""
    if type(live) is dict:
        return live
    if type(live) is types.MappingProxyType:
        inner = gc.get_referents(live)
        if len(inner) == 1 and type(inner[0]) is dict:
            return inner[0]
    return None


class _Watched:
    """One namespace and the identity of what it held when captured: every name (`only` is
    None) or the names in `only`. `raw` is the dict behind it whose version tag the fast
    path reads (None where there is none, or no tags can be read: then it is always
    compared name by name), and `tag` that tag, read just BEFORE the names are: a change
    made between the two moves the tag, so an unmoved tag always means "as captured"."""

    __slots__ = ("label", "live", "pristine", "names", "only", "raw", "tag")

    def __init__(self, label: str, live: Mapping[str, Any], only: frozenset[str] | None = None) -> None:
        self.label = label
        self.live = live
        self.raw = _raw_dict(live) if peek.fast() else None
        self.tag = 0 if self.raw is None else peek.word(id(self.raw) + peek.TAG_OFFSET)
        # a tuple, not a dict: code that rewrites every dict holding a name cannot rewrite it
        self.pristine = tuple((k, v) for k, v in live.items() if only is None or k in only)
        self.names = frozenset(k for k, _ in self.pristine)
        self.only = only

    def changes(self) -> list[str]:
        live = self.live
        found = [f"{self.label}.{name}" for name, obj in self.pristine if live.get(name, _MISSING) is not obj]
        # a name added later counts too: it could shadow a builtin or a base class's method
        if self.only is None:
            if len(live) != len(self.pristine):
                found += [f"{self.label}.{name}" for name in live if name not in self.names]
        else:
            found += [f"{self.label}.{name}" for name in self.only - self.names if name in live]
        return found


class Pins:
    """What the probes run with, captured before the student's code is imported."""

    def __init__(
        self,
        probes: types.ModuleType,
        support_modules: Mapping[str, types.ModuleType],
        trusted: Mapping[str, types.ModuleType] | None = None,
    ) -> None:
        # What this was built from, to tell later whether building it again would give the
        # same (`unchanged`): the given modules, and the tags of the support modules'
        # dicts, read before anything else is (every other dict read here is watched).
        self._given = (probes, dict(support_modules), dict(trusted or {}))
        self._inputs = peek.dict_tags([vars(m) for m in support_modules.values()]) if peek.fast() else None
        self._input_tags = self._inputs.read() if self._inputs is not None else None
        module_dict = probes.__dict__
        raw_builtins = module_dict.get("__builtins__", builtins)
        private_builtins = dict(raw_builtins if isinstance(raw_builtins, dict) else vars(raw_builtins))
        # The engine's modules the probes import (probekit): each gets a private module, its
        # functions bound to it, like the probes' own; the probes' names for the module and
        # for its functions are pointed at those private copies.
        # (only those the probes import: a module they do not use adds nothing to watch)
        trusted = {name: module for name, module in (trusted or {}).items() if _uses(module_dict, module)}
        swap: dict[int, Any] = {}
        private_trusted: dict[str, types.ModuleType] = {}
        for name, module in trusted.items():
            copy = _copy_module(module)
            namespace = copy.__dict__
            namespace["__builtins__"] = private_builtins
            for key, obj in module.__dict__.items():
                if isinstance(obj, types.FunctionType) and obj.__globals__ is module.__dict__:
                    namespace[key] = swap[id(obj)] = _rebind(obj, namespace)
            swap[id(module)] = copy
            private_trusted[name] = copy
        private: dict[str, Any] = {k: swap.get(id(v), v) for k, v in module_dict.items()}
        private["__builtins__"] = private_builtins
        for name, obj in module_dict.items():
            if isinstance(obj, types.FunctionType) and obj.__globals__ is module_dict:
                private[name] = _rebind(obj, private)
        self.globals = private
        self.support = {name: _copy_module(module) for name, module in support_modules.items()}
        used = _names_used(module_dict, probes.__name__)
        for module in (*support_modules.values(), *trusted.values()):
            used |= _names_used(vars(module), module.__name__)
        in_classes = used | _IMPLICIT
        watched = [
            _Watched("probes", module_dict),
            _Watched("probes", private),
            _Watched("builtins", private_builtins),
            _Watched("builtins", vars(builtins), used),
            *(_Watched(name, copy.__dict__) for name, copy in self.support.items()),
            # a trusted module's classes run their methods with its own globals: watched whole
            *(_Watched(name, vars(module)) for name, module in trusted.items()),
            *(_Watched(name, copy.__dict__) for name, copy in private_trusted.items()),
        ]
        values = [*module_dict.values(), *(v for m in (*support_modules.values(), *trusted.values()) for v in vars(m).values())]
        modules = {id(v): v for v in values if isinstance(v, types.ModuleType) and id(v) not in {id(m) for m in trusted.values()}}
        classes: dict[int, type] = {}
        # the classes the probes can reach: their own, the support modules', and those they
        # name in a library (nn.Conv2d, torch.Tensor, ...), with their bases
        named = [vars(m)[n] for m in modules.values() for n in used if n in vars(m)]
        for sub in named:  # torch.random.fork_rng, np.random...: one level of submodules
            if isinstance(sub, types.ModuleType):
                modules.setdefault(id(sub), sub)
        for value in values + named:
            if isinstance(value, type):
                for cls in value.__mro__[:-1]:  # `object` cannot change
                    classes.setdefault(id(cls), cls)
        # of the libraries (torch, numpy, ...): the names the probes' code uses
        watched += [_Watched(getattr(m, "__name__", "module"), vars(m), used) for m in modules.values()]
        watched += [_Watched(f"{c.__module__}.{c.__qualname__}", vars(c), in_classes) for c in classes.values()]
        self._watched = self._built = tuple(watched)  # `_built`: as built, before any `watch`
        functions = {id(f): f for w in watched for _, f in w.pristine if isinstance(f, types.FunctionType)}
        # The fast path's view of the functions (see the module docstring): the words that
        # hold each one's code, defaults and keyword defaults, with what they held when
        # captured, and its keyword defaults' tag (read before their items are).
        self._function_words: list[int] = []
        self._function_expected: list[int] = []
        self._kwdefaults: list[dict[str, Any]] = []  # kept alive, so that their addresses are not reused
        snapshot = []
        for f in functions.values():
            code, defaults, kwdefaults = f.__code__, f.__defaults__, f.__kwdefaults__
            if peek.fast():
                self._function_words += [id(f) + peek.CODE_OFFSET, id(f) + peek.DEFAULTS_OFFSET, id(f) + peek.KWDEFAULTS_OFFSET]
                self._function_expected += [id(code), 0 if defaults is None else id(defaults), 0 if kwdefaults is None else id(kwdefaults)]
                if kwdefaults is not None:
                    self._kwdefaults.append(kwdefaults)
                    self._function_words.append(id(kwdefaults) + peek.TAG_OFFSET)
                    self._function_expected.append(peek.word(id(kwdefaults) + peek.TAG_OFFSET))
            snapshot.append((f, code, defaults, tuple((kwdefaults or {}).items())))
        self._functions = tuple(snapshot)
        self._reader: peek.Words | None = None
        self._expected: np.ndarray[Any, np.dtype[np.uint64]] = np.zeros(0, np.uint64)
        self._tagged: tuple[int, ...] = ()  # per watched namespace: its place among the words read, or -1
        self._index()

    def _index(self) -> None:
        """The words the fast path reads, and what it expects in them: the watched
        namespaces' tags as captured, then the functions' words (nothing where the layout
        cannot be read)."""
        if not peek.fast():
            return
        tagged: list[int] = []
        addresses: list[int] = []
        expected: list[int] = []
        for w in self._watched:
            if w.raw is None:
                tagged.append(-1)
                continue
            tagged.append(len(addresses))
            addresses.append(id(w.raw) + peek.TAG_OFFSET)
            expected.append(w.tag)
        self._tagged = tuple(tagged)
        self._reader = peek.Words(addresses + self._function_words)
        self._expected = np.array(expected + self._function_expected, dtype=np.uint64)

    def watch(self, label: str, namespace: Mapping[str, Any]) -> None:
        """Also watch `namespace` (every name), e.g. the probe context the child builds.
        (What the fast path reads is worked out again at the next `tampered`: a module's
        context is watched in three steps.)"""
        self._watched = (*self._watched, _Watched(label, namespace))
        self._reader = None

    def forget(self, label: str) -> None:
        """Stop watching what was watched under `label` (a probe context the child no
        longer hands to any probe: the next module gets a fresh one)."""
        self._watched = tuple(w for w in self._watched if w.label != label or w.only is not None)
        self._reader = None

    def unchanged(
        self,
        probes: types.ModuleType,
        support_modules: Mapping[str, types.ModuleType],
        trusted: Mapping[str, types.ModuleType] | None = None,
    ) -> bool:
        """Whether pins built now from these modules would be these pins: the same modules,
        and not one word the fast path reads has moved (no watched namespace, function or
        support module changed) since they were built. False where nothing can be read.

        This lets the zygote build the pins once, for every child: a child's own set-up
        runs only trusted code, which changes no class's bases and no function's module,
        the two things read in building that no tag or word covers."""
        if self._reader is None or self._inputs is None or self._input_tags is None or self._watched is not self._built:
            return False
        given_probes, given_support, given_trusted = self._given
        same = (given_probes is probes and given_support.keys() == support_modules.keys()
                and all(given_support[k] is m for k, m in support_modules.items())
                and given_trusted.keys() == (trusted or {}).keys()
                and all(given_trusted[k] is m for k, m in (trusted or {}).items()))
        return same and bool((self._reader.read() == self._expected).all()) and bool((self._inputs.read() == self._input_tags).all())

    def function(self, name: str) -> Any:
        """The probe `name`, bound to the private globals."""
        return self.globals[name]

    def tampered(self, *, fast: bool = True) -> list[str]:
        """What the student's code changed among the things the probes depend on. With
        `fast`, namespaces and functions whose words did not move are not looked at (the
        same answer: `fast=False` is there for the tests that say so)."""
        moved: list[bool] | None = None
        functions_moved = True
        if fast and self._reader is None:
            self._index()
        if fast and self._reader is not None:
            flags = (self._reader.read() != self._expected).tolist()
            moved = flags
            functions_moved = any(flags[len(flags) - len(self._function_words) :])
        found: list[str] = []
        for w, at in zip(self._watched, self._tagged if moved is not None else [-1] * len(self._watched)):
            if moved is not None and at >= 0 and not moved[at]:
                continue  # its dict is as captured: every name would compare equal
            found += w.changes()
            if len(found) >= MAX_NAMED:
                return found
        if not functions_moved:
            return found
        for func, code, defaults, kwdefaults in self._functions:
            if func.__code__ is not code or func.__defaults__ is not defaults or tuple((func.__kwdefaults__ or {}).items()) != kwdefaults:
                found.append(f"{func.__module__}.{func.__qualname__}")
                if len(found) >= MAX_NAMED:
                    break
        return found


def message(changed: list[str]) -> str:
    """For the student: why a call is not graded."""
    shown = ", ".join(dict.fromkeys(changed[:MAX_NAMED]))
    return (f"your code changed the grader's own code or a library function it relies on ({shown}); "
            "this result is not graded. Do not modify the course's or PyTorch's modules, classes or functions")
