"""The HW2 reference against PyTorch (fast, in-process): what the rubric's expected values
rest on. Also: every known mistake differs from the reference on the rubric's inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import yaml

from grader.packs import Pack

PACK = Pack.at(__file__)
handcalc = PACK.module("reference.handcalc")
batchnorm = PACK.module("reference.batchnorm")
conv = PACK.module("reference.conv")
model = PACK.module("reference.model")
optim = PACK.module("reference.optim")
train = PACK.module("reference.train")
probes = PACK.module("probes")
mistakes = PACK.module("mistakes")
RUBRIC = yaml.safe_load((PACK.root / "rubric.yaml").read_text())


def _args(question: str, check: str, key: str = "args") -> dict:
    q = next(q for q in RUBRIC["questions"] if q["id"] == question)
    return next(c for c in q["checks"] if c["id"] == check)[key]


def test_hand_calculation_is_batch_norm() -> None:
    x = torch.tensor(handcalc.X, dtype=torch.float64)
    expected = F.batch_norm(x, None, None, training=True, eps=handcalc.EPS)
    assert np.allclose(handcalc.NORMALIZED, expected.numpy(), rtol=0, atol=1e-12)
    # unbiased variance gives other numbers far beyond the answer's tolerance (1e-3) in 10 of 12 cells
    unbiased = (x - x.mean(0)) / torch.sqrt(x.var(0, unbiased=True) + handcalc.EPS)
    assert int((abs(unbiased - expected) > 1e-3).sum()) == 10


@pytest.mark.parametrize(("n", "d", "eps"), [(4, 3, 1e-5), (2, 7, 1e-5), (64, 12, 1e-3), (3, 1, 1e-5)])
def test_batchnorm_matches_autograd(n: int, d: int, eps: float) -> None:
    inputs = probes.bn_case_inputs({"n": n, "d": d}, probes.pk.generator(n * 100 + d))
    out, cache = batchnorm.batchnorm_forward(inputs["x"], inputs["gamma"], inputs["beta"], eps)
    x = inputs["x"].clone().requires_grad_(True)
    gamma = inputs["gamma"].clone().requires_grad_(True)
    beta = inputs["beta"].clone().requires_grad_(True)
    expected = F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)
    assert torch.allclose(out, expected, rtol=1e-10, atol=1e-12)
    grads = torch.autograd.grad((expected * inputs["dout"]).sum(), (x, gamma, beta))
    for got, want in zip(batchnorm.batchnorm_backward(inputs["dout"], cache), grads):
        assert torch.allclose(got, want, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("check", ["code", "vs_torch"])
def test_conv_matches_f_conv2d_on_the_rubric_cases(check: str) -> None:
    args = _args("problem3.conv", check)
    gen = probes.pk.generator(args["seed"])
    for case in args["cases"]:
        assert (case["stride"], case["padding"]) == (2, 1)
        inputs = probes.conv_case_inputs(case, gen)
        got = conv.conv2d_naive(inputs["x"], inputs["w"], inputs["b"], stride=2, padding=1)
        want = F.conv2d(inputs["x"], inputs["w"], inputs["b"], stride=2, padding=1)
        assert got.shape == want.shape and torch.allclose(got, want, rtol=1e-10, atol=1e-12)


def test_simple_cnn() -> None:
    net = model.SimpleCNN().eval()
    assert net(torch.zeros(3, 3, 32, 32)).shape == (3, 10)
    # conv1 16*3*9+16, bn1 2*16, conv2 32*16*9+32, bn2 2*32, fc 10*2048+10
    assert model.PARAM_COUNT == 448 + 32 + 4640 + 64 + 20490 == 25674


@pytest.mark.parametrize("key", ["args", "public_args"])
def test_sgd_matches_torch_optim_sgd(key: str) -> None:
    args = _args("problem5.sgd", "code", key)
    params, grads = probes.sgd_inputs(args["shapes"], args["steps"], args["seed"])
    ours = [p.clone() for p in params]
    velocities = [torch.zeros_like(p) for p in ours]
    theirs = [p.clone().requires_grad_(True) for p in params]
    opt = torch.optim.SGD(theirs, lr=args["lr"], momentum=args["momentum"], weight_decay=args["weight_decay"])
    for step in grads:
        optim.sgd_momentum_step(ours, step, velocities, args["lr"], args["momentum"], args["weight_decay"])
        for p, g in zip(theirs, step):
            p.grad = g.clone()
        opt.step()
        for a, b in zip(ours, theirs):
            assert torch.allclose(a, b.detach(), rtol=1e-12, atol=1e-14)


def test_reference_training_brings_the_loss_down(ref_ctx) -> None:
    args = _args("problem6.train", "loss_goes_down")
    out = probes.train_epoch(ref_ctx, **args)
    derived = PACK.module("oracles").training_loss(out, args)
    assert derived["decreased"] and derived["reported_numbers"]
    assert derived["losses"][-1] < 0.5 * derived["losses"][0]


def test_plain_sgd_is_torch_sgd_without_momentum() -> None:
    torch.manual_seed(0)
    a = torch.nn.Linear(3, 2)
    b = torch.nn.Linear(3, 2)
    b.load_state_dict(a.state_dict())
    ours, theirs = probes.PlainSGD(a.parameters(), 0.1), torch.optim.SGD(b.parameters(), lr=0.1)
    x = torch.randn(5, 3)
    for net, opt in ((a, ours), (b, theirs)):
        for _ in range(3):
            opt.zero_grad()
            net(x).pow(2).sum().backward()
            opt.step()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize(
    ("name", "question", "check"),
    [
        ("bn_unbiased_variance", "problem2.forward", "code"),
        ("bn_eps_outside_sqrt", "problem2.forward", "code"),
        ("conv_no_padding", "problem3.conv", "code"),
        ("conv_stride_ignored", "problem3.conv", "code"),
        ("sgd_decay_after_momentum", "problem5.sgd", "code"),
        ("sgd_no_weight_decay", "problem5.sgd", "code"),
    ],
)
def test_each_mistake_differs_from_the_reference(ref_ctx, name: str, question: str, check: str) -> None:
    from grader.mistakes import Mistake, MistakeContext

    entry = mistakes.MISTAKES[name]
    probe = {"problem2.forward": probes.bn_forward, "problem3.conv": probes.conv, "problem5.sgd": probes.sgd_steps}[question]
    args = _args(question, check)
    right = probe(ref_ctx, **args)
    wrong = probe(MistakeContext(ref_ctx, Mistake(name, entry["explain"], entry["replace"], None)), **args)

    def leaves(x):
        if isinstance(x, dict):
            return [v for k in sorted(x) for v in leaves(x[k])]
        if isinstance(x, list):
            return [v for item in x for v in leaves(item)]
        return [x] if isinstance(x, np.ndarray) else []

    assert any(a.shape != b.shape or not np.allclose(a, b, rtol=1e-6, atol=1e-8) for a, b in zip(leaves(right), leaves(wrong)))
