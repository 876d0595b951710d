"""Numeric comparison with messages a student can act on.

Follows torch.testing's order (type, shape, dtype, then values) and stops at the first
structural mismatch; a value mismatch reports how many elements differ, the greatest
absolute and relative difference with the index where it occurs, the tolerance allowed,
and for small arrays an Index | Got | Expected sample. Nested outputs (dicts, lists of
cases) are walked and every failing group is reported with its path, not only the first.

Shapes are compared exactly before values: `np.allclose(np.zeros((8, 10)), np.zeros(1))`
is True by broadcasting, which must never pass here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from grader.checks.base import Tolerance
from grader.results import MismatchGroup

_FLOAT_KINDS = "fc"


class NotNumeric(ValueError):
    """A value that cannot be read as numbers; the message says what it was."""


def describe(x: Any) -> str:
    """A short, safe description of a value (never calls a student's __repr__)."""
    if x is None:
        return "None"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, (int, float)):
        return repr(x)
    if isinstance(x, str):
        s = x if len(x) <= 40 else x[:37] + "..."
        return '"' + s.replace('"', '\\"') + '"'
    if isinstance(x, np.ndarray):
        return f"an array of shape {tuple(x.shape)} ({x.dtype})"
    if isinstance(x, list):
        return f"a list of {len(x)} items"
    if isinstance(x, dict):
        return f"a mapping with keys {sorted(map(str, x))[:6]}"
    return f"a {type(x).__name__}"


def to_number(x: Any) -> float:
    """Read one number: ints, floats, numeric strings ("1.5", "-1/4", "1e-4"); not bools."""
    if isinstance(x, bool) or x is None:
        raise NotNumeric(describe(x))
    if isinstance(x, (int, float, np.integer, np.floating)):
        return float(x)
    if isinstance(x, str):
        s = x.strip().replace("\u2212", "-")
        try:
            return float(s)
        except ValueError:
            pass
        if s.count("/") == 1:
            num, den = s.split("/")
            try:
                return float(num) / float(den)
            except (ValueError, ZeroDivisionError):
                pass
        if s.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
            return float(s)
    raise NotNumeric(describe(x))


def to_array(x: Any) -> np.ndarray:
    """Read a (nested) list of numbers, or an array, as a float64 array; ragged is refused."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise NotNumeric(describe(x))
        return x.astype(np.float64)
    if isinstance(x, (list, tuple)):
        rows = [to_array(v) if isinstance(v, (list, tuple)) else np.asarray(to_number(v)) for v in x]
        if not rows:
            return np.zeros((0,), dtype=np.float64)
        shapes = {r.shape for r in rows}
        if len(shapes) != 1:
            raise NotNumeric("rows of different lengths")
        return np.stack(rows).astype(np.float64)
    return np.asarray(to_number(x), dtype=np.float64)


def fmt(v: float) -> str:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return str(v)
    return f"{v:.6g}"


@dataclass
class Comparison:
    """The outcome of comparing two (possibly nested) values."""

    groups: list[MismatchGroup] = field(default_factory=list)  # value mismatches
    structural: list[str] = field(default_factory=list)  # type/shape/dtype/key problems
    leaves: int = 0  # number of arrays compared
    leaves_ok: int = 0

    @property
    def ok(self) -> bool:
        return not self.groups and not self.structural

    def messages(self, *, name: str = "") -> list[str]:
        out = list(self.structural)
        for g in self.groups:
            where = f" at {g.path}" if g.path else ""
            pct = 100.0 * g.mismatched / max(g.total, 1)
            line = f"{name}{where}: mismatched elements {g.mismatched} / {g.total} ({pct:.1f}%)"
            if g.max_abs_diff is not None:
                line += f"; greatest absolute difference {fmt(g.max_abs_diff)} at index {tuple(g.max_abs_index or [])}"
            if g.max_rel_diff is not None:
                line += f"; greatest relative difference {fmt(g.max_rel_diff)} at index {tuple(g.max_rel_index or [])}"
            line += f" (allowed: rtol={g.rtol:g}, atol={g.atol:g})"
            out.append(line.strip())
        return out


def _path(parent: str, key: Any) -> str:
    return f"{parent}[{key!r}]" if isinstance(key, str) else f"{parent}[{key}]"


def compare_values(
    got: Any,
    expected: Any,
    tol: Tolerance,
    *,
    path: str = "",
    squeeze: bool = False,
    nan_equal: bool = True,
    name: str = "the value",
) -> Comparison:
    """Compare the student's value with the expected one, walking dicts and lists.
    Structural problems are named from `name` (e.g. "closed_form") and the path."""
    cmp = Comparison()
    _walk(got, expected, tol, path, cmp, squeeze=squeeze, nan_equal=nan_equal, name=name)
    return cmp


def _walk(got: Any, exp: Any, tol: Tolerance, path: str, cmp: Comparison, *, squeeze: bool, nan_equal: bool,
          name: str = "the value") -> None:
    where = f"{name}{path}" if path else f"{name}"
    if isinstance(exp, dict):
        if not isinstance(got, dict):
            cmp.structural.append(f"{where}: expected a mapping with keys {sorted(exp)}, got {describe(got)}")
            return
        missing = [k for k in exp if k not in got]
        if missing:
            cmp.structural.append(f"{where}: missing keys {sorted(map(str, missing))}")
        for k in exp:
            if k in got:
                _walk(got[k], exp[k], tol, _path(path, k), cmp, squeeze=squeeze, nan_equal=nan_equal, name=name)
        return
    if isinstance(exp, list) and exp and isinstance(exp[0], dict):
        if not isinstance(got, list) or len(got) != len(exp):
            cmp.structural.append(f"{where}: expected {len(exp)} items, got {describe(got)}")
            return
        for i, (g, e) in enumerate(zip(got, exp)):
            _walk(g, e, tol, _path(path, i), cmp, squeeze=squeeze, nan_equal=nan_equal, name=name)
        return
    if isinstance(exp, str) or isinstance(exp, bool) or exp is None:
        cmp.leaves += 1
        if got == exp and type(got) is type(exp):
            cmp.leaves_ok += 1
        else:
            cmp.structural.append(f"{where}: expected {describe(exp)}, got {describe(got)}")
        return
    cmp.leaves += 1
    e = np.asarray(exp)
    try:
        g = to_array(got)
    except NotNumeric as err:
        cmp.structural.append(f"{where}: expected numbers of shape {tuple(e.shape)}, got {err}")
        return
    if g.shape != e.shape:
        if squeeze and np.squeeze(g).shape == np.squeeze(e).shape:
            g = g.reshape(e.shape)
        else:
            cmp.structural.append(f"{where}: returned shape {tuple(g.shape)}, expected {tuple(e.shape)}")
            return
    group = compare_arrays(g, e.astype(np.float64), tol, path=path, nan_equal=nan_equal)
    if group is None:
        cmp.leaves_ok += 1
    else:
        cmp.groups.append(group)


def compare_arrays(
    got: np.ndarray, exp: np.ndarray, tol: Tolerance, *, path: str = "", nan_equal: bool = True
) -> MismatchGroup | None:
    """Elementwise |got - exp| <= atol + rtol * |exp|, NaN matching only NaN. Same shapes."""
    assert got.shape == exp.shape
    with np.errstate(all="ignore"):
        diff = np.abs(got - exp)
        close = diff <= tol.atol + tol.rtol * np.abs(exp)
        close |= (got == exp)  # equal infinities
        if nan_equal:
            close |= np.isnan(got) & np.isnan(exp)
        bad = ~close
    n_bad = int(bad.sum())
    if n_bad == 0:
        return None
    with np.errstate(all="ignore"):
        finite = np.where(np.isfinite(diff), diff, np.inf)
        rel = np.where(np.abs(exp) > 0, finite / np.abs(exp), np.inf)
    abs_idx = np.unravel_index(int(np.argmax(np.where(bad, finite, -1))), exp.shape) if exp.ndim else ()
    rel_idx = np.unravel_index(int(np.argmax(np.where(bad, rel, -1))), exp.shape) if exp.ndim else ()
    sample: list[tuple[str, str, str]] = []
    for idx in list(zip(*np.nonzero(bad)))[:8] if exp.ndim else [()]:
        sample.append((str(tuple(int(i) for i in idx)), fmt(float(got[idx])), fmt(float(exp[idx]))))
    max_abs = float(finite[abs_idx]) if exp.ndim else float(finite)
    max_rel = float(rel[rel_idx]) if exp.ndim else float(rel)
    return MismatchGroup(
        path=path,
        mismatched=n_bad,
        total=int(exp.size),
        max_abs_diff=None if math.isinf(max_abs) else max_abs,
        max_abs_index=[int(i) for i in abs_idx],
        max_rel_diff=None if math.isinf(max_rel) else max_rel,
        max_rel_index=[int(i) for i in rel_idx],
        rtol=tol.rtol,
        atol=tol.atol,
        sample=sample,
    )
