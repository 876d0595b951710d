"""Seeding before every call without recording a stack (issue 20): in a CPU plan, while no
accelerator is initialised, the child seeds torch's CPU generator directly instead of
through torch.manual_seed, which also queues a seed for each accelerator with the Python
stack of the call (reading its source files, in every fresh child). The generators must
end in the same state, and everything else must go through torch.manual_seed as before."""

from __future__ import annotations

import random
import traceback
from typing import Any

import numpy as np
import pytest
import torch

from grader.sandbox._child import seeding


def _draws() -> tuple[Any, ...]:
    return random.random(), float(np.random.rand()), torch.rand(3).tolist(), torch.randn(2).tolist(), torch.randint(0, 1000, (2,)).tolist()


@pytest.mark.parametrize("value", [0, 7, 2**32 - 1])
def test_the_cpu_seeder_leaves_every_generator_as_torch_manual_seed_does(value: int) -> None:
    full, cpu = seeding.seeder(), seeding.seeder("cpu")
    full(value)
    expected = _draws()
    cpu(value)
    assert _draws() == expected


def test_the_cpu_seeder_records_no_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch.manual_seed queues a seed for CUDA, XPU and MTIA with the Python stack of the
    call, whose source lines it reads: the CPU seeder does not, while none is initialised."""
    if torch.cuda.is_initialized():
        pytest.skip("CUDA is initialised in this process: seeds are not queued")
    cpu, full = seeding.seeder("cpu"), seeding.seeder()

    def no_stack(*args: Any, **kwargs: Any) -> list[str]:
        raise AssertionError("a stack was recorded")

    monkeypatch.setattr(traceback, "format_stack", no_stack)
    cpu(3)
    with pytest.raises(AssertionError, match="a stack was recorded"):
        full(3)  # what the fast path avoids


def test_the_seeder_keeps_the_functions_it_was_made_with(monkeypatch: pytest.MonkeyPatch) -> None:
    cpu = seeding.seeder("cpu")
    cpu(11)
    expected = _draws()
    monkeypatch.setattr(torch, "manual_seed", lambda value: None)
    monkeypatch.setattr(torch, "default_generator", torch.Generator())
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
    cpu(11)
    assert _draws() == expected


@pytest.mark.parametrize(("device", "initialised", "through_torch"), [("cuda", False, True), ("cpu", True, True), ("cpu", False, False), (None, False, True)])
def test_torch_manual_seed_seeds_when_an_accelerator_may_be_used(
    device: str | None, initialised: bool, through_torch: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a GPU plan, on the grader's side (no device) or once an accelerator is up, every
    seed goes through torch.manual_seed (which queues or sets the accelerators' seeds)."""
    seen: list[int] = []
    real = torch.manual_seed
    monkeypatch.setattr(torch, "manual_seed", lambda value: seen.append(value) or real(value))
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: initialised)
    seeding.seeder(device)(5)
    assert seen == ([5] if through_torch else [])
