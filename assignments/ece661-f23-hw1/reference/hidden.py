"""A hidden Lab 1 data set in dataset.mat's layout (X: 100 x 3 with a leading column of
ones, D: 100 x 1), for re-running a student's Lab 1 code file on data it has not seen.
Another plane than the course's (d = 0.5 - 1.5 x1 + 2 x2), seeded; never shipped."""

from __future__ import annotations

import numpy as np

_rng = np.random.default_rng(661_2023)
_x = _rng.uniform(-2.5, 2.5, size=(100, 2))
X: list[list[float]] = np.hstack([np.ones((100, 1)), _x]).tolist()
D: list[list[float]] = (0.5 - 1.5 * _x[:, :1] + 2.0 * _x[:, 1:] + _rng.normal(0, 0.01, size=(100, 1))).tolist()

DATA: dict[str, dict[str, list[list[float]]]] = {"dataset.mat": {"X": X, "D": D}}
