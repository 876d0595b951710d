"""The plain-data codec: what may cross the sandbox boundary, and what the grader refuses."""

from __future__ import annotations

import io
import json
import math
import os

import numpy as np
import pytest

from grader.sandbox._child import codec
from grader.sandbox._parent import decode_frame


def round_trip(value: object) -> object:
    tree, arrays = codec.encode(value, max_bytes=1 << 20)
    return codec.decode(json.loads(json.dumps(tree, allow_nan=False)), arrays)


def test_plain_values_round_trip_exactly() -> None:
    value = {
        "none": None,
        "flags": [True, False],
        "int": -7,
        "big": 10**40,
        "float": 0.1,
        "nan": math.nan,
        "inf": math.inf,
        "ninf": -math.inf,
        "text": "héllo",
        "tuple": (1, (2, 3)),
        "nested": {"deeper": {"a": [1, "x", None]}},
        "tag_lookalike": {"a": 0, "d": {"f": "nan"}},
    }
    back = round_trip(value)
    assert back["tuple"] == [1, [2, 3]]
    assert math.isnan(back["nan"]) and back["inf"] == math.inf and back["ninf"] == -math.inf
    assert back["tag_lookalike"] == {"a": 0, "d": {"f": "nan"}}
    assert {k: v for k, v in back.items() if k not in ("tuple", "nan")} == {
        k: v for k, v in value.items() if k not in ("tuple", "nan")
    }


@pytest.mark.parametrize("dtype", ["bool", "int8", "uint16", "int64", "float16", "float32", "float64", "complex128", "<U5", "S3"])
def test_arrays_keep_dtype_shape_and_order(dtype: str) -> None:
    array = np.arange(12).reshape(3, 4).astype(dtype)
    fortran = np.asfortranarray(array)
    back = round_trip({"c": array, "f": fortran, "view": array[:, 1]})
    for key, expected in (("c", array), ("f", fortran), ("view", array[:, 1])):
        assert back[key].dtype == expected.dtype and back[key].shape == expected.shape
        np.testing.assert_array_equal(back[key], expected)
        assert back[key].flags.writeable


def test_numpy_scalars_keep_their_type() -> None:
    back = round_trip([np.float32(1.5), np.int64(-3), np.bool_(True)])
    assert [type(v) for v in back] == [np.float32, np.int64, np.bool_]
    assert back == [1.5, -3, True]


class FakeArray(np.ndarray):
    pass


class Sneaky:
    @property
    def __class__(self) -> type:  # type: ignore[override]
        return dict


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (object(), "object of type object"),
        (Sneaky(), "object of type Sneaky"),
        (np.zeros(2).view(FakeArray), "object of type FakeArray"),
        (np.array([object()]), "dtype object"),
        (np.zeros(2, dtype=[("a", "f8")]), "dtype"),
        ({1: "int key"}, "key of type int"),
        (type("MyDict", (dict,), {})(), "object of type MyDict"),
        (type("MyFloat", (float,), {})(1.0), "object of type MyFloat"),
        ({1, 2}, "object of type set"),
        (b"bytes", "object of type bytes"),
    ],
)
def test_anything_else_is_refused_by_name(value: object, fragment: str) -> None:
    with pytest.raises(codec.CodecError, match=fragment):
        codec.encode({"x": [value]}, max_bytes=1 << 20)


def test_cycles_and_depth_are_refused() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(codec.CodecError, match="nested more than"):
        codec.encode(loop, max_bytes=1 << 20)


def test_size_cap() -> None:
    with pytest.raises(codec.CodecError, match="more than 1000 bytes"):
        codec.encode([np.zeros(100), np.zeros(100)], max_bytes=1000)


def _npy(array: np.ndarray, *, allow_pickle: bool = False) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, array, allow_pickle=allow_pickle)
    return buf.getvalue()


class Bomb:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, ...]:
        return (os.system, (f"touch {self.marker}",))


def test_a_pickled_object_array_is_refused_without_unpickling(tmp_path: object) -> None:
    marker = f"{tmp_path}/unpickled"
    data = _npy(np.array([Bomb(marker)], dtype=object), allow_pickle=True)
    with pytest.raises(codec.CodecError, match="dtype object"):
        codec.decode({"a": 0}, [data])
    assert not os.path.exists(marker)


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"garbage", "malformed .npy header"),
        (_npy(np.zeros(4))[:-8], "promises 32 bytes but has 24"),
        (_npy(np.zeros(4)) + b"\0" * 8, "promises 32 bytes but has 40"),
        (_npy(np.zeros(4)).replace(b"(4,)", b"(5,)"), "promises 40 bytes but has 32"),
        (_npy(np.zeros(4)).replace(b"(4,)", b"(9999"), "malformed .npy header"),
        (_npy(np.zeros(2, dtype=[("a", "f8")])), "dtype"),
    ],
)
def test_lying_or_broken_arrays_are_refused(data: bytes, fragment: str) -> None:
    with pytest.raises(codec.CodecError, match=fragment):
        codec.load_npy(data)


def test_a_header_claiming_a_huge_shape_allocates_nothing() -> None:
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"
    header = header.ljust(118) + b"\n"
    data = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 16
    with pytest.raises(codec.CodecError, match="promises 800000000000 bytes but has 16"):
        codec.load_npy(data)


@pytest.mark.parametrize(
    ("tree", "fragment"),
    [
        ({"a": 1}, "array 1 of 1"),
        ({"a": True}, "array True"),
        ({"x": 1}, "unknown tag"),
        ({"d": 1}, "unknown tag"),
        ({"d": {}, "a": 0}, "malformed value tree"),
        ({"f": "NaN!"}, "unknown tag"),
        ({"s": 0}, "not 0-dimensional"),
    ],
)
def test_malformed_trees_are_refused(tree: object, fragment: str) -> None:
    with pytest.raises(codec.CodecError, match=fragment):
        codec.decode(tree, [_npy(np.zeros(3))])


def frame(header: object, arrays: tuple[bytes, ...] = ()) -> tuple[bytes, bytes]:
    if isinstance(header, dict):
        header = {**header, "arrays": [len(a) for a in arrays]}
    return json.dumps(header).encode(), b"".join(arrays)


def test_decode_frame_accepts_a_well_formed_result() -> None:
    tree, arrays = codec.encode({"w": np.ones(3)}, max_bytes=1 << 20)
    head, blob = frame({"kind": "call", "id": "c1", "status": "ok", "value": tree}, tuple(arrays))
    out = decode_frame(head, blob, kind="call", call_id="c1")
    np.testing.assert_array_equal(out["value"]["w"], np.ones(3))


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ([1, 2], "not a JSON object"),
        ({"kind": "call", "id": "other", "status": "ok", "value": 1}, "another phase"),
        ({"kind": "import", "id": "c1", "status": "ok"}, "another phase"),
        ({"kind": "call", "id": "c1", "status": "PASSED"}, "unknown status"),
        ({"kind": "call", "id": "c1", "status": "timeout"}, "unknown status"),
        ({"kind": "call", "id": "c1", "status": "ok", "message": 3}, "not a string"),
        ({"kind": "call", "id": "c1", "status": "ok", "traceback": "x"}, "not a list"),
        ({"kind": "call", "id": "c1", "status": "ok", "value": {"q": 1}}, "unknown tag"),
    ],
)
def test_decode_frame_refuses_what_a_child_may_forge(header: object, fragment: str) -> None:
    head, blob = frame(header)
    with pytest.raises(codec.CodecError, match=fragment):
        decode_frame(head, blob, kind="call", call_id="c1")


@pytest.mark.parametrize("head", [b"\xff\xfe", b"{" * 5000 + b"}" * 5000, b'{"kind": NaN}', b"[" * 100000])
def test_decode_frame_refuses_bytes_that_are_not_json(head: bytes) -> None:
    with pytest.raises(codec.CodecError):
        decode_frame(head, b"", kind="call", call_id="c1")


def test_array_lengths_must_match_the_blob() -> None:
    head = json.dumps({"kind": "call", "id": "c1", "status": "ok", "value": {"a": 0}, "arrays": [10]}).encode()
    with pytest.raises(codec.CodecError, match="add up to 10 bytes, 3 came"):
        decode_frame(head, b"abc", kind="call", call_id="c1")


def test_lone_surrogates_from_a_child_are_replaced() -> None:
    head = json.dumps(
        {"kind": "call", "id": "c1", "status": "error", "message": "bad \ud800 text", "traceback": ["x \udfff"], "arrays": []}
    ).encode()
    out = decode_frame(head, b"", kind="call", call_id="c1")
    assert out["message"] == "bad ? text" and out["traceback"] == ("x ?",)
    assert round_trip({"k\udc80": "v\ud800"}) == {"k?": "v?"}
    json.dumps(out).encode("utf-8")  # nothing left that cannot be written out
