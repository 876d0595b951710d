"""Seeding the random generators a probe or the student's code may draw from unseeded.

A student's LMS that shuffles with `np.random.shuffle` drew from a generator seeded by
the operating system when the zygote started, so every run of the grader gave other
numbers (two totals for one submission, 20.56 and 19.76). Before the student's module
is imported and before every probe call, the child seeds Python's `random`, numpy's
global generator and torch's (CPU, and every CUDA device, lazily: nothing initialises
CUDA) from the rubric's `seed`; the same seeding runs before each reference probe in
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

import numpy as np

MAX_SEED = 2**32  # numpy's legacy seed range: 0 <= seed < 2**32


def seeder() -> Callable[[int], None]:
    """A function that seeds every generator; it holds the seeding functions themselves,
    taken now (in the child: before any student code runs), so that rebinding
    `np.random.seed` or `torch.manual_seed` later changes nothing."""
    seed_random = random.seed
    seed_numpy = np.random.seed
    torch = sys.modules.get("torch")
    seed_torch = getattr(torch, "manual_seed", None)  # CPU and all CUDA devices (queued until CUDA starts)

    def seed(value: int) -> None:
        if type(value) is not int or not 0 <= value < MAX_SEED:
            raise ValueError(f"a seed must be an int in [0, 2**32), got {value!r}")
        seed_random(value)
        seed_numpy(value)
        if seed_torch is not None:
            seed_torch(value)

    return seed
