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

from grader.numeric.tolerances import Tolerance
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


MAX_ELEMENTS = 10_000_000
"""The most numbers one value may hold when no expected size says otherwise."""

MAX_DEPTH = 32
"""The deepest nesting of lists read as an array (numpy itself stops at 64 dimensions)."""


def size_limit(expected_size: int) -> int:
    """How many numbers a value compared with `expected_size` ones may hold before it is
    refused unread: a few times the expected size, so a slightly wrong shape still gets
    its "returned shape ..., expected ..." message, while the cost of reading a value stays
    proportional to what the check needs, whatever the student sent."""
    return min(MAX_ELEMENTS, 4 * int(expected_size) + 1024)


def _too_large_int(x: int) -> NotNumeric:
    digits = int(x.bit_length() * 0.30103) + 1
    return NotNumeric(f"an integer too large to be a number (about {digits} digits)")


def to_number(x: Any) -> float:
    """Read one number: ints, floats, numeric strings ("1.5", "-1/4", "1e-4"); not bools.
    An integer beyond float range is NotNumeric (it would overflow), never OverflowError."""
    if isinstance(x, (bool, np.bool_)) or x is None:
        raise NotNumeric(describe(x))
    if isinstance(x, (int, np.integer)):
        try:
            return float(x)
        except OverflowError:
            raise _too_large_int(int(x)) from None
    if isinstance(x, (float, np.floating)):
        return float(x)
    if isinstance(x, str):
        s = x.strip().replace("\u2212", "-")
        if len(s) > 100:  # no number is written with more characters; don't parse essays
            raise NotNumeric(describe(x))
        try:
            return float(s)
        except ValueError:
            pass
        if s.count("/") == 1:
            num, den = s.split("/")
            try:
                return float(num) / float(den)
            except (ValueError, ZeroDivisionError, OverflowError):
                pass
        if s.lower() in ("nan", "inf", "-inf", "+inf", "infinity", "-infinity"):
            return float(s)
    raise NotNumeric(describe(x))


def _nominal_shape(x: Any, depth: int) -> tuple[int, ...]:
    """The shape a nested list claims along its first items (len and [0] only: O(depth)).
    A ragged list is caught later, while its items are read against this shape."""
    dims: list[int] = []
    node = x
    while isinstance(node, (list, tuple)):
        if len(dims) >= depth:
            raise NotNumeric(f"a list nested more than {depth} levels deep")
        dims.append(len(node))
        if not node:
            return tuple(dims)
        node = node[0]
    if isinstance(node, np.ndarray):
        dims.extend(node.shape)
    return tuple(dims)


def _shown_size(n: int, shape: tuple[int, ...], what: str) -> str:
    return f"{what} of {n} numbers (shape {shape})"


def to_array(x: Any, *, limit: int = MAX_ELEMENTS, depth: int = MAX_DEPTH) -> np.ndarray:
    """Read a (nested) list of numbers, or an array, as a float64 array; ragged is refused.

    The size is checked before anything is converted: an array's from its shape, a list's
    from the shape its first items claim (a few `len` calls), and more than `limit` numbers
    is NotNumeric naming the size. Only then are the items read, each list checked against
    the claimed shape as it is met (so a ragged list stops at the first wrong row), into
    one flat list that numpy converts in one go: time and memory stay proportional to
    `limit`, never to what the student sent."""
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "biuf":
            raise NotNumeric(describe(x))
        if x.size > limit:
            raise NotNumeric(_shown_size(int(x.size), tuple(x.shape), "an array"))
        return x.astype(np.float64)
    if not isinstance(x, (list, tuple)):
        return np.asarray(to_number(x), dtype=np.float64)
    shape = _nominal_shape(x, depth)
    n = math.prod(shape)
    # the lists to walk count too: 10**7 empty rows hold no number but cost as much
    if max(n, *(math.prod(shape[:k]) for k in range(1, len(shape) + 1))) > limit:
        raise NotNumeric(_shown_size(n, shape, "a list"))
    flat: list[float] = []
    ndim = len(shape)
    stack: list[tuple[Any, int]] = [(x, 0)]
    while stack:  # depth-first, items in order; explicit stack: no recursion on odd input
        node, level = stack.pop()
        if isinstance(node, (list, tuple)):
            if level >= ndim or len(node) != shape[level]:
                raise NotNumeric("rows of different lengths")
            stack.extend((item, level + 1) for item in reversed(node))
        elif isinstance(node, np.ndarray):
            if node.dtype.kind not in "biuf" or tuple(node.shape) != shape[level:]:
                raise NotNumeric("rows of different lengths" if node.dtype.kind in "biuf" else describe(node))
            flat.extend(node.astype(np.float64).reshape(-1).tolist())
        else:
            if level != ndim:
                raise NotNumeric("rows of different lengths")
            flat.append(to_number(node))
        if len(flat) > limit:  # cannot happen for a list that matches its claimed shape
            raise NotNumeric(f"more than {limit} numbers")
    return np.array(flat, dtype=np.float64).reshape(shape)


def fmt(v: float) -> str:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return str(v)
    return f"{v:.6g}"


@dataclass
class Comparison:
    """The outcome of comparing two (possibly nested) values.

    `leaves` counts the parts that can earn credit: every floating-point value or array of
    the expected output (what the student's code computed: probes return it as float64),
    plus one failed part for every structural problem that is not already such a part
    (an extra key or list item, a label that differs). Labels the probe itself wrote into
    its output (integers such as case sizes, strings, booleans, None) must match but
    earn nothing. So `leaves_ok == leaves` exactly when the comparison is `ok`."""

    groups: list[MismatchGroup] = field(default_factory=list)  # value mismatches
    structural: list[str] = field(default_factory=list)  # type/shape/dtype/key problems
    leaves: int = 0  # number of parts compared (see above)
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

    def fail(self, message: str, parts: int = 1) -> None:
        """A structural problem that costs `parts` parts (at least one: it cannot pass)."""
        self.structural.append(message)
        self.leaves += max(parts, 1)


def _path(parent: str, key: Any) -> str:
    return f"{parent}[{key!r}]" if isinstance(key, str) else f"{parent}[{key}]"


def _keys(keys: Any, limit: int = 10) -> str:
    shown = sorted(map(str, keys))
    return str(shown[:limit])[:-1] + (f", ... {len(shown) - limit} more]" if len(shown) > limit else "]")


def is_label(exp: Any) -> bool:
    """True for an expected value that holds no floating-point number: an integer (or a
    list of them, or an integer array), a string, a boolean, None. Probes convert whatever
    the student's code returns to float64, so such values are what the probe itself wrote
    (case sizes, names): structure to match, not results to credit."""
    if exp is None or isinstance(exp, (bool, str, int, np.bool_, np.integer)):
        return True
    if isinstance(exp, np.ndarray):
        return exp.dtype.kind not in "fc"
    if isinstance(exp, (list, tuple)):
        return all(is_label(v) for v in exp)
    return False


def _is_cases(exp: Any) -> bool:
    """A list compared item by item: cases (dicts), or parts that do not stack into one
    array (a weight and a bias per step: arrays of different shapes)."""
    if not isinstance(exp, list) or not exp:
        return False
    return isinstance(exp[0], dict) or _ragged(exp)


def _ragged(exp: list[Any]) -> bool:
    if not any(isinstance(v, (list, tuple, np.ndarray)) for v in exp) or is_label(exp):
        return False
    try:
        np.asarray(exp, dtype=np.float64)
    except (ValueError, TypeError):
        return True
    return False


def count_parts(exp: Any) -> int:
    """How many parts of `exp` can earn credit (its floating-point values and arrays)."""
    if isinstance(exp, dict):
        return sum(count_parts(v) for v in exp.values())
    if _is_cases(exp):
        return sum(count_parts(v) for v in exp)
    return 0 if is_label(exp) else 1


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
    Structural problems are named from `name` (e.g. "closed_form") and the path. Every
    expected part is counted once, whether the student's value has it or not: a missing
    key, item or part is a failed part, so partial credit never exceeds what matched."""
    cmp = Comparison()
    _walk_values(got, expected, tol, path, cmp, squeeze=squeeze, nan_equal=nan_equal, name=name)
    return cmp


def _walk_values(got: Any, exp: Any, tol: Tolerance, path: str, cmp: Comparison, *, squeeze: bool, nan_equal: bool,
          name: str = "the value") -> None:
    where = f"{name}{path}" if path else f"{name}"
    if isinstance(exp, dict):
        if not isinstance(got, dict):
            cmp.fail(f"{where}: expected a mapping with keys {_keys(exp)}, got {describe(got)}", count_parts(exp))
            return
        missing = [k for k in exp if k not in got]
        if missing:
            cmp.fail(f"{where}: missing keys {_keys(missing)}", sum(count_parts(exp[k]) for k in missing))
        extra = [k for k in got if k not in exp]
        if extra:
            cmp.fail(f"{where}: unexpected keys {_keys(extra)}", len(extra))
        for k in exp:
            if k in got:
                _walk_values(got[k], exp[k], tol, _path(path, k), cmp, squeeze=squeeze, nan_equal=nan_equal, name=name)
        return
    if _is_cases(exp):
        if not isinstance(got, list):
            cmp.fail(f"{where}: expected {len(exp)} items, got {describe(got)}", count_parts(exp))
            return
        if len(got) != len(exp):
            lost = sum(count_parts(e) for e in exp[len(got):])
            cmp.fail(f"{where}: expected {len(exp)} items, got {len(got)}", lost + max(len(got) - len(exp), 0))
        for i, (g, e) in enumerate(zip(got, exp)):
            _walk_values(g, e, tol, _path(path, i), cmp, squeeze=squeeze, nan_equal=nan_equal, name=name)
        return
    if is_label(exp):
        if not _same_label(got, exp):
            cmp.fail(f"{where}: expected {_show_label(exp)}, got {_show_label(got)}")
        return
    cmp.leaves += 1
    e = np.asarray(exp)
    try:
        g = to_array(got, limit=size_limit(e.size))
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


def _same_label(got: Any, exp: Any) -> bool:
    if exp is None or isinstance(exp, (bool, str, np.bool_)):
        return type(got) is type(exp) and got == exp
    try:
        e = np.asarray(exp)
        if e.dtype.kind not in "biu" and e.size:
            return type(got) is type(exp) and got == exp  # a list mixing names and numbers
        if isinstance(got, (bool, np.bool_)) or (isinstance(got, (list, tuple)) and any(isinstance(v, bool) for v in got)):
            return False
        g = to_array(got, limit=size_limit(e.size))
    except (NotNumeric, ValueError, TypeError):
        return False
    return g.shape == e.shape and bool(np.array_equal(g, e.astype(np.float64)))


def _show_label(x: Any) -> str:
    if isinstance(x, (list, tuple)) and len(x) <= 8 and all(isinstance(v, (int, float, str)) for v in x):
        return "[" + ", ".join(describe(v) for v in x) + "]"
    return describe(x)


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
