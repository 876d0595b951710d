"""Default numeric tolerances, one table keyed by (dtype, device).

Grading on a GPU runs with TF32 switched off (see `grader.device`), so float32 results on
CUDA differ from the CPU's only by reduction order; the CUDA rows are a little looser to
cover that. A check that names rtol and atol overrides the table (both or neither).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    """|got - expected| <= atol + rtol * |expected|, element by element."""

    rtol: float
    atol: float


# (dtype, device) -> (rtol, atol). float64 values follow torch.testing's defaults;
# float32 on CPU as torch.testing, on CUDA looser for reduction-order differences.
TABLE: dict[tuple[str, str], Tolerance] = {
    ("float64", "cpu"): Tolerance(rtol=1e-7, atol=1e-7),
    ("float64", "cuda"): Tolerance(rtol=1e-7, atol=1e-7),
    ("float32", "cpu"): Tolerance(rtol=1.3e-6, atol=1e-5),
    ("float32", "cuda"): Tolerance(rtol=1e-5, atol=1e-5),
    ("float16", "cpu"): Tolerance(rtol=1e-3, atol=1e-5),
    ("float16", "cuda"): Tolerance(rtol=1e-3, atol=1e-5),
}


def default_tolerance(dtype: str = "float64", device: str = "cpu") -> Tolerance:
    """The table's tolerance for a dtype on a device ("cuda:0" counts as "cuda")."""
    dev = "cuda" if device.startswith("cuda") else "cpu"
    return TABLE.get((dtype, dev), TABLE[("float32", dev)])


def looser(a: Tolerance, b: Tolerance) -> Tolerance:
    return Tolerance(rtol=max(a.rtol, b.rtol), atol=max(a.atol, b.atol))
