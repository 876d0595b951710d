"""Lab 2: LeNet-5 from the scaffold and its table, against the handout's table."""

from __future__ import annotations

import torch
from torch import nn

from grader.packs import Pack

_PACK = Pack.at(__file__)
lab2 = _PACK.module("reference.lab2")
CONV = _PACK.module("support.scaffold").CONV
FC = _PACK.module("support.scaffold").FC


# The Lab 2 (b) table of ASSIGNMENT.md, as (input, output, weight shape, # Param, # MAC).
HANDOUT_TABLE = {
    "conv1": ((1, 3, 32, 32), (1, 6, 28, 28), (6, 3, 5, 5), 450, 352800),
    "conv2": ((1, 6, 14, 14), (1, 16, 10, 10), (16, 6, 5, 5), 2400, 240000),
    "fc1": ((1, 400), (1, 120), (120, 400), 48000, 48000),
    "fc2": ((1, 120), (1, 84), (84, 120), 10080, 10080),
    "fc3": ((1, 84), (1, 10), (10, 84), 840, 840),
}


def test_layer_table_equals_the_handout() -> None:
    table = lab2.layer_table()
    assert list(table) == lab2.LAYER_NAMES == list(HANDOUT_TABLE)
    for name, (inp, out, weight, params, macs) in HANDOUT_TABLE.items():
        row = table[name]
        assert row == {
            "input_shape": list(inp),
            "output_shape": list(out),
            "weight_shape": list(weight),
            "params": params,
            "macs": macs,
        }, name
        assert all(type(v) is int for v in (row["params"], row["macs"], *row["input_shape"]))


def test_params_plus_biases_are_all_parameters() -> None:
    model = lab2.LeNet5()
    table = lab2.layer_table()
    # the course's CONV has no bias; FC has one
    assert [model.conv1.bias, model.conv2.bias] == [None, None]
    biases = sum(getattr(model, name).bias.numel() for name in lab2.LAYER_NAMES if name.startswith("fc"))
    assert sum(row["params"] for row in table.values()) + biases == sum(p.numel() for p in model.parameters())


def test_macs_follow_from_the_measured_shapes() -> None:
    # MAC = output elements x (fan-in of one output element), from the table's own shapes.
    for row in lab2.layer_table().values():
        out_elements = 1
        for d in row["output_shape"]:
            out_elements *= d
        fan_in = 1
        for d in row["weight_shape"][1:]:
            fan_in *= d
        assert row["macs"] == out_elements * fan_in


def test_forward_gives_batch_by_10() -> None:
    out = lab2.LeNet5()(torch.randn(5, 3, 32, 32))
    assert out.shape == (5, 10) and torch.isfinite(out).all()


def test_built_from_the_scaffold_layers() -> None:
    model = lab2.LeNet5()
    for name in lab2.LAYER_NAMES:
        layer = getattr(model, name)
        assert isinstance(layer, CONV if name.startswith("conv") else FC), name
    plain = [n for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear)) and not isinstance(m, (CONV, FC))]
    assert plain == []
    model(torch.zeros(1, 3, 32, 32))
    assert tuple(model.conv2.input.shape) == (1, 6, 14, 14) and tuple(model.fc1.output.shape) == (1, 120)


def test_relu_after_every_layer_but_the_last() -> None:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = lab2.LeNet5()
        images = torch.randn(4, 3, 32, 32)
    seen: dict[str, torch.Tensor] = {}
    for name in lab2.LAYER_NAMES:
        getattr(model, name).register_forward_hook(lambda m, a, out, name=name: seen.__setitem__(name, a[0]))
    with torch.no_grad():
        logits = model(images)
    for name in ("conv2", "fc1", "fc2", "fc3"):  # inputs of every layer after a ReLU
        assert (seen[name] >= 0).all(), name
    assert (logits < 0).any()  # no ReLU at the end


def test_arch_describes_the_same_layers() -> None:
    model = lab2.LeNet5()
    by_name = {entry["name"]: entry for entry in lab2.LENET_ARCH if "name" in entry}
    assert list(by_name) == lab2.LAYER_NAMES
    for name, entry in by_name.items():
        layer = getattr(model, name)
        if entry["layer"] == "conv":
            assert (layer.in_channels, layer.out_channels, layer.kernel_size) == (entry["in"], entry["out"], (entry["kernel"],) * 2)
        else:
            assert (layer.in_features, layer.out_features) == (entry["in"], entry["out"])
    kinds = [entry["layer"] for entry in lab2.LENET_ARCH]
    assert kinds == ["conv", "relu", "maxpool", "conv", "relu", "maxpool", "flatten", "fc", "relu", "fc", "relu", "fc"]


def test_layer_table_leaves_the_global_rng_alone() -> None:
    state = torch.get_rng_state()
    lab2.layer_table()
    assert torch.equal(state, torch.get_rng_state())
