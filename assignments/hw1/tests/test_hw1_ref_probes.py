"""HW1 probes: plain, deterministic output; the same results in a sandbox-like process
where `reference` cannot be imported; conversion that accepts any array-like and names
the function when it cannot; and gradients equal to an independent computation."""

from __future__ import annotations

import json
import math
import pathlib
import pickle
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis.extra import numpy as hnp
import torch.nn.functional as F
from torch import nn

from grader.packs import Pack

_PACK = Pack.at(__file__)
lab2 = _PACK.module("reference.lab2")
lab3 = _PACK.module("reference.lab3")
oracles = _PACK.module("oracles")
probes = _PACK.module("probes")
CONV = _PACK.module("support.scaffold").CONV
FC = _PACK.module("support.scaffold").FC


HW1 = _PACK.root

ARCH = lab2.LENET_ARCH
# Synthetic Lab 1 data sets are specified by the rubric (the probes name none): these are
# of the same kinds as the hidden ones, on seeds of their own.
SMALL = {"seed": 11, "rows": 20, "x1_scale": 2.0, "x2_scale": 2.0}
SYNTHETIC: dict[str, dict[str, Any]] = {
    "small": SMALL,
    "large": {"seed": 12, "rows": 500, "x1_scale": 2.0, "x2_scale": 2.0},
    "wide": {"seed": 13, "rows": 100, "x1_scale": 10.0, "x2_scale": 10.0},
    "badly_scaled": {"seed": 14, "rows": 100, "x1_scale": 1e3, "x2_scale": 1e-2},
}
CASES: list[tuple[str, dict[str, Any]]] = [
    ("closed_form", {"dataset": "course"}),
    *[("closed_form", {"dataset": spec}) for spec in SYNTHETIC.values()],
    ("lms", {}),
    ("lms", {"dataset": SMALL, "lr": 0.1, "epochs": 3}),
    ("lms", {"lr": 1.0}),
    ("lenet_forward", {}),
    ("lenet_forward", {"batch": 2, "seed": 3}),
    ("lenet_layers", {}),
    ("lab3_gradients", {"arch": ARCH}),
    ("lab3_gradients", {"arch": ARCH, "seed": 5, "batch": 3}),
    ("lab3_zero_init", {"arch": ARCH}),
    ("jacobians", {"shapes": [[3, 2], [1, 5], [4, 4]]}),
    ("two_layer_grads", {"shapes": [[3, 2, 4], [1, 1, 1], [5, 3, 2]]}),
]


def case_id(case: tuple[str, dict[str, Any]]) -> str:
    name, args = case
    shown = {k: ("LENET_ARCH" if k == "arch" else v) for k, v in args.items()}
    return f"{name}{shown}"


def assert_plain(value: Any, path: str = "output") -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str, f"{path}: key {key!r}"
            assert_plain(item, f"{path}[{key!r}]")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            assert_plain(item, f"{path}[{i}]")
    elif isinstance(value, np.ndarray):
        assert value.dtype == np.float64, f"{path}: dtype {value.dtype}"
    else:
        assert value is None or type(value) in (str, int, float, bool), f"{path}: {type(value).__name__}"


def canon(value: Any) -> bytes:
    """Bytes that differ whenever two plain values differ (NaN equal to NaN)."""
    if isinstance(value, np.ndarray):
        return b"A" + f"{value.dtype}{value.shape}".encode() + np.ascontiguousarray(value).tobytes()
    if isinstance(value, dict):
        return b"D{" + b",".join(canon(k) + b":" + canon(v) for k, v in value.items()) + b"}"
    if isinstance(value, list):
        return b"L[" + b",".join(canon(v) for v in value) + b"]"
    return f"{type(value).__name__}:{value!r}".encode()


def test_cases_cover_every_probe() -> None:
    assert {name for name, _ in CASES} == set(probes.PROBES)
    for name in probes.PROBES:
        assert callable(getattr(probes, name)), name


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_output_is_plain_data_and_deterministic(case, ref_ctx) -> None:
    name, args = case
    first = getattr(probes, name)(ref_ctx, **args)
    second = getattr(probes, name)(ref_ctx, **args)
    assert_plain(first)
    assert canon(first) == canon(second)


def test_probes_leave_the_global_rng_alone(ref_ctx) -> None:
    state = torch.get_rng_state()
    probes.lenet_forward(ref_ctx)
    probes.lenet_layers(ref_ctx)
    probes.lab3_gradients(ref_ctx, arch=ARCH, batch=2)
    assert torch.equal(state, torch.get_rng_state())


# --- data sets --------------------------------------------------------------------------


def test_course_data_set_is_lab1_csv(ref_ctx) -> None:
    X, y = probes.dataset(ref_ctx, "course")
    X_ref, y_ref = lab3_free_load(HW1 / "support" / "lab1.csv")
    assert np.array_equal(X, X_ref) and np.array_equal(y, y_ref)


def lab3_free_load(path: pathlib.Path) -> tuple[np.ndarray, np.ndarray]:
    data = np.genfromtxt(path, delimiter=",", names=True)
    return np.column_stack([data["x1"], data["x2"]]), data["y"]


@pytest.mark.parametrize("name", list(SYNTHETIC))
def test_synthetic_data_sets_follow_the_course_model(ref_ctx, name: str) -> None:
    spec = SYNTHETIC[name]
    rows, x1_max, x2_max = spec["rows"], spec["x1_scale"], spec["x2_scale"]
    X, y = probes.dataset(ref_ctx, spec)
    assert X.shape == (rows, 2) and y.shape == (rows,)
    assert np.abs(X[:, 0]).max() <= x1_max and np.abs(X[:, 0]).max() > x1_max / 2
    assert np.abs(X[:, 1]).max() <= x2_max and np.abs(X[:, 1]).max() > x2_max / 2
    noise = y - (-X[:, 0] + X[:, 1] - 2)
    assert 0.005 < noise.std() < 0.02 and abs(noise.mean()) < 0.01
    X2, y2 = probes.dataset(ref_ctx, spec)
    assert X2 is not X and np.array_equal(X2, X) and np.array_equal(y2, y)


def test_a_synthetic_data_set_may_have_its_own_model(ref_ctx) -> None:
    """Public data sets (the student kit's) use other coefficients and noise, so that their
    fitted weights and MSE are nowhere near the course data's answers."""
    X, y = probes.dataset(ref_ctx, {**SMALL, "rows": 400, "coef": [0.5, -1.5, 0.75], "noise": 0.05})
    w, *_ = np.linalg.lstsq(np.column_stack([X, np.ones(len(y))]), y, rcond=None)
    assert np.allclose(w, [0.5, -1.5, 0.75], atol=0.02)
    assert 0.04 < (y - np.column_stack([X, np.ones(len(y))]) @ w).std() < 0.06
    X0, y0 = probes.dataset(ref_ctx, SMALL)  # the defaults are the course model: same draws, same data
    X1, y1 = probes.dataset(ref_ctx, {**SMALL, "coef": [-1, 1, -2], "noise": 0.01})
    assert np.array_equal(X0, X1) and np.array_equal(y0, y1)


def test_probes_name_no_synthetic_data_set() -> None:
    """The probes ship in the student kit: the grading data sets live in the rubric only."""
    assert not hasattr(probes, "DATASETS") and not hasattr(probes, "_SYNTHETIC")
    source = (HW1 / "probes.py").read_text()
    assert "hidden_small" not in source and "20_240_1" not in source and "202401" not in source


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ("hidden", "unknown data set 'hidden'"),
        ({"seed": 1, "rows": 20}, "got keys"),
        ({**SMALL, "extra": 1}, "got keys"),
        ({**SMALL, "seed": -1}, "seed must be an integer >= 0"),
        ({**SMALL, "rows": True}, "rows must be an integer >= 3"),
        ({**SMALL, "x1_scale": 0}, "x1_scale must be a positive number"),
        ({**SMALL, "x2_scale": float("nan")}, "x2_scale must be a positive number"),
        ({**SMALL, "coef": [1, 2]}, r"coef must be \[w1, w2, b\]"),
        ({**SMALL, "noise": -1.0}, "noise must be a positive number"),
        (3, "a data set is 'course' or a mapping"),
    ],
)
def test_a_bad_data_set_is_an_error(ref_ctx, spec: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        probes.dataset(ref_ctx, spec)


# --- a fake student module, for conversion and isolation --------------------------------


class FakeContext:
    """A ProbeContext whose modules are given as namespaces (a stand-in student)."""

    device = "cpu"

    def __init__(self, **modules: Any) -> None:
        self._modules = {"scaffold": _PACK.module("support.scaffold"), **modules}

    def module(self, name: str) -> Any:
        return self._modules[name]

    def data_path(self, name: str) -> pathlib.Path:
        return HW1 / "support" / name


def returning(value: Any) -> Callable[..., Any]:
    return lambda *args, **kwargs: value


W = [-1.0, 1.0, -2.0]
ARRAY_LIKES = {
    "list": W,
    "tuple": tuple(W),
    "int list": [-1, 1, -2],
    "float32 array": np.array(W, dtype=np.float32),
    "column": np.array(W)[:, None],
    "tensor": torch.tensor(W),
    "tensor needing grad": torch.tensor(W, requires_grad=True) * 1,
    "float64 tensor": torch.tensor(W, dtype=torch.float64),
    "list of 0-d tensors": [torch.tensor(v) for v in W],
    "numpy scalars": [np.float32(v) for v in W],
    "object array": np.array([torch.tensor(v) for v in W], dtype=object),
}


@pytest.mark.parametrize("kind", list(ARRAY_LIKES))
def test_any_array_like_becomes_a_float64_array(kind: str) -> None:
    value = ARRAY_LIKES[kind]
    got = probes.closed_form(FakeContext(lab1=types.SimpleNamespace(closed_form=returning(value))), dataset=SMALL)["w"]
    assert got.dtype == np.float64
    assert np.array_equal(got.reshape(-1), np.array(W)), kind
    assert got.shape == ((3, 1) if kind == "column" else (3,))


@settings(max_examples=25, deadline=None)
@given(array=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)))
def test_conversion_keeps_values_and_shape(array: np.ndarray) -> None:
    for value in (array, torch.from_numpy(array.copy()), array.tolist()):
        got = probes.as_array(value, func="f", expect="numbers")
        assert got.shape == array.shape
        assert canon(got) == canon(array.astype(np.float64))
        assert got is not value


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("abc", "closed_form returned a str, expected an array of 3 numbers"),
        (None, "closed_form returned None, expected an array of 3 numbers"),
        ({"w": W}, "closed_form returned a dict, expected"),
        ([[1.0, 2.0], [3.0]], "closed_form returned a list whose items have different shapes (2,) and (1,)"),
        ([1.0, "x", 2.0], "closed_form returned a list containing a str"),
        (torch.tensor([1j, 2j]), "closed_form returned a complex tensor"),
        (np.array(["a"]), "closed_form returned an array of dtype <U1"),
        (10**400, "closed_form returned an integer too large for a float"),
    ],
)
def test_unconvertible_returns_raise_a_type_error_naming_the_function(value: Any, fragment: str) -> None:
    ctx = FakeContext(lab1=types.SimpleNamespace(closed_form=returning(value)))
    with pytest.raises(TypeError) as info:
        probes.closed_form(ctx, dataset="course")
    assert fragment in str(info.value)


def test_lms_must_return_a_pair() -> None:
    ctx = FakeContext(lab1=types.SimpleNamespace(lms=returning(np.zeros(3))))
    with pytest.raises(TypeError, match=r"lms returned a numpy array of shape \(3,\), expected a pair \(w, mse_per_epoch\)"):
        probes.lms(ctx)
    ctx = FakeContext(lab1=types.SimpleNamespace(lms=returning((W, [1.0], 3))))
    with pytest.raises(TypeError, match="lms returned a tuple of length 3"):
        probes.lms(ctx)


def test_a_missing_function_is_named() -> None:
    with pytest.raises(AttributeError, match="lab1 defines no closed_form"):
        probes.closed_form(FakeContext(lab1=types.SimpleNamespace()), dataset="course")


def test_inputs_are_fresh_for_every_call() -> None:
    seen: list[np.ndarray] = []

    def vandal(X: np.ndarray, y: np.ndarray) -> list[float]:
        seen.append(X.copy())
        X[:] = 0.0
        y[:] = 0.0
        return W

    ctx = FakeContext(lab1=types.SimpleNamespace(closed_form=vandal))
    probes.closed_form(ctx, dataset=SMALL)
    probes.closed_form(ctx, dataset=SMALL)
    assert np.array_equal(seen[0], seen[1]) and np.abs(seen[1]).max() > 0


def test_parts_that_are_none_or_absent_come_back_as_none() -> None:
    grads_with_a_hole = returning({"W1": np.zeros((2, 3)), "b1": None, "W2": torch.zeros(4, 2)})
    ctx = FakeContext(problem3=types.SimpleNamespace(two_layer_grads=grads_with_a_hole))
    case = probes.two_layer_grads(ctx, shapes=[[3, 2, 4]])["cases"][0]
    assert case["b1"] is None and case["b2"] is None and case["W2"].shape == (4, 2)
    ctx = FakeContext(lab3=types.SimpleNamespace(layer_gradients=returning({"fc3.bias": None, "fc3.weight": [0.0]})))
    assert probes.lab3_gradients(ctx, arch=ARCH, batch=1)["grads"]["fc3.bias"] is None
    ctx = FakeContext(lab3=types.SimpleNamespace(layer_gradients=returning([1.0])))
    with pytest.raises(TypeError, match="layer_gradients returned a list, expected a dict"):
        probes.lab3_gradients(ctx, arch=ARCH, batch=1)


# --- Lab 2 probes -----------------------------------------------------------------------


def test_lenet_layers_on_the_reference_equals_its_table(ref_ctx) -> None:
    """The probe measures; the grader's oracle derives the table (params, MACs) from it."""
    raw = probes.lenet_layers(ref_ctx)
    out = oracles.lenet_layers(raw, {})
    table = lab2.layer_table()
    assert [row["name"] for row in out["layers"]] == list(table)
    for row in out["layers"]:
        expected = table[row["name"]]
        assert {k: row[k] for k in expected} == expected
        assert row["type"] == ("conv" if row["name"].startswith("conv") else "fc")
    assert out["non_scaffold"] == []
    assert out["total_params"] == sum(p.numel() for p in lab2.LeNet5().parameters()) == 61984  # the course's CONV has no bias
    assert out["output_shape"] == [1, 10]
    # what the probe itself returns is only what the model did: no counts
    assert "params" not in json.dumps([raw["modules"], raw["calls"]]) and "macs" not in json.dumps(raw["calls"])


class MixedLeNet(lab2.LeNet5):
    """A student LeNet whose conv1 is a plain nn.Conv2d and whose fc layers are called in
    a different order than defined."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)


def test_lenet_layers_names_layers_not_from_the_scaffold() -> None:
    out = oracles.lenet_layers(probes.lenet_layers(FakeContext(lab2=types.SimpleNamespace(LeNet5=MixedLeNet))), {})
    assert out["non_scaffold"] == ["conv1"]
    assert [row["name"] for row in out["layers"]] == lab2.LAYER_NAMES  # plain layers are measured too


class SwitchingLeNet(lab2.LeNet5):
    """fc1 of 1024 inputs and padded convolutions, except while forward hooks are attached."""

    def __init__(self) -> None:
        super().__init__()
        self.wide1, self.wide2, self.wide_fc = CONV(3, 6, 5, padding=2), CONV(6, 16, 5, padding=2), FC(1024, 120)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if any(m._forward_hooks for m in self.modules()):
            return super().forward(x)
        x = F.max_pool2d(F.relu(self.wide1(x)), 2)
        x = F.max_pool2d(F.relu(self.wide2(x)), 2)
        return self.fc3(F.relu(self.fc2(F.relu(self.wide_fc(torch.flatten(x, 1))))))


class QuietSwitchingLeNet(SwitchingLeNet):
    """As SwitchingLeNet, but with the same output either way (the wide path is computed
    and thrown away): only the layers' own notes of their shapes give it away."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not any(m._forward_hooks for m in self.modules()):
            SwitchingLeNet.forward(self, x)
        return lab2.LeNet5.forward(self, x)


class ReusingLeNet(lab2.LeNet5):
    """An honest model that calls one scaffold layer twice, on inputs of two sizes."""

    def __init__(self) -> None:
        super().__init__()
        self.mix = CONV(6, 6, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(self.mix(F.relu(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.conv2(self.mix(x))), 2)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))))


def test_a_layer_called_twice_is_measured_once_and_not_rejected() -> None:
    out = oracles.lenet_layers(probes.lenet_layers(FakeContext(lab2=types.SimpleNamespace(LeNet5=ReusingLeNet))), {})
    assert [row["name"] for row in out["layers"]] == ["conv1", "mix", "conv2", "fc1", "fc2", "fc3"]
    assert out["layers"][1]["input_shape"] == [1, 6, 28, 28]  # the table shows its first call


@pytest.mark.parametrize("model", [SwitchingLeNet, QuietSwitchingLeNet])
def test_a_model_that_changes_while_measured_is_rejected(model: type) -> None:
    raw = probes.lenet_layers(FakeContext(lab2=types.SimpleNamespace(LeNet5=model)))
    assert [c["name"] for c in raw["calls"]] == lab2.LAYER_NAMES  # the hooks alone see a right LeNet-5
    with pytest.raises(ValueError, match="behaves differently while it is measured") as info:
        oracles.lenet_layers(raw, {})
    assert "wide1 runs only while not measured" in str(info.value)


@pytest.mark.parametrize(
    "damage",
    [lambda o: o.update(modules="x"), lambda o: o["calls"].append({"name": "ghost"}),
     lambda o: o["modules"][0].update(weight_shape=[-1]), lambda o: o.update(calls=[{}] * 10_000),
     lambda o: o["outputs"].update(plain=None)],
)
def test_the_lenet_oracle_rejects_malformed_output_with_a_message(ref_ctx, damage) -> None:
    raw = probes.lenet_layers(ref_ctx)
    damage(raw)
    with pytest.raises(ValueError) as info:
        oracles.lenet_layers(raw, {})
    assert str(info.value)


def test_lenet_forward_rejects_a_non_module() -> None:
    ctx = FakeContext(lab2=types.SimpleNamespace(LeNet5=lambda: "not a model"))
    with pytest.raises(TypeError, match=r"LeNet5\(\) built a str, expected an nn.Module"):
        probes.lenet_forward(ctx)


# --- build_model and the Lab 3 probes ------------------------------------------------------


def test_build_model_matches_lenet5(ref_ctx) -> None:
    built = probes.build_model(ref_ctx, ARCH, seed=0)
    reference = lab2.LeNet5()
    assert [(n, tuple(p.shape)) for n, p in built.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in reference.named_parameters()
    ]
    assert all(isinstance(m, (CONV, FC)) for m in built.children())
    reference.load_state_dict(built.state_dict())
    x = torch.randn(3, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(built(x), reference(x), rtol=0, atol=0)


def test_build_model_init_is_seeded_and_within_the_default_bounds(ref_ctx) -> None:
    a = {n: p.detach() for n, p in probes.build_model(ref_ctx, ARCH, seed=1).named_parameters()}
    b = dict(probes.build_model(ref_ctx, ARCH, seed=1).named_parameters())
    c = dict(probes.build_model(ref_ctx, ARCH, seed=2).named_parameters())
    fan_in = {"conv1": 3 * 25, "conv2": 6 * 25, "fc1": 400, "fc2": 120, "fc3": 84}
    for name, param in a.items():
        assert torch.equal(param, b[name]) and not torch.equal(param, c[name]), name
        bound = 1 / math.sqrt(fan_in[name.split(".")[0]])
        assert param.abs().max() <= bound, name
        if param.numel() >= 100:  # uniform over the whole interval, not a narrower one
            assert param.abs().max() > 0.9 * bound and abs(float(param.mean())) < 0.1 * bound, name
        assert param.dtype == torch.float32


def test_build_model_biases_follow_the_scaffold_unless_the_arch_says(ref_ctx) -> None:
    """The course's CONV has no bias and FC has one; an arch may ask otherwise, and the
    zero-init oracle expects exactly the parameters the builder made."""
    arch = [{"layer": "conv", "name": "c1", "in": 3, "out": 4, "kernel": 3},
            {"layer": "conv", "name": "c2", "in": 4, "out": 4, "kernel": 3, "bias": True},
            {"layer": "flatten"},
            {"layer": "fc", "name": "f1", "in": 4 * 4 * 4, "out": 5},
            {"layer": "fc", "name": "f2", "in": 5, "out": 2, "bias": False}]
    built = probes.build_model(ref_ctx, arch, seed=0)
    names = [n for n, _ in built.named_parameters()]
    assert names == ["c1.weight", "c2.weight", "c2.bias", "f1.weight", "f1.bias", "f2.weight"]
    assert list(oracles._arch_parameters(arch)) == names
    x = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    params = dict(built.named_parameters())
    torch.testing.assert_close(oracles._forward(arch, params, x), built(x), rtol=0, atol=0)


@pytest.mark.parametrize(
    ("arch", "fragment"),
    [
        ([], "non-empty list"),
        ([{"layer": "dropout"}], "arch[0]: expected a dict with 'layer'"),
        ([{"layer": "conv", "name": "c", "in": 3, "out": 6}], "arch[0] (conv): missing kernel"),
        ([{"layer": "fc", "name": "f", "in": 3, "out": 6, "kernal": 1}], "unknown key(s) kernal"),
        ([{"layer": "fc", "name": "f", "in": 3, "out": 6}, {"layer": "fc", "name": "f", "in": 6, "out": 2}], "arch[1]: 'name'"),
        ([{"layer": "fc", "name": "a.b", "in": 3, "out": 6}], "must be a new identifier"),
        ([{"layer": "fc", "name": "f", "in": 0, "out": 6}], "'in' must be an integer >= 1"),
        ([{"layer": "conv", "name": "c", "in": 3, "out": 6, "kernel": 3, "bias": "yes"}], "'bias' must be true or false"),
    ],
)
def test_build_model_rejects_a_bad_arch(ref_ctx, arch, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        probes.build_model(ref_ctx, arch, seed=0)
    assert fragment in str(info.value)


class RecordingLab3:
    """The reference lab3, recording what layer_gradients was given (cloned)."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]] = []
        self.zero_init = lab3.zero_init

    def layer_gradients(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> Any:
        params = {n: p.detach().clone() for n, p in model.named_parameters()}
        self.calls.append((params, images.clone(), labels.clone()))
        return lab3.layer_gradients(model, images, labels)


@pytest.mark.parametrize(("seed", "batch"), [(0, 8), (7, 2)])
def test_lab3_gradients_equal_an_independent_computation(seed: int, batch: int, independent_lenet_grads) -> None:
    recorder = RecordingLab3()
    out = probes.lab3_gradients(FakeContext(lab3=recorder), arch=ARCH, seed=seed, batch=batch)
    [(params, images, labels)] = recorder.calls
    assert images.shape == (batch, 3, 32, 32) and labels.shape == (batch,)
    assert 0 <= int(labels.min()) and int(labels.max()) <= 9
    expected = independent_lenet_grads(params, images, labels)
    assert list(out["grads"]) == list(expected)
    for name, grad in out["grads"].items():
        np.testing.assert_allclose(grad, expected[name].numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


def test_lab3_zero_init_returns_the_parameters_and_the_oracle_derives_the_gradients(independent_lenet_grads) -> None:
    recorder = RecordingLab3()
    probes.lab3_gradients(FakeContext(lab3=recorder), arch=ARCH, seed=3, batch=6)
    labels = recorder.calls[0][2].numpy()
    raw = probes.lab3_zero_init(FakeContext(lab3=recorder), arch=ARCH, seed=3, batch=6)
    assert set(raw) == {"params"} and all(not p.any() for p in raw["params"].values())
    out = oracles.lab3_zero_init(raw, {"arch": ARCH, "seed": 3, "batch": 6})
    assert out["nonzero_params"] == []
    for name, grad in out["grads"].items():
        if name != "fc3.bias":
            assert not grad.any(), name
    # Uniform softmax over 10 classes: mean(softmax - onehot) over the batch (same batch).
    np.testing.assert_allclose(out["grads"]["fc3.bias"], (np.full((6, 10), 0.1) - np.eye(10)[labels]).mean(0), atol=1e-12)

    def weights_only(model: nn.Module) -> None:
        with torch.no_grad():
            for name, param in model.named_parameters():
                if name.endswith("weight"):
                    param.zero_()

    raw = probes.lab3_zero_init(FakeContext(lab3=types.SimpleNamespace(zero_init=weights_only)), arch=ARCH, seed=4, batch=5)
    out = oracles.lab3_zero_init(raw, {"arch": ARCH, "seed": 4, "batch": 5})
    assert out["nonzero_params"] == [f"{n}.bias" for n in lab2.LAYER_NAMES if n.startswith("fc")]  # CONV has none
    images, labels = probes.batch_inputs(4, 5, (3, 32, 32), 10)
    params = {name: torch.from_numpy(value) for name, value in raw["params"].items()}
    expected = independent_lenet_grads(params, images, labels)
    for name, grad in out["grads"].items():
        np.testing.assert_allclose(grad, expected[name].numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_the_zero_init_oracle_names_a_parameter_that_changed(ref_ctx) -> None:
    raw = probes.lab3_zero_init(ref_ctx, arch=ARCH)
    raw["params"]["fc1.weight"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"fc1.weight has shape \(3, 3\), expected \(120, 400\)"):
        oracles.lab3_zero_init(raw, {"arch": ARCH})
    raw = probes.lab3_zero_init(ref_ctx, arch=ARCH)
    del raw["params"]["fc2.bias"]
    with pytest.raises(ValueError, match="no parameter fc2.bias"):
        oracles.lab3_zero_init(raw, {"arch": ARCH})


def test_probes_compute_no_answer() -> None:
    """Gradients, losses and counts are derived in the grader (oracles.py), never in the
    student's process: the probes' code has no autograd, loss or MAC formula."""
    source = (HW1 / "probes.py").read_text(encoding="utf-8")
    for word in ("autograd", "backward", "cross_entropy", "numel", "_macs", "requires_grad"):
        assert word not in source, word


def test_problem3_probes_return_the_documented_shapes(ref_ctx) -> None:
    for case, (n_in, n_out) in zip(probes.jacobians(ref_ctx, shapes=[[3, 2], [1, 5]])["cases"], [(3, 2), (1, 5)]):
        assert (case["n_in"], case["n_out"]) == (n_in, n_out)
        assert (case["dx"].shape, case["dW"].shape, case["db"].shape) == ((n_out, n_in), (n_out, n_out, n_in), (n_out, n_out))
    [case] = probes.two_layer_grads(ref_ctx, shapes=[[3, 2, 4]])["cases"]
    assert [case[k].shape for k in ("W1", "b1", "W2", "b2")] == [(2, 3), (2,), (4, 2), (4,)]
    with pytest.raises(ValueError, match=r"\[n_in, n_out\]"):
        probes.jacobians(ref_ctx, shapes=[[3, 2, 1]])


# --- the same probes in a process where `reference` cannot be imported -------------------

SANDBOX = textwrap.dedent(
    """
    import importlib.abc, importlib.util, json, pathlib, pickle, sys

    hw1, student, out = (pathlib.Path(p) for p in sys.argv[1:4])
    cases = json.loads(sys.argv[4])

    class NoReference(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "reference" or name.startswith("reference."):
                raise ModuleNotFoundError(f"sandbox: {name} is not importable here")
            return None

    sys.meta_path.insert(0, NoReference())

    def load(name, path, register):
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        if register:
            sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    modules = {"scaffold": load("scaffold", hw1 / "support" / "scaffold.py", True)}
    for name in ("lab1", "lab3", "problem3"):
        modules[name] = load(name, hw1 / "reference" / f"{name}.py", False)
    modules["lab2"] = load("lab2", student / "lab2.py", False)
    probes = load("hw1_probes_in_sandbox", hw1 / "probes.py", False)

    class Ctx:
        device = "cpu"
        def module(self, name):
            return modules[name]
        def data_path(self, name):
            return hw1 / "support" / name

    results = [getattr(probes, name)(Ctx(), **args) for name, args in cases]
    leaked = [m for m in sys.modules if m == "reference" or m.startswith("reference.")]
    assert not leaked, leaked
    out.write_bytes(pickle.dumps(results))
    """
)


def test_probes_give_the_same_results_in_a_sandbox_without_reference(tmp_path: pathlib.Path, ref_ctx) -> None:
    # A "student" lab2: the reference's, importing the scaffold the way students do.
    source = (HW1 / "reference" / "lab2.py").read_text(encoding="utf-8")
    student_source = source.replace("from ..support.scaffold import CONV, FC", "from scaffold import CONV, FC")
    assert student_source != source
    (tmp_path / "lab2.py").write_text(student_source, encoding="utf-8")
    out = tmp_path / "results.pickle"
    proc = subprocess.run(
        [sys.executable, "-c", SANDBOX, str(HW1), str(tmp_path), str(out), json.dumps(CASES)],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    sandboxed = pickle.loads(out.read_bytes())
    for (name, args), got in zip(CASES, sandboxed, strict=True):
        expected = getattr(probes, name)(ref_ctx, **args)
        assert canon(got) == canon(expected), case_id((name, args))
