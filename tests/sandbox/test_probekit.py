"""probekit's helpers, in-process (fast, no sandbox): conversions and their messages,
seeded instances, the layer-list builder, the time budget, reading names."""

from __future__ import annotations

import signal
import sys
import time
import types

import numpy as np
import pytest
import torch
from torch import nn

from grader.sandbox import probekit as pk


def test_importable_as_probekit() -> None:
    import probekit  # what a probes file writes

    assert probekit is pk


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (torch.tensor([1, 2, 3]), [1.0, 2.0, 3.0]),
        (np.array([[1, 2]], dtype=np.int8), [[1.0, 2.0]]),
        ([torch.tensor(1.0), np.float32(2.0), 3], [1.0, 2.0, 3.0]),
        (((1, 2), (3, 4)), [[1.0, 2.0], [3.0, 4.0]]),
        (True, 1.0),
        (torch.tensor([1.0, 2.0], requires_grad=True) * 2, [2.0, 4.0]),
    ],
)
def test_as_array_converts(value: object, expected: object) -> None:
    out = pk.as_array(value, func="f", expect="numbers")
    assert out.dtype == np.float64
    assert out.tolist() == expected


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("text", "f returned a str, expected numbers"),
        (None, "f returned None, expected numbers"),
        ([1, "a"], "f returned a list containing a str, expected numbers"),
        ([[1, 2], [3]], "f returned a list whose items have different shapes (2,) and (1,)"),
        (torch.tensor([1j]), "f returned a complex tensor"),
        ({"a": 1}, "f returned a dict, expected numbers"),
        (10**400, "an integer too large for a float"),
    ],
)
def test_as_array_names_the_function_and_the_value(value: object, says: str) -> None:
    with pytest.raises(TypeError) as err:
        pk.as_array(value, func="f", expect="numbers")
    assert says in str(err.value)


def test_as_array_copies() -> None:
    source = np.zeros(3)
    out = pk.as_array(source, func="f", expect="numbers")
    out[0] = 1
    assert source[0] == 0


def test_to_plain_nested() -> None:
    value = {"out": torch.ones(2, 2), "cache": (np.float32(0.5), 3, "x", None, [np.bool_(True)])}
    plain = pk.to_plain(value, func="bn", expect="a dict")
    assert isinstance(plain["out"], np.ndarray) and plain["out"].dtype == np.float64
    assert plain["cache"] == [0.5, 3, "x", None, [True]]
    assert type(plain["cache"][0]) is float and type(plain["cache"][4][0]) is bool


def test_to_plain_names_where_the_bad_part_is() -> None:
    with pytest.raises(TypeError) as err:
        pk.to_plain({"cache": [1, (x for x in [])]}, func="batchnorm_forward", expect="a dict")
    assert "batchnorm_forward returned a generator at ['cache'][1], expected a dict" in str(err.value)
    with pytest.raises(TypeError, match="with an int key"):
        pk.to_plain({1: 2}, func="f", expect="a dict")


def test_to_plain_bounds_size_and_depth() -> None:
    deep: list[object] = []
    for _ in range(50):
        deep = [deep]
    with pytest.raises(TypeError, match="nested more than"):
        pk.to_plain(deep, func="f", expect="x")
    cyclic: list[object] = []
    cyclic.append(cyclic)
    with pytest.raises(TypeError, match="nested more than"):
        pk.to_plain(cyclic, func="f", expect="x")
    with pytest.raises(TypeError, match="more than"):
        pk.to_plain(list(range(pk.MAX_PLAIN_ITEMS + 1)), func="f", expect="x")


def test_parts_and_mapping() -> None:
    assert pk.parts((1, 2), 2, func="f", expect="a pair") == [1, 2]
    with pytest.raises(TypeError, match="f returned a tuple of length 3, expected a pair"):
        pk.parts((1, 2, 3), 2, func="f", expect="a pair")
    with pytest.raises(TypeError, match="f returned a list, expected a dict"):
        pk.mapping([], func="f", expect="a dict")


class _Ctx:
    device = "cpu"

    def __init__(self, module: types.ModuleType) -> None:
        self._module = module

    def module(self, name: str) -> types.ModuleType:
        return self._module

    def data_path(self, name: str) -> str:
        raise FileNotFoundError(name)


def test_function_messages() -> None:
    mod = types.ModuleType("lab1")
    mod.lms = lambda: 1  # type: ignore[attr-defined]
    mod.NOT = 3  # type: ignore[attr-defined]
    ctx = _Ctx(mod)
    assert pk.function(ctx, "lab1", "lms")() == 1
    with pytest.raises(AttributeError, match="lab1 defines no closed_form"):
        pk.function(ctx, "lab1", "closed_form")
    with pytest.raises(TypeError, match="lab1.NOT is an int, expected a function or class"):
        pk.function(ctx, "lab1", "NOT")


def test_seeded_draws_repeat_and_leave_the_global_rng() -> None:
    torch.manual_seed(5)
    before = torch.get_rng_state()
    a = pk.randn((2, 3), 7)
    b = pk.randn((2, 3), 7)
    assert torch.equal(a, b) and a.dtype == torch.float64
    gen = pk.generator(7)
    assert torch.equal(pk.randn((2, 3), gen), a)
    m1 = pk.seeded_instance(nn.Linear, 3, 4, 2, what="Linear(4, 2)")
    m2 = pk.seeded_instance(nn.Linear, 3, 4, 2, what="Linear(4, 2)")
    assert torch.equal(m1.weight, m2.weight)
    assert torch.equal(torch.get_rng_state(), before)
    with pytest.raises(TypeError, match="SimpleCNN\\(\\) built a str, expected an nn.Module"):
        pk.seeded_instance(lambda: "x", 0, what="SimpleCNN()")


ARCH = [
    {"layer": "conv", "name": "conv1", "in": 3, "out": 4, "kernel": 3, "padding": 1},
    {"layer": "bn2d", "name": "bn1", "features": 4},
    {"layer": "relu"},
    {"layer": "maxpool", "kernel": 2},
    {"layer": "flatten"},
    {"layer": "fc", "name": "fc", "in": 4 * 4 * 4, "out": 10},
]


def test_build_model_seeded_weights() -> None:
    before = torch.get_rng_state()
    a = pk.build_model(ARCH, seed=3)
    b = pk.build_model(ARCH, seed=3)
    c = pk.build_model(ARCH, seed=4)
    assert torch.equal(torch.get_rng_state(), before)
    for (name, p), (_, q), (_, r) in zip(a.named_parameters(), b.named_parameters(), c.named_parameters()):
        assert torch.equal(p, q), name
        if not name.startswith("bn"):
            assert not torch.equal(p, r), name
    bound = 1 / np.sqrt(3 * 3 * 3)
    assert float(a.conv1.weight.detach().abs().max()) <= bound
    assert a(torch.zeros(2, 3, 8, 8)).shape == (2, 10)
    assert [n for n, _ in a.named_parameters()] == ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "fc.weight", "fc.bias"]


def test_build_model_given_weights_and_layer_classes() -> None:
    weights = {"fc.weight": np.ones((10, 64)), "fc.bias": np.arange(10.0), "bn1.running_var": np.full(4, 2.0)}
    made: list[str] = []

    class Conv(nn.Conv2d):
        def __init__(self, *args: object, **kwargs: object) -> None:
            made.append("conv")
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    model = pk.build_model(ARCH, seed=0, weights=weights, conv=Conv)
    assert made == ["conv"] and isinstance(model.conv1, Conv)
    assert model.fc.bias.tolist() == list(range(10))
    assert model.bn1.running_var.tolist() == [2.0] * 4
    with pytest.raises(ValueError, match="the model has no 'fc2.weight'"):
        pk.build_model(ARCH, weights={"fc2.weight": np.ones(1)})
    with pytest.raises(ValueError, match="'fc.bias' has shape \\(3,\\), the model's is \\(10,\\)"):
        pk.build_model(ARCH, weights={"fc.bias": np.ones(3)})


@pytest.mark.parametrize(
    ("arch", "says"),
    [
        ([], "non-empty list"),
        ([{"layer": "lstm"}], "arch\\[0\\]: expected a dict with 'layer' one of"),
        ([{"layer": "conv", "name": "c", "in": 1, "out": 1}], "arch\\[0\\] \\(conv\\): missing kernel"),
        ([{"layer": "relu", "size": 2}], "unknown key\\(s\\) size"),
        ([{"layer": "fc", "name": "f", "in": 0, "out": 1}], "'in' must be an integer >= 1"),
        ([{"layer": "fc", "name": "f", "in": 1, "out": 1}, {"layer": "fc", "name": "f", "in": 1, "out": 1}], "new identifier"),
        ([{"layer": "bn1d", "name": "b", "features": 2, "eps": -1}], "'eps' must be a positive number"),
    ],
)
def test_build_model_refuses_bad_arch(arch: list[dict[str, object]], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        pk.build_model(arch)


def test_budget_passes_a_fast_call_and_restores_signals() -> None:
    handler = signal.getsignal(signal.SIGALRM)
    assert pk.call_with_budget(lambda x, y=0: x + y, 1, y=2, budget_s=5, what="add") == 3
    assert signal.getsignal(signal.SIGALRM) is handler
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_budget_interrupts_a_slow_call() -> None:
    start = time.monotonic()
    with pytest.raises(pk.BudgetExceeded, match="train_one_epoch did not finish within 0.2 s"):
        pk.call_with_budget(time.sleep, 5, budget_s=0.2, what="train_one_epoch")
    assert time.monotonic() - start < 2


def test_budget_holds_when_the_interruption_is_swallowed() -> None:
    def stubborn() -> int:
        try:
            time.sleep(0.6)
        except BaseException:  # noqa: BLE001 - the student's code swallowing it
            time.sleep(0.3)
        return 1

    with pytest.raises(pk.BudgetExceeded):
        pk.call_with_budget(stubborn, budget_s=0.2, what="stubborn")


def test_budget_outside_the_main_thread_measures_elapsed_time() -> None:
    import threading

    caught: list[BaseException] = []

    def run() -> None:
        try:
            pk.call_with_budget(time.sleep, 0.3, budget_s=0.1, what="slow")
        except BaseException as exc:  # noqa: BLE001
            caught.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    assert caught and isinstance(caught[0], pk.BudgetExceeded)


@pytest.mark.parametrize("budget", [0, -1, float("nan"), True, "5"])
def test_budget_must_be_a_positive_number(budget: object) -> None:
    with pytest.raises(ValueError, match="budget_s"):
        pk.call_with_budget(lambda: 1, budget_s=budget, what="f")  # type: ignore[arg-type]


def test_read_names_from_a_module_or_mapping() -> None:
    nb = types.ModuleType("lab1")
    nb.W_star = np.ones(3)  # type: ignore[attr-defined]
    assert pk.read_names(nb, ["W_star"], file="lab1.ipynb")["W_star"].tolist() == [1, 1, 1]
    with pytest.raises(NameError, match="lab1.ipynb defines no mse_history, b after running its code"):
        pk.read_names(nb, ["W_star", "mse_history", "b"], file="lab1.ipynb")
    assert pk.read_names({"a": 1}, ["a", "b"], file="x", required=False) == {"a": 1, "b": None}


def test_read_names_from_a_notebook_run_says_why_a_name_is_missing() -> None:
    class Run:  # the shape of the sandbox's notebook run: a namespace, and why names are missing
        namespace = {"W_star": 1}
        missing_because = {"mse_history": "cell 4 failed: NameError: name 'X' is not defined"}

    assert pk.read_names(Run(), ["W_star"], file="lab1.ipynb") == {"W_star": 1}
    with pytest.raises(NameError) as err:
        pk.read_names(Run(), ["mse_history", "b"], file="lab1.ipynb")
    assert str(err.value) == ("lab1.ipynb defines no mse_history (cell 4 failed: NameError: name 'X' is not defined), b "
                              "after running its code")
    with pytest.raises(TypeError, match="read_names reads a module, a mapping or a notebook run, got an int"):
        pk.read_names(3, ["a"], file="x")


def test_register_refuses_a_foreign_module() -> None:
    saved = sys.modules["probekit"]
    sys.modules["probekit"] = types.ModuleType("probekit")
    try:
        with pytest.raises(ImportError, match="not the grader's"):
            pk.register()
    finally:
        sys.modules["probekit"] = saved
