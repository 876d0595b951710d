"""The child's pins (issue 11, items 9 and 10): probes run with globals and support modules
captured before the student's code, and every change to what they depend on is named.

In-process: the probes module is loaded by path as the zygote loads it, "student code" is
whatever the test does after the pins are taken."""

from __future__ import annotations

import builtins
import importlib.util
import pathlib
import sys
import types
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from torch import nn

from grader.sandbox._child import pinning

REPO = pathlib.Path(__file__).resolve().parents[2]
HW1 = REPO / "assignments" / "hw1"


def _load(name: str, path: pathlib.Path) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def loaded() -> Iterator[tuple[types.ModuleType, types.ModuleType]]:
    scaffold = _load("scaffold", HW1 / "support" / "scaffold.py")
    saved = sys.modules.get("scaffold")
    sys.modules["scaffold"] = scaffold  # as in the child: the student imports this one
    try:
        yield _load("_grader_probes", HW1 / "probes.py"), scaffold
    finally:
        if saved is None:
            sys.modules.pop("scaffold", None)
        else:
            sys.modules["scaffold"] = saved


class Ctx:
    device = "cpu"

    def __init__(self, pins: pinning.Pins, **modules: object) -> None:
        self._modules = {**pins.support, **modules}

    def module(self, name: str) -> object:
        return self._modules[name]

    def data_path(self, name: str) -> pathlib.Path:
        return HW1 / "support" / name


def _student_lab2(scaffold: types.ModuleType, *, wide: bool = False) -> types.SimpleNamespace:
    class LeNet5(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            pad = 2 if wide else 0
            self.conv1, self.conv2 = scaffold.CONV(3, 6, 5, padding=pad), scaffold.CONV(6, 16, 5, padding=pad)
            self.fc1 = scaffold.FC(1024 if wide else 400, 120)
            self.fc2, self.fc3 = scaffold.FC(120, 84), scaffold.FC(84, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = torch.max_pool2d(torch.relu(self.conv1(x)), 2)
            x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
            return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(torch.flatten(x, 1))))))

    return types.SimpleNamespace(LeNet5=LeNet5)


def test_honest_calls_change_nothing(loaded) -> None:
    probes, scaffold = loaded
    pins = pinning.Pins(probes, {"scaffold": scaffold})
    ctx = Ctx(pins, lab2=_student_lab2(scaffold), lab1=_load("lab1", HW1 / "reference" / "lab1.py"))
    for name, args in [("lenet_layers", {}), ("lenet_forward", {}), ("closed_form", {"dataset": "course"}), ("lms", {})]:
        pins.function(name)(ctx, **args)
        assert pins.tampered() == [], name


def test_a_rebound_helper_in_the_module_is_not_what_the_probe_runs(loaded) -> None:
    probes, scaffold = loaded
    pins = pinning.Pins(probes, {"scaffold": scaffold})

    def fake(ctx: object, module: str, name: str) -> object:
        raise AssertionError("the probe ran the student's replacement")

    probes.__dict__["_function"] = fake  # as through sys.modules, gc or the original function's __globals__
    out = pins.function("lenet_layers")(Ctx(pins, lab2=_student_lab2(scaffold, wide=True)))
    assert out["modules"][2]["weight_shape"] == [120, 1024]  # the student's own model was measured
    assert pins.tampered() == ["probes._function"]


def test_a_helper_rebound_through_the_callers_frame_is_named(loaded) -> None:
    probes, scaffold = loaded
    pins = pinning.Pins(probes, {"scaffold": scaffold})
    lab2 = _student_lab2(scaffold)
    original = lab2.LeNet5

    def sneaky() -> nn.Module:
        frame = sys._getframe(1)
        while "_shape" not in frame.f_globals:
            frame = frame.f_back
        frame.f_globals["_shape"] = lambda value: [1]
        return original()

    pins.function("lenet_layers")(Ctx(pins, lab2=types.SimpleNamespace(LeNet5=sneaky)))
    assert pins.tampered() == ["probes._shape"]


@pytest.mark.parametrize(
    ("owner", "name", "shown"),
    [
        (builtins, "isinstance", "builtins.isinstance"),
        (nn.Module, "register_forward_hook", "torch.nn.modules.module.Module.register_forward_hook"),
        (nn.Module, "named_modules", "torch.nn.modules.module.Module.named_modules"),
        (nn.Conv2d, "forward", "torch.nn.modules.conv.Conv2d.forward"),
        (torch.nn, "Linear", "torch.nn.Linear"),
    ],
)
def test_a_patched_builtin_class_or_library_name_is_named(loaded, owner, name, shown) -> None:
    probes, scaffold = loaded
    pins = pinning.Pins(probes, {"scaffold": scaffold})
    saved = owner.__dict__[name]
    setattr(owner, name, lambda *a, **k: saved(*a, **k))
    try:
        assert shown in pins.tampered()
    finally:
        setattr(owner, name, saved)
    assert pins.tampered() == []


def test_a_replaced_code_object_is_named(loaded) -> None:
    probes, scaffold = loaded
    pins = pinning.Pins(probes, {"scaffold": scaffold})
    helper = pins.globals["as_array"]
    saved = helper.__code__
    helper.__code__ = (lambda value, *, func, expect, where="": value).__code__
    try:
        assert pins.tampered() == ["_grader_probes.as_array"]
    finally:
        helper.__code__ = saved


def test_the_probes_see_the_scaffold_as_captured(loaded) -> None:
    """`scaffold.CONV = nn.Conv2d` in the student's module: the probe's isinstance test
    still uses the course's class; rebinding inside the probes' own copy is named."""
    probes, scaffold = loaded
    pins = pinning.Pins(probes, {"scaffold": scaffold})
    course_conv = scaffold.CONV
    scaffold.CONV, scaffold.FC = nn.Conv2d, nn.Linear
    assert pins.support["scaffold"].CONV is course_conv
    plain = types.SimpleNamespace(LeNet5=_student_lab2(scaffold).LeNet5)  # built from plain torch layers now
    out = pins.function("lenet_layers")(Ctx(pins, lab2=plain))
    assert [m["scaffold"] for m in out["modules"]] == [False] * 5
    assert pins.tampered() == []
    pins.support["scaffold"].CONV = nn.Conv2d
    assert pins.tampered() == ["scaffold.CONV"]


def test_names_the_probes_do_not_use_are_not_watched(loaded) -> None:
    """A student may break numpy for themselves (tests/e2e/hostile/monkeypatch.py): what
    the probes do not use is the grader's comparison's business, done in the grader."""
    probes, scaffold = loaded
    pins = pinning.Pins(probes, {"scaffold": scaffold})
    saved = np.allclose
    np.allclose = lambda *a, **k: True
    try:
        assert pins.tampered() == []
    finally:
        np.allclose = saved
