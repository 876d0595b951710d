"""The child's fast paths (issue 20): what the child checks between modules and after every
call, read without touching the zygote's objects (`peek`). Each fast path must give the slow path's answer: the tests change libraries, the probes'
namespaces and functions in the ways a student's code can, and compare.

In-process: "the zygote" is this test process, "student code" whatever a test does after
the state or the pins are taken."""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import pathlib
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.sandbox._child import peek, pinning, worker

REPO = pathlib.Path(__file__).resolve().parents[2]
HW1 = REPO / "assignments" / "hw1"
LAYOUT = sys.implementation.name == "cpython" and sys.version_info[:2] in ((3, 11), (3, 12))


def _ctypes_tag(d: dict[Any, Any]) -> int:
    """A dict's version tag read one at a time, as the child did before `peek`."""
    return ctypes.c_uint64.from_address(id(d) + peek.TAG_OFFSET).value


# -- peek


@pytest.mark.skipif(not LAYOUT, reason="version tags are CPython 3.11/3.12")
def test_a_gather_reads_what_each_tag_holds_and_sees_every_change() -> None:
    dicts = [vars(np), vars(torch), vars(F), {"a": 1}, {}]
    tags = peek.dict_tags(dicts)
    before = tags.read()
    assert before.tolist() == [_ctypes_tag(d) for d in dicts]
    assert peek.tags_work() and peek.function_fields_work() and peek.fast()
    dicts[3]["a"] = 2
    del dicts[3]["a"]
    dicts[4]["new"] = None
    after = tags.read()
    assert np.flatnonzero(after != before).tolist() == [3, 4]
    assert after.tolist() == [_ctypes_tag(d) for d in dicts]


@pytest.mark.skipif(not LAYOUT, reason="the function layout is CPython 3.11/3.12's")
def test_function_words_are_its_code_and_defaults() -> None:
    def f(a: int = 1, *, b: int = 2) -> int:
        return a + b

    words = peek.Words([id(f) + peek.CODE_OFFSET, id(f) + peek.DEFAULTS_OFFSET, id(f) + peek.KWDEFAULTS_OFFSET])
    assert words.read().tolist() == [id(f.__code__), id(f.__defaults__), id(f.__kwdefaults__)]
    f.__defaults__ = None
    f.__code__ = (lambda a=1, *, b=2: a).__code__
    assert words.read().tolist() == [id(f.__code__), 0, id(f.__kwdefaults__)]


def test_no_layout_no_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the layout is unknown (3.13 has no version tags), nothing is read: the pins
    compare every name and the library state says it cannot see changes, as before."""
    monkeypatch.setattr(peek, "_layout_holds", lambda: False)
    peek.tags_work.cache_clear()
    peek.function_fields_work.cache_clear()
    try:
        assert not peek.fast()
        saved = worker._LIBRARY_DICTS[:], worker._LIBRARY_ITEMS[:], worker._LIBRARY_READER, worker._LIBRARY_TAGS
        try:
            worker.remember_library_state()
            assert worker._LIBRARY_READER is None and worker._LIBRARY_DICTS == []
            state = worker._State(worker.Layout("/nonexistent", "/nonexistent", "/nonexistent"))
            assert state.unclean() == "no way to see changes to the libraries"
        finally:
            worker._LIBRARY_DICTS[:], worker._LIBRARY_ITEMS[:], worker._LIBRARY_READER, worker._LIBRARY_TAGS = saved
        probes, scaffold = _probes()
        pins = pinning.Pins(probes, {"scaffold": scaffold})
        assert pins._reader is None
        pins.globals["_shape"] = len
        assert pins.tampered() == ["probes._shape"]
    finally:
        peek.tags_work.cache_clear()
        peek.function_fields_work.cache_clear()


# -- the libraries between two modules (worker._State)


def _old_verdict(state: worker._State) -> bool:
    """The check as the child ran it before the gather: every dict's tag read in turn."""
    assert state.tags is not None
    for i, (d, t) in enumerate(zip(worker._LIBRARY_DICTS, state.tags.tolist())):
        if _ctypes_tag(d) != t and not worker._harmless(state.items.get(i, worker._LIBRARY_ITEMS[i]), d):
            return False
    return True


@pytest.fixture
def library_state() -> Iterator[Callable[[], worker._State]]:
    if not LAYOUT:
        pytest.skip("version tags are CPython 3.11/3.12")
    # no collection meanwhile: a library's gc callback that keeps statistics in its own
    # globals (hypothesis's, in this test process) is a library change
    gc.disable()
    try:
        worker.remember_library_state()
        yield lambda: worker._State(worker.Layout("/nonexistent", "/nonexistent", "/nonexistent"))
    finally:
        gc.enable()
        worker.remember_library_state()


class _Submodule(types.ModuleType):
    pass


def _replace(owner: Any, name: str, value: Any) -> Callable[[], None]:
    namespace = owner if isinstance(owner, dict) else None
    if namespace is not None:
        missing = name not in namespace
        saved = namespace.get(name)
        namespace[name] = value
    else:
        missing = name not in vars(owner)
        saved = vars(owner).get(name)
        setattr(owner, name, value)

    def undo() -> None:
        if namespace is not None:
            if missing:
                del namespace[name]
            else:
                namespace[name] = saved
        elif missing:
            delattr(owner, name)
        else:
            setattr(owner, name, saved)

    return undo


LIBRARY_CHANGES: dict[str, tuple[Callable[[], Callable[[], None]], bool]] = {
    # name: (change, returning its undo; whether the change is harmless)
    "function": (lambda: _replace(F, "relu", lambda x, inplace=False: x * 0), False),
    "numpy_function": (lambda: _replace(np, "exp", lambda x: x), False),
    "class_method": (lambda: _replace(nn.Module, "__call__", lambda self, *a, **k: None), False),
    "base_class_method": (lambda: _replace(nn.modules.conv._ConvNd, "extra_repr", lambda self: ""), False),
    "new_function": (lambda: _replace(torch, "relu_everything", lambda x: x), False),
    "removed_name": (lambda: _delete(F, "softsign"), False),
    "counter": (lambda: _replace(torch.utils.hooks.RemovableHandle, "next_id", torch.utils.hooks.RemovableHandle.next_id + 3), True),
    "new_submodule": (lambda: _replace(torch, "_a_lazy_submodule", _Submodule("torch._a_lazy_submodule")), True),
    "same_value_again": (lambda: _replace(F, "relu", F.relu), True),
}


def _delete(owner: Any, name: str) -> Callable[[], None]:
    saved = vars(owner)[name]
    delattr(owner, name)
    return lambda: setattr(owner, name, saved)


@pytest.mark.parametrize("what", sorted(LIBRARY_CHANGES))
def test_library_changes_get_the_verdict_the_per_dict_loop_gave(what: str, library_state: Callable[[], worker._State]) -> None:
    change, harmless = LIBRARY_CHANGES[what]
    state = library_state()
    assert state.unclean() != "library changed" and _old_verdict(state)
    undo = change()
    try:
        assert _old_verdict(state) is harmless
        assert (state.unclean() != "library changed") is harmless
    finally:
        undo()
    assert state.unclean() != "library changed" and _old_verdict(state)  # as taken again: harmless


def test_a_change_made_while_the_libraries_are_checked_is_seen(library_state: Callable[[], worker._State]) -> None:
    """A new key of a student's class runs its `__hash__` while the check looks it up: the
    check reads the tags again afterwards, so what that code changed is seen too."""
    undo: list[Callable[[], None]] = []
    armed: list[bool] = []

    class Key(str):
        def __hash__(self) -> int:
            if armed and not undo:
                undo.append(_replace(np, "exp", lambda x: x))
            return str.__hash__(self)

    state = library_state()
    key = Key("_lazy")
    vars(torch)[key] = _Submodule("torch._lazy")  # harmless by itself: a new submodule
    armed.append(True)
    try:
        assert state.unclean() == "library changed"
        assert undo, "the key's code did not run"
    finally:
        del vars(torch)["_lazy"]
        for u in undo:
            u()


# -- the pins after a call (pinning.Pins.tampered)


def _load(name: str, path: pathlib.Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _probes() -> tuple[types.ModuleType, types.ModuleType]:
    scaffold = _load("scaffold", HW1 / "support" / "scaffold.py")
    return _load("_grader_probes", HW1 / "probes.py"), scaffold


@pytest.fixture
def pins() -> Iterator[pinning.Pins]:
    probes, scaffold = _probes()
    saved = sys.modules.get("scaffold")
    sys.modules["scaffold"] = scaffold
    try:
        pins = pinning.Pins(probes, {"scaffold": scaffold})
        if LAYOUT:
            assert pins._reader is not None  # the fast path is what these tests compare
        yield pins
    finally:
        if saved is None:
            sys.modules.pop("scaffold", None)
        else:
            sys.modules["scaffold"] = saved


def _set_code(func: Any, code: types.CodeType) -> Callable[[], None]:
    saved = func.__code__
    func.__code__ = code
    return lambda: setattr(func, "__code__", saved)


def _set_defaults(func: Any, defaults: tuple[Any, ...] | None) -> Callable[[], None]:
    saved = func.__defaults__
    func.__defaults__ = defaults
    return lambda: setattr(func, "__defaults__", saved)


def _kwdefault(func: Any, name: str, value: Any) -> Callable[[], None]:
    kwdefaults = func.__kwdefaults__
    saved = kwdefaults[name]
    kwdefaults[name] = value
    return lambda: kwdefaults.__setitem__(name, saved)


def _new_kwdefaults(func: Any) -> Callable[[], None]:
    saved = func.__kwdefaults__
    func.__kwdefaults__ = dict(saved)  # equal items, another dict
    return lambda: setattr(func, "__kwdefaults__", saved)


def _kw_function(pins: pinning.Pins) -> Any:
    return next(f for f, _, _, kw in pins._functions if kw)


def _defaults_function(pins: pinning.Pins) -> Any:
    return next(f for f, _, d, _ in pins._functions if d)


PIN_CHANGES: dict[str, Callable[[pinning.Pins], Callable[[], None]]] = {
    "private_global": lambda p: _replace(p.globals, "_shape", len),
    "module_global": lambda p: _replace(p._watched[0].live, "_shape", len),  # the probes module's own dict
    "private_builtin": lambda p: _replace(p.globals["__builtins__"], "isinstance", lambda *a: True),
    "builtin": lambda p: _replace(vars(__import__("builtins")), "isinstance", lambda *a: True),
    "scaffold_copy": lambda p: _replace(p.support["scaffold"], "CONV", nn.Conv2d),
    "scaffold_new_name": lambda p: _replace(p.support["scaffold"], "SHADOW", 1),
    "library_name": lambda p: _replace(torch.nn, "Linear", nn.Conv2d),
    "class_method": lambda p: _replace(nn.Module, "register_forward_hook", lambda *a, **k: None),
    "class_shadowing_a_base": lambda p: _replace(nn.Conv2d, "named_modules", lambda *a, **k: iter(())),
    "code": lambda p: _set_code(p.globals["as_array"], (lambda value, *, func, expect, where="": value).__code__),
    "defaults": lambda p: _set_defaults(_defaults_function(p), None),
    "kwdefault_in_place": lambda p: _kwdefault(_kw_function(p), next(iter(_kw_function(p).__kwdefaults__)), object()),
    "kwdefaults_equal_dict": lambda p: _new_kwdefaults(_kw_function(p)),  # harmless: equal items
    "unwatched_name": lambda p: _replace(np, "allclose", lambda *a, **k: True),  # the probes do not use it
    "many": lambda p: _many(p),
}


def _many(p: pinning.Pins) -> Callable[[], None]:
    """More changes than are named (MAX_NAMED): the same first ones either way."""
    undos = [_replace(p.globals, name, None) for name in list(p.globals)[-8:]]

    def undo() -> None:
        for u in reversed(undos):
            u()

    return undo


@pytest.mark.parametrize("what", sorted(PIN_CHANGES))
def test_the_pins_fast_path_names_what_the_slow_path_names(what: str, pins: pinning.Pins) -> None:
    assert pins.tampered() == pins.tampered(fast=False) == []
    undo = PIN_CHANGES[what](pins)
    try:
        fast, slow = pins.tampered(), pins.tampered(fast=False)
        assert fast == slow
        assert bool(fast) is (what not in ("kwdefaults_equal_dict", "unwatched_name")), fast
    finally:
        undo()
    assert pins.tampered() == pins.tampered(fast=False) == []


def test_a_watched_context_is_compared_from_when_it_was_watched(pins: pinning.Pins) -> None:
    """The probe context is watched after the pins are taken, and forgotten between
    modules: a change before it is watched is its starting point, one after it is named."""

    class Ctx:
        def module(self, name: str) -> None:
            return None

    ctx = Ctx()
    vars(ctx)["device"] = "cpu"  # before: the starting point
    pins.watch("context", vars(ctx))
    pins.watch("context", vars(Ctx))
    assert pins.tampered() == pins.tampered(fast=False) == []
    ctx.device = "cuda"
    Ctx.module = lambda self, name: 1  # type: ignore[method-assign]
    assert pins.tampered() == pins.tampered(fast=False) == ["context.device", "context.module"]
    pins.forget("context")
    assert pins.tampered() == pins.tampered(fast=False) == []


def test_a_change_between_the_tag_and_the_names_is_the_starting_point(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each namespace's tag is read before its names: a change made in between moves the
    tag, so the fast path compares names there, as the slow path does, and both start
    from the names as read. (Read after the names, an unmoved tag would hide the change
    from the fast path while the slow path named it.)"""
    probes, scaffold = _probes()
    namespace = vars(probes)
    real = peek.word
    changed: list[bool] = []

    def word_then_change(address: int) -> int:
        value = real(address)
        if address == id(namespace) + peek.TAG_OFFSET and not changed:
            changed.append(True)
            namespace["_added_meanwhile"] = 1
        return value

    monkeypatch.setattr(peek, "word", word_then_change)
    pins = pinning.Pins(probes, {"scaffold": scaffold})
    monkeypatch.setattr(peek, "word", real)
    assert changed
    assert pins.tampered() == pins.tampered(fast=False) == []
    namespace["_added_later"] = 1
    assert pins.tampered() == pins.tampered(fast=False) == ["probes._added_later"]


# -- pins built once in the zygote (pinning.Pins.unchanged)


def test_pins_built_earlier_are_used_only_while_nothing_they_were_built_from_changed(pins: pinning.Pins) -> None:
    """The zygote builds the pins once; a child uses them only when building them again
    would give the same pins: the same modules, and nothing read in building them moved."""
    if not LAYOUT:
        pytest.skip("no fast path: every child builds its own pins")
    probes, support, trusted = pins._given
    assert pins.unchanged(probes, support, trusted)
    saved = sys.stdout
    sys.stdout = sys.stderr  # what a child's own set-up changes, which the probes do not read
    try:
        assert pins.unchanged(probes, support, trusted)
    finally:
        sys.stdout = saved
    assert not pins.unchanged(types.ModuleType("other"), support, trusted)
    assert not pins.unchanged(probes, {}, trusted)
    from grader.sandbox import probekit

    assert not pins.unchanged(probes, support, {"probekit": probekit})
    for change, dict_moved in (
        (lambda p: _replace(support["scaffold"], "EXTRA", 1), True),  # the support module itself (its copy is what is watched)
        (lambda p: _replace(p.globals, "_shape", len), True),
        (lambda p: _replace(nn.Module, "register_forward_hook", lambda *a, **k: None), True),
        (lambda p: _set_code(p.globals["as_array"], (lambda value, *, func, expect, where="": value).__code__), False),
    ):
        undo = change(pins)
        try:
            assert not pins.unchanged(probes, support, trusted)
        finally:
            undo()
        # a dict changed and put back keeps a moved tag (not as built, to be safe); a
        # function's code put back is exactly as built
        assert pins.unchanged(probes, support, trusted) is not dict_moved
        pins = pinning.Pins(probes, support, trusted)
        assert pins.unchanged(probes, support, trusted)
    pins.watch("context", {})
    assert not pins.unchanged(probes, support, trusted)


def test_a_child_uses_the_zygotes_pins_only_while_they_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    probes, scaffold = _probes()
    worker.prepare_pins(probes, {"scaffold": scaffold}, [])
    try:
        built = worker._PINS
        assert (built is not None) is LAYOUT
        if built is not None:
            assert built.unchanged(probes, {"scaffold": scaffold}, {})
        monkeypatch.setattr(peek, "fast", lambda: False)
        worker.prepare_pins(probes, {"scaffold": scaffold}, [])
        assert worker._PINS is None
    finally:
        worker._PINS = None
