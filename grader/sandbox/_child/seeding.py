"""Seeding the random generators a probe or the student's code may draw from unseeded.

A student's LMS that shuffles with `np.random.shuffle` drew from a generator seeded by
the operating system when the zygote started, so every run of the grader gave other
numbers (two totals for one submission, 20.56 and 19.76). Before the student's module
is imported and before every probe call, the child seeds Python's `random`, numpy's
global generator and torch's (CPU, and every CUDA device, lazily: nothing initialises
CUDA; in a CPU plan, the CPU alone while no accelerator is up, see `seeder`) from the
rubric's `seed`; the same seeding runs before each reference probe in
the grader. A call's draws then depend on nothing but the seed and the call itself, not
on the calls before it in the same child, a restart, or the order a class is graded in.

Generators a student creates without a seed from OS entropy (`np.random.default_rng()`,
`random.SystemRandom`) are not covered. The hash seed of the child's interpreter is fixed
separately (PYTHONHASHSEED for the zygote), so set and dict orders of strings repeat too.

Loaded on both sides; imports only the standard library, numpy and (if present) torch.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

MAX_SEED = 2**32  # numpy's legacy seed range: 0 <= seed < 2**32


def _accelerators_idle(torch: Any) -> Callable[[], bool] | None:
    """A test of "no accelerator is initialised in this process" made of functions taken
    now, or None where torch could seed more than the CPU and these accelerators (a
    build with MPS, a registered custom backend) or lacks what it needs."""
    import importlib

    tests = []
    for name in ("cuda", "xpu", "mtia"):  # what torch.manual_seed seeds besides the CPU, on Linux
        try:
            module = importlib.import_module(f"torch.{name}")  # torch.manual_seed imports them too
        except ImportError:
            return None
        initialised = getattr(module, "is_initialized", None)
        if not callable(initialised):
            return None
        tests.append(initialised)
    backend = getattr(getattr(torch, "_C", None), "_get_privateuse1_backend_name", None)
    if getattr(torch.backends, "mps", None) is None or torch.backends.mps.is_built() or backend is None or hasattr(torch, backend()):
        return None

    def idle() -> bool:
        return not any(test() for test in tests)

    return idle


def seeder(device: str | None = None) -> Callable[[int], None]:
    """A function that seeds every generator; it holds the seeding functions themselves,
    taken now (in the child: before any student code runs), so that rebinding
    `np.random.seed` or `torch.manual_seed` later changes nothing.

    `torch.manual_seed` also queues a seed for every accelerator that is not initialised
    yet, recording the Python stack with each (which reads the source files of the
    stack's frames: in a fresh child, the largest part of seeding). With `device="cpu"`
    (a plan whose sandbox exposes no accelerator), while no accelerator is initialised,
    only the CPU generator is seeded, directly: the same state as `torch.manual_seed`
    leaves on the CPU. Once one is initialised, and on any other device (or None: the
    grader's side), every seed goes through `torch.manual_seed`, as before."""
    seed_random = random.seed
    seed_numpy = np.random.seed
    torch = sys.modules.get("torch")
    seed_torch = getattr(torch, "manual_seed", None)  # CPU and all CUDA devices (queued until CUDA starts)
    seed_cpu = getattr(getattr(torch, "default_generator", None), "manual_seed", None)
    idle = _accelerators_idle(torch) if device == "cpu" and seed_torch is not None and seed_cpu is not None else None

    def seed(value: int) -> None:
        if type(value) is not int or not 0 <= value < MAX_SEED:
            raise ValueError(f"a seed must be an int in [0, 2**32), got {value!r}")
        seed_random(value)
        seed_numpy(value)
        if idle is not None and seed_cpu is not None and idle():
            seed_cpu(value)
        elif seed_torch is not None:
            seed_torch(value)

    return seed
