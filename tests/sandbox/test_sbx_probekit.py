"""probekit in the sandbox (issue 16 item 2): a probes file imports `probekit` in the child
as in the grader's process, and the student's code cannot change it for the probes.

One sandbox for the module (its zygote imports torch once)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.sandbox import Limits, ProbeCall, Sandbox

PROBES = textwrap.dedent(
    '''
    import probekit as pk
    import torch
    from probekit import as_array

    PROBES = ("convert", "budget", "names", "seeded")

    def convert(ctx, *, func):
        value = pk.function(ctx, "student", func)()
        return {"value": as_array(value, func=func, expect="numbers")}

    def budget(ctx, *, func, budget_s):
        return {"value": pk.call_with_budget(pk.function(ctx, "student", func), budget_s=budget_s, what=func)}

    def seeded(ctx, *, func):
        pk.function(ctx, "student", func)()
        model = pk.seeded_instance(torch.nn.Linear, 0, 2, 2, what="Linear(2, 2)")
        return {"weight": pk.as_array(model.weight, func="Linear", expect="a weight")}

    def names(ctx, *, names):
        found = pk.read_names(ctx.module("student"), names, file="student.ipynb")
        return {n: pk.to_plain(v, func=n, expect="numbers") for n, v in found.items()}
    '''
)

STUDENT = textwrap.dedent(
    '''
    import time
    import torch

    W_star = torch.tensor([1.0, 2.0])

    def three():
        return torch.arange(3)

    def word():
        return "hello"

    def optimize():
        p = torch.nn.Parameter(torch.ones(2))
        opt = torch.optim.SGD([p], lr=0.1)
        p.grad = torch.ones(2)
        opt.step()   # the first step imports torch._dynamo, which wraps torch.manual_seed

    def slow():
        try:
            time.sleep(3)
        except BaseException:
            time.sleep(3)   # swallows the interruption and goes on
        return 1
    '''
)

TAMPER = STUDENT + textwrap.dedent(
    '''
    import sys
    kit = sys.modules["probekit"]
    kit._convert = lambda value: __import__("numpy").full(3, 42.0)  # a helper no probe names
    '''
)


@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    folder = tmp_path_factory.mktemp("probekit-probes")
    (folder / "probes.py").write_text(PROBES)
    with Sandbox(probes_file=folder / "probes.py", support_files={}, isolation="basic",
                 default_limits=Limits(wall_s=10, cpu_s=20, memory_mb=2048)) as sandbox:
        yield sandbox


def _submission(root: Path, source: str) -> Path:
    root.mkdir()
    (root / "student.py").write_text(source)
    return root


def test_probes_import_probekit_in_the_child(box: Sandbox, tmp_path: Path) -> None:
    sub = _submission(tmp_path / "s", STUDENT)
    results = box.run(sub, [ProbeCall("a", "student", "convert", {"func": "three"}),
                            ProbeCall("b", "student", "convert", {"func": "word"}),
                            ProbeCall("c", "student", "names", {"names": ["W_star"]}),
                            ProbeCall("d", "student", "names", {"names": ["W_star", "mse_history"]})])
    assert results["a"].status == "ok", results["a"].message
    assert results["a"].value["value"].tolist() == [0.0, 1.0, 2.0]
    assert results["b"].status == "error"
    assert "word returned a str, expected numbers" in results["b"].message
    assert results["c"].status == "ok" and results["c"].value["W_star"].tolist() == [1.0, 2.0]
    assert results["d"].status == "error" and "student.ipynb defines no mse_history" in results["d"].message


def test_a_budget_is_kept_even_when_the_student_swallows_the_interruption(box: Sandbox, tmp_path: Path) -> None:
    sub = _submission(tmp_path / "s", STUDENT)
    results = box.run(sub, [ProbeCall("slow", "student", "budget", {"func": "slow", "budget_s": 0.5}),
                            ProbeCall("fast", "student", "budget", {"func": "word", "budget_s": 5})])
    assert results["slow"].status == "error", results["slow"]
    assert "slow did not finish within 0.5 s" in results["slow"].message
    assert results["fast"].status == "ok" and results["fast"].value == {"value": "hello"}


def test_student_code_cannot_change_probekit_for_the_probes(box: Sandbox, tmp_path: Path) -> None:
    sub = _submission(tmp_path / "s", TAMPER)
    results = box.run(sub, [ProbeCall("a", "student", "convert", {"func": "three"})])
    # the call is reported as not graded, naming what was changed (never 42s graded as ok)
    assert results["a"].status == "error", results["a"]
    assert results["a"].value is None
    assert "not graded" in results["a"].message
    assert "probekit._convert" in results["a"].message


def test_a_library_rebinding_itself_is_not_blamed_on_the_student(box: Sandbox, tmp_path: Path) -> None:
    """torch's optimizers import torch._dynamo on their first step, which rebinds
    torch.manual_seed; probekit seeds with the function it captured when it was loaded, so
    a student who trains with torch.optim is not told their code changed the grader's."""
    sub = _submission(tmp_path / "s", STUDENT)
    results = box.run(sub, [ProbeCall("a", "student", "seeded", {"func": "optimize"})])
    assert results["a"].status == "ok", results["a"].message
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        expected = torch.nn.Linear(2, 2).weight.detach().double().numpy()
    assert (results["a"].value["weight"] == expected).all()
