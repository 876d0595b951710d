"""Plain data across the sandbox boundary: a tagged JSON tree plus raw `.npy` arrays.

Nothing here can execute code on decoding: there is no pickle anywhere. A value is
None, bool, int, float, str, a list or tuple of values (a tuple comes back as a list), a
dict with str keys, a numpy array of booleans, numbers or fixed-width strings, or a numpy
scalar of those kinds. The tree is JSON in which only lists and scalars stand for
themselves; every JSON object is a one-key tag:

    {"d": {...}}         a dict
    {"a": 3}             numpy array number 3 (its .npy bytes travel after the JSON)
    {"s": 3}             a numpy scalar (a 0-d array number 3)
    {"f": "nan"}         a non-finite float ("nan", "inf" or "-inf")

so a student's dict that happens to look like a tag stays a dict. Encoding checks exact
types (`type(x) is dict`, never `isinstance`), so it never calls a method of an object
the student made: a subclass with a lying `__eq__`, `__iter__` or `__array__` is refused,
not converted. Decoding (in the grader) trusts nothing: JSON types, tags, indexes,
nesting depth, array headers, dtypes and byte counts are all checked before an array is
built from the bytes.

This module is loaded on both sides (the zygote's children encode results and decode
arguments; the grader encodes arguments and decodes results), so it imports only the
standard library and numpy.
"""

from __future__ import annotations

import io
import json
import math
import socket
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

MAX_DEPTH = 100
# The JSON part of a result frame. Parsing JSON costs up to ~25 bytes of memory per byte
# ("[[],[],...]"), so this bounds that cost (~50 MB); a probe's numbers travel as arrays.
MAX_TREE_BYTES = 2 << 20
_MAX_DIMS = 32  # numpy's limit is 64; no result of a course needs more than a handful
_MAX_ELEMENTS = 1 << 62
_ARRAY_KINDS = frozenset("biufcUS")  # bool, int, uint, float, complex, str, bytes
_SCALAR_TYPES = frozenset(
    t for t in set(np.sctypeDict.values()) if issubclass(t, np.generic) and np.dtype(t).kind in _ARRAY_KINDS
)
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}

# A frame from a child to its supervisor: magic, the run's nonce, header length, blob length.
FRAME_PREFIX = struct.Struct("<4s16sQQ")
FRAME_MAGIC = b"SBXF"
# A message between a supervisor and the grader: the length of its JSON part.
MESSAGE_PREFIX = struct.Struct("<I")


class CodecError(ValueError):
    """A value that is not plain data, or bytes that do not decode to plain data."""


def type_name(value: object) -> str:
    """The name of `value`'s class, without running anything the class defines."""
    cls = type(value)
    try:
        name = type.__dict__["__qualname__"].__get__(cls, type)
    except Exception:  # noqa: BLE001 - a class can make even this fail; the message must not
        return "object"
    return name if type(name) is str else "object"


# --------------------------------------------------------------------------------------
# Encoding (either side: it only ever sees values it was handed)


def encode(value: object, *, max_bytes: int) -> tuple[Any, list[bytes]]:
    """The tagged JSON tree of `value` and the `.npy` bytes of its arrays, in tag order.

    Raises CodecError naming what is not plain data, or when the arrays take more than
    `max_bytes` bytes.
    """
    arrays: list[bytes] = []
    total = 0

    def add(array: np.ndarray) -> int:
        nonlocal total
        dtype = array.dtype
        if dtype.kind not in _ARRAY_KINDS or dtype.hasobject or dtype.fields is not None or dtype.itemsize == 0:
            raise CodecError(f"a numpy array of dtype {dtype} (only booleans, numbers and strings travel)")
        if total + array.nbytes > max_bytes:
            raise CodecError(f"arrays of more than {max_bytes} bytes in all")
        buf = io.BytesIO()
        np.lib.format.write_array(buf, array, allow_pickle=False)
        data = buf.getvalue()
        total += len(data)
        if total > max_bytes:
            raise CodecError(f"arrays of more than {max_bytes} bytes in all")
        arrays.append(data)
        return len(arrays) - 1

    def walk(item: object, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise CodecError(f"a value nested more than {MAX_DEPTH} levels deep")
        kind = type(item)
        if item is None or kind is bool or kind is str or kind is int:
            return item
        if kind is float:
            if math.isfinite(item):  # type: ignore[arg-type]
                return item
            return {"f": "nan" if item != item else ("inf" if item > 0 else "-inf")}  # type: ignore[operator]
        if kind is list or kind is tuple:
            return [walk(part, depth + 1) for part in item]  # type: ignore[attr-defined]
        if kind is dict:
            out: dict[str, Any] = {}
            for key, part in item.items():  # type: ignore[attr-defined]
                if type(key) is not str:
                    raise CodecError(f"a dict with a key of type {type_name(key)} (keys must be str)")
                out[key] = walk(part, depth + 1)
            return {"d": out}
        if kind is np.ndarray:
            return {"a": add(item)}  # type: ignore[arg-type]
        if kind in _SCALAR_TYPES:
            return {"s": add(np.asarray(item))}
        raise CodecError(f"an object of type {type_name(item)}, which is not plain data")

    return walk(value, 0), arrays


# --------------------------------------------------------------------------------------
# Decoding (the grader's side: everything is untrusted)


def _reject_constant(name: str) -> Any:
    raise CodecError(f"the non-standard JSON constant {name}")


def loads_json(data: bytes) -> Any:
    """Parse untrusted JSON bytes; only standard JSON (no NaN/Infinity literals)."""
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except CodecError:
        raise
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        raise CodecError(f"malformed JSON ({type(exc).__name__})") from None


def split_blob(blob: bytes, lengths: object) -> list[bytes]:
    """Cut `blob` into pieces of the given lengths, which must add up exactly."""
    if type(lengths) is not list or any(type(n) is not int or n < 0 for n in lengths):
        raise CodecError("malformed array lengths")
    if sum(lengths) != len(blob):
        raise CodecError(f"array lengths add up to {sum(lengths)} bytes, {len(blob)} came")
    pieces, start = [], 0
    for n in lengths:
        pieces.append(blob[start : start + n])
        start += n
    return pieces


def _checked_shape(shape: object) -> tuple[int, ...]:
    """`shape` if it is one numpy could build from the header's count: plain non-negative
    ints (no bools, no -1 wildcards), at most 32 dimensions, an element count that fits."""
    if type(shape) is not tuple or len(shape) > _MAX_DIMS or any(type(d) is not int or d < 0 for d in shape):
        raise CodecError(f"an array header with an impossible shape {_short(shape)}")
    if math.prod(d for d in shape if d) >= _MAX_ELEMENTS:  # numpy refuses such shapes even when empty
        raise CodecError(f"an array header with an impossible shape {_short(shape)}")
    return shape


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def load_npy(data: bytes) -> np.ndarray:
    """An array from `.npy` bytes, refusing pickles, objects, structs and size lies; the
    header's shape and dtype are checked against the bytes before anything is allocated,
    and the array built takes exactly the bytes that came for it."""
    fp = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise CodecError(f"an .npy file of unsupported version {version}")
    except CodecError:
        raise
    except Exception as exc:  # noqa: BLE001 - numpy's header parser raises many kinds on hostile bytes
        raise CodecError(f"a malformed .npy header ({type(exc).__name__})") from None
    if (
        dtype.hasobject
        or dtype.fields is not None
        or dtype.subdtype is not None
        or dtype.kind not in _ARRAY_KINDS
        or dtype.itemsize == 0
    ):
        raise CodecError(f"an array of dtype {dtype} (only booleans, numbers and strings are accepted)")
    if type(fortran) is not bool:
        raise CodecError("an array header with a malformed fortran_order")
    shape = _checked_shape(shape)
    count = math.prod(shape)
    offset = fp.tell()
    if count * dtype.itemsize != len(data) - offset:
        raise CodecError(f"an array whose header promises {count * dtype.itemsize} bytes but has {len(data) - offset}")
    try:
        flat = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
        return flat.reshape(shape, order="F" if fortran else "C").copy()
    except (ValueError, TypeError) as exc:  # anything numpy still refuses is the sender's fault
        raise CodecError(f"an array that numpy cannot build ({type(exc).__name__})") from None


def clean_text(text: str) -> str:
    """`text` with lone surrogates (valid in JSON escapes, not in UTF-8) replaced, so
    that nothing downstream fails to encode what a child sent."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def decode(tree: Any, arrays: Sequence[bytes]) -> Any:
    """The value of a tagged tree (freshly parsed JSON, which this consumes: lists and
    dicts are reused in place) whose arrays are `arrays`.

    What it builds is bounded by the bytes it was given: each array may be referenced
    once (a second reference is refused before anything is copied), so the arrays built
    take at most `sum(len(a) for a in arrays)` bytes, and the tree itself is no larger
    than the parsed JSON (see MAX_TREE_BYTES for the frame's JSON part)."""
    used: set[int] = set()

    def array(index: object) -> np.ndarray:
        if type(index) is not int or not 0 <= index < len(arrays):
            raise CodecError(f"a reference to array {_short(index)} of {len(arrays)}")
        if index in used:
            raise CodecError(f"a value tree that refers to array {index} more than once")
        used.add(index)
        return load_npy(arrays[index])

    def walk(node: Any, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise CodecError(f"a value nested more than {MAX_DEPTH} levels deep")
        kind = type(node)
        if node is None or kind is bool or kind is int or kind is float:
            return node
        if kind is str:
            return clean_text(node)
        if kind is list:
            for i, part in enumerate(node):
                node[i] = walk(part, depth + 1)
            return node
        if kind is not dict or len(node) != 1:
            raise CodecError("a malformed value tree")
        ((tag, body),) = node.items()
        if tag == "d" and type(body) is dict:
            if any(clean_text(key) is not key for key in body):
                return {clean_text(key): walk(part, depth + 1) for key, part in body.items()}
            for key, part in body.items():
                body[key] = walk(part, depth + 1)
            return body
        if tag == "a":
            return array(body)
        if tag == "s":
            scalar = array(body)
            if scalar.shape != ():
                raise CodecError("a numpy scalar that is not 0-dimensional")
            return scalar[()]
        if tag == "f" and type(body) is str and body in _NONFINITE:
            return _NONFINITE[body]
        raise CodecError(f"an unknown tag {_short(tag)} in the value tree")

    return walk(tree, 0)


# --------------------------------------------------------------------------------------
# Messages: a JSON header plus raw attachments whose lengths the header lists


def pack_message(header: dict[str, Any], *attachments: bytes) -> bytes:
    """`header` (with the attachments' lengths added) as length-prefixed JSON, then the
    attachments' bytes."""
    body = json.dumps({**header, "attach": [len(a) for a in attachments]}, allow_nan=False).encode()
    return MESSAGE_PREFIX.pack(len(body)) + body + b"".join(attachments)


def recv_message(sock: socket.socket, *, max_bytes: int) -> tuple[dict[str, Any], list[bytes]]:
    """One message from a trusted peer: its JSON header and its attachments. Raises
    EOFError when the peer closed the connection first, ValueError on a malformed one."""

    def exactly(n: int) -> bytes:
        chunks, need = [], n
        while need:
            chunk = sock.recv(min(need, 1 << 20))
            if not chunk:
                raise EOFError("the connection closed")
            chunks.append(chunk)
            need -= len(chunk)
        return b"".join(chunks)

    (size,) = MESSAGE_PREFIX.unpack(exactly(MESSAGE_PREFIX.size))
    if size > max_bytes:
        raise ValueError(f"a message of {size} bytes")
    header = json.loads(exactly(size))
    lengths = header.pop("attach", [])
    if sum(lengths) > max_bytes:
        raise ValueError(f"attachments of {sum(lengths)} bytes")
    return header, [exactly(n) for n in lengths]
