"""Remembering what an oracle derived from a student's output, for the next identical one.

An oracle (a pack's ``oracles.py``) derives what is graded from a probe's plain output in
the grader's process: HW1's ``lab3_zero_init`` runs a float64 forward and backward pass of
the student's network, about 7 ms per submission. In a class most outputs repeat (every
correct zero_init gives the same all-zero parameters), so the class's grader keeps the
last results by a digest of exactly what the oracle was given: the oracle's name, the
probe call, and the output's types and bytes (an int is not a float, a list not a tuple,
an array's dtype and shape count). Oracles are pure functions of that input by contract
(they are the trusted, deterministic half of a check), so a hit is the value the oracle
would compute; it is handed out as a deep copy, so no check can change what the next
submission gets. Outputs that are not plain data are never remembered, nor are failures.

Bounded: at most `max_entries` results and `max_bytes` of their arrays, the least
recently used dropped first. Thread-safe (class mode's workers share one grader).
"""

from __future__ import annotations

import copy
import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["OracleMemo", "plain_digest"]


class _NotPlain(Exception):
    pass


def plain_digest(value: Any) -> str | None:
    """A SHA-256 of plain data (None, bool, int, float, str, bytes, lists, tuples, dicts,
    numpy arrays of a non-object dtype and numpy scalars), exact to the type and the bit;
    None for anything else."""
    h = hashlib.sha256()
    try:
        _feed(h, value, 0)
    except _NotPlain:
        return None
    return h.hexdigest()


def _feed(h: Any, value: Any, depth: int) -> None:
    import numpy as np

    if depth > 64:
        raise _NotPlain
    t = type(value)
    if value is None:
        h.update(b"N")
    elif t is bool:
        h.update(b"T" if value else b"F")
    elif t is int:
        data = str(value).encode()
        h.update(b"i" + len(data).to_bytes(8, "big") + data)
    elif t is float:
        h.update(b"f" + (b"nan" if math.isnan(value) else value.hex().encode()) + b";")
    elif t is str:
        data = value.encode("utf-8", "surrogatepass")
        h.update(b"s" + len(data).to_bytes(8, "big") + data)
    elif t is bytes:
        h.update(b"b" + len(value).to_bytes(8, "big") + value)
    elif t is list or t is tuple:
        h.update((b"l" if t is list else b"t") + len(value).to_bytes(8, "big"))
        for item in value:
            _feed(h, item, depth + 1)
    elif t is dict:
        h.update(b"d" + len(value).to_bytes(8, "big"))
        for k, v in value.items():  # insertion order counts: an oracle may read it
            _feed(h, k, depth + 1)
            _feed(h, v, depth + 1)
    elif t is np.ndarray:
        if value.dtype.hasobject:
            raise _NotPlain
        meta = f"{value.dtype.str}{value.shape}".encode()
        h.update(b"a" + len(meta).to_bytes(8, "big") + meta)
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, np.generic) and not isinstance(value, np.object_):
        meta = value.dtype.str.encode()
        h.update(b"g" + len(meta).to_bytes(8, "big") + meta + value.tobytes())
    else:
        raise _NotPlain


def _nbytes(value: Any, depth: int = 0) -> int:
    """Roughly what a remembered result holds (its arrays' bytes, and a little per item)."""
    import numpy as np

    if depth > 64:
        return 0
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, dict):
        return 64 + sum(_nbytes(k, depth + 1) + _nbytes(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return 64 + sum(_nbytes(v, depth + 1) for v in value)
    if isinstance(value, (str, bytes)):
        return 64 + len(value)
    return 32


class OracleMemo:
    """The last results of oracles, by a digest of their input (see the module docstring)."""

    def __init__(self, *, max_entries: int = 256, max_bytes: int = 64 << 20) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[Any, int]] = OrderedDict()
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def call(self, name: str, call_id: str, oracle: Callable[[Any, Any], Any], output: Any, args: Any) -> Any:
        """`oracle(output, args)`, or a copy of what it gave for the same input before.
        Exceptions pass through and are not remembered."""
        digest = plain_digest(output)
        if digest is None:
            return oracle(output, args)
        key = f"{name}\0{call_id}\0{digest}"
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return copy.deepcopy(found[0])
            self.misses += 1
        value = oracle(output, args)
        if plain_digest(value) is None:  # e.g. a tensor: not data this memo can vouch for
            return value
        size = _nbytes(value)
        if size <= self.max_bytes:
            with self._lock:
                if key not in self._items:
                    self._items[key] = (copy.deepcopy(value), size)
                    self._bytes += size
                while self._items and (len(self._items) > self.max_entries or self._bytes > self.max_bytes):
                    _, (_, dropped) = self._items.popitem(last=False)
                    self._bytes -= dropped
        return value
