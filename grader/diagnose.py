"""Name the mistake: relations between a student's wrong output and the reference's.

Pure functions on plain data (numbers, lists, dicts, numpy arrays): no grading state, no
I/O. `relate` finds a generic relation that explains a wrong output without any
instructor-written variant (a constant factor, a sign flip, a transpose, a curve shifted by
one step, the same values in another order); `same` says whether two outputs agree within
a tolerance (a known mistake that agrees with the reference could never be told apart).

Student values are hostile: every function bounds the number of values it looks at
(`MAX_VALUES`) and treats anything it cannot read as "no relation".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_VALUES = 1_000_000  # more numbers than this: no diagnosis (the cost stays bounded)


@dataclass(frozen=True)
class Relation:
    """A relation found: its kind ("factor", "sign", "transpose", "shift", "permutation")
    and a sentence for the student that says what was seen."""

    kind: str
    evidence: str


def _leaves(value: Any, out: list[Any], budget: list[int]) -> bool:
    """Numeric leaves of a nested value in a fixed order; False for anything else (a
    string, a None, a structure too large)."""
    if isinstance(value, dict):
        for k in sorted(value, key=str):
            if not _leaves(value[k], out, budget):
                return False
        return True
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (dict, list, tuple, np.ndarray)) \
            and not _is_numeric_list(value):
        for v in value:
            if not _leaves(v, out, budget):
                return False
        return True
    try:
        arr = np.asarray(value)
    except Exception:  # noqa: BLE001 - odd values: no relation
        return False
    if arr.dtype.kind not in "biuf" or arr.dtype == object:
        return False
    budget[0] -= arr.size
    if budget[0] < 0:
        return False
    out.append(arr.astype(np.float64))
    return True


def _is_numeric_list(value: Any) -> bool:
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except Exception:  # noqa: BLE001 - ragged lists
        return False


def leaves(value: Any) -> list[np.ndarray] | None:
    """The numeric arrays of a value (None when it holds anything else)."""
    out: list[np.ndarray] = []
    return out if _leaves(value, out, [MAX_VALUES]) else None


def _close(a: np.ndarray, b: np.ndarray, rtol: float, atol: float) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def same(a: Any, b: Any, rtol: float, atol: float) -> bool:
    """Whether two outputs agree within the tolerance: the same structure, numbers close,
    everything else equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rtol, atol) for k in a)
    la, lb = leaves(a), leaves(b)
    if la is not None and lb is not None:
        return len(la) == len(lb) and all(_close(x, y, rtol, atol) for x, y in zip(la, lb))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y, rtol, atol) for x, y in zip(a, b))
    return bool(a == b) if type(a) is type(b) else False


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def relate(actual: Any, expected: Any, rtol: float, atol: float) -> Relation | None:
    """A generic relation explaining how `actual` differs from `expected`, or None when
    they agree or none is found. Checked in order: sign flip, constant factor, transpose,
    a curve shifted by one step, the same values in another order."""
    la, le = leaves(actual), leaves(expected)
    if not la or not le or len(la) != len(le):
        return None
    if all(_close(a, e, rtol, atol) for a, e in zip(la, le)):
        return None
    if all(a.shape == e.shape for a, e in zip(la, le)):
        a = np.concatenate([x.ravel() for x in la])
        e = np.concatenate([x.ravel() for x in le])
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(e))) or not np.any(np.abs(e) > atol):
            return None
        if a.size < 3:  # any two numbers are a factor apart: too few values to name a relation
            return None
        if _close(a, -e, rtol, atol):
            return Relation("sign", "your values are the reference's with the opposite sign")
        c = float(a @ e / (e @ e))
        if c != 0.0 and _close(a, c * e, rtol, atol):
            nice = min((0.5, 2.0, 0.25, 4.0, 1 / 3, 3.0, 0.1, 10.0), key=lambda k: abs(k - abs(c)))
            if abs(abs(c) - nice) <= 1e-6 * nice:
                c = nice if c > 0 else -nice
            return Relation("factor", f"your values are exactly {_fmt(c)}x the reference's, every one of them")
    # every array that differs is the reference's transposed (e.g. dW = x delta^T for delta x^T)
    flips = [a.ndim == 2 and e.ndim == 2 and a.shape == e.shape[::-1] and _close(a, e.T, rtol, atol)
             for a, e in zip(la, le)]
    if any(flips) and all(f or _close(a, e, rtol, atol) for f, a, e in zip(flips, la, le)):
        what = "your matrix is" if len(la) == 1 else f"{sum(flips)} of your {len(la)} arrays are"
        return Relation("transpose", f"{what} the reference's transposed (rows and columns swapped)")
    if len(la) == 1:
        a, e = la[0].ravel(), le[0].ravel()
        if a.shape == e.shape and a.size >= 3:
            if _close(a[1:], e[:-1], rtol, atol):
                return Relation("shift", "your curve is the reference's one step late: your value at step k is the reference's at step k-1")
            if _close(a[:-1], e[1:], rtol, atol):
                return Relation("shift", "your curve is the reference's one step early: your value at step k is the reference's at step k+1")
        if a.shape == e.shape and a.size >= 2 and np.all(np.isfinite(a)) and np.all(np.isfinite(e)) \
                and _close(np.sort(a), np.sort(e), rtol, atol):
            return Relation("permutation", "you have the reference's values, in a different order")
    return None
