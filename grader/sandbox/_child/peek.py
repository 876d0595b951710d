"""Reading one machine word of many objects at once, without touching the objects.

The child checks, between modules and after every call, whether thousands of dicts
(every library module's and class's, the namespaces the probes depend on) changed, by
their version tags (PEP 509), and whether the probes' functions still hold their code
and defaults. The objects were made in the zygote; the child is a fork of it that shares
their memory until it writes to a page. Looping over them in Python writes their
reference counts, so each page the loop touches is copied (a page fault) in every fresh
child, and the loop itself is Python-speed: together a fifth of a child's CPU time.

`Words` reads the words through a read-only numpy view of the address range that holds
them: one gather, no reference count written, the result compared in bulk. The layout
read is CPython's (3.11 and 3.12, 64-bit), checked on a live object before it is
trusted; where it does not hold (3.13 removed dict version tags, another implementation,
a 32-bit build), `tags_work()` and `function_fields_work()` say so and the callers use
their slow path, which touches every object and gives the same answer.

The words of an object are only meaningful while it is alive (a freed object's address
can be reused): every caller keeps a reference to each object it reads.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

# PyDictObject: ob_refcnt, ob_type, ma_used, then ma_version_tag (CPython 3.11/3.12, 64-bit)
TAG_OFFSET = 24
# PyFunctionObject: ob_refcnt, ob_type, func_globals, func_builtins, func_name,
# func_qualname, then func_code, func_defaults, func_kwdefaults (CPython 3.11/3.12, 64-bit)
CODE_OFFSET, DEFAULTS_OFFSET, KWDEFAULTS_OFFSET = 48, 56, 64
_WORD = 8


class _Window:
    """A read-only numpy view of raw memory from `base`, `count` words long (only the words
    a gather names are ever read)."""

    def __init__(self, base: int, count: int) -> None:
        self.__array_interface__ = {"version": 3, "shape": (count,), "typestr": np.dtype(np.uint64).str, "data": (base, True)}


def word(address: int) -> int:
    """The 8-byte word at `address` (a single read, where a gather costs more to set up)."""
    return int(ctypes.c_uint64.from_address(address).value)


class Words:
    """The words at a fixed list of addresses (8-byte aligned), read in one gather."""

    def __init__(self, addresses: Sequence[int]) -> None:
        where = np.array(addresses, dtype=np.uint64)
        if len(where) and (where % _WORD).any():
            raise ValueError("unaligned address")
        base = int(where.min()) if len(where) else 0
        count = (int(where.max()) - base) // _WORD + 1 if len(where) else 0
        self._index = ((where - np.uint64(base)) // np.uint64(_WORD)).astype(np.intp)
        self._memory: np.ndarray[Any, np.dtype[np.uint64]] = np.asarray(_Window(base, count)) if count else np.zeros(0, np.uint64)

    def read(self) -> np.ndarray[Any, np.dtype[np.uint64]]:
        """The words now, in the order of the addresses."""
        return self._memory[self._index]


def _layout_holds() -> bool:
    return sys.implementation.name == "cpython" and sys.version_info[:2] in ((3, 11), (3, 12)) and sys.maxsize == 2**63 - 1


@functools.cache
def tags_work() -> bool:
    """Whether a dict's version tag can be read at TAG_OFFSET and changes with every
    change of the dict (CPython 3.11 and 3.12 on 64-bit builds)."""
    if not _layout_holds():
        return False
    probe: dict[str, Any] = {}
    before = word(id(probe) + TAG_OFFSET)
    probe["x"] = 1
    middle = word(id(probe) + TAG_OFFSET)
    probe["x"] = 2
    return before != middle != word(id(probe) + TAG_OFFSET)


def fast() -> bool:
    """Whether both layouts hold (computed once per process; the zygote's answer is its
    children's)."""
    return tags_work() and function_fields_work()


def dict_tags(dicts: Sequence[dict[Any, Any]]) -> Words:
    """The version tags of `dicts` (read only where `tags_work()`)."""
    return Words([id(d) + TAG_OFFSET for d in dicts])


@functools.cache
def function_fields_work() -> bool:
    """Whether a function's code, defaults and keyword defaults can be read as pointers at
    their offsets (checked on a live function; NULL reads as 0)."""
    if not _layout_holds():
        return False

    def probe(a: int = 1, *, b: int = 2) -> int:
        return a + b

    def bare() -> None:
        return None

    fields = Words([id(f) + off for f in (probe, bare) for off in (CODE_OFFSET, DEFAULTS_OFFSET, KWDEFAULTS_OFFSET)]).read().tolist()
    return bool(fields == [id(probe.__code__), id(probe.__defaults__), id(probe.__kwdefaults__), id(bare.__code__), 0, 0])
