"""The plain-data codec: what may cross the sandbox boundary, and what the grader refuses."""

from __future__ import annotations

import io
import json
import math
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# --------------------------------------------------------------------------------------
# Forged frames: what a student who writes its own frame can make the grader decode


def _forged_npy(header: str, payload: bytes, *, version: bytes = b"\x01\x00") -> bytes:
    """An .npy file with the header text as given (numpy would never write most of these)."""
    text = header.encode("latin-1")
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY" + version + len(text).to_bytes(2, "little") + text + payload


@pytest.mark.parametrize(
    ("shape", "size"),
    [("(-2, -3)", 48), ("(-1, -1)", 8), ("(-1, 2)", 16), ("(True, 2)", 16), ("(1099511627776, 1099511627776, 0)", 0), ("(" + "1, " * 65 + ")", 8)],
)
def test_a_header_with_a_forged_shape_is_refused(shape: str, size: int) -> None:
    data = _forged_npy(f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}", b"\0" * size)
    with pytest.raises(codec.CodecError, match="shape"):
        codec.load_npy(data)


@pytest.mark.parametrize(
    "descr",
    ["'|O'", "'<M8[s]'", "'|V8'", "'<U0'", "'<U1000000000000'", "'x'", "[('a', '<f8')]", "('<f8', (2,))", "3", "None"],
)
def test_a_header_with_a_forged_dtype_is_refused(descr: str) -> None:
    data = _forged_npy(f"{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}", b"\0" * 8)
    with pytest.raises(codec.CodecError):
        codec.load_npy(data)


def test_an_array_referenced_twice_is_refused_before_it_is_copied() -> None:
    """A 7-byte reference must not buy a copy of the array: each array is decoded once."""
    arrays = [_npy(np.zeros(1000))]
    assert codec.decode([{"a": 0}], arrays)[0].nbytes == 8000
    with pytest.raises(codec.CodecError, match="array 0 more than once"):
        codec.decode([{"a": 0}] * 10, arrays)
    with pytest.raises(codec.CodecError, match="array 0 more than once"):
        codec.decode({"d": {"x": {"s": 0}, "y": {"a": 0}}}, [_npy(np.zeros(()))])


@pytest.mark.parametrize("body", [[], {}, ["nan"], 1.5, None])
def test_a_non_finite_tag_with_a_body_that_is_not_text_is_refused(body: object) -> None:
    with pytest.raises(codec.CodecError, match="unknown tag"):
        codec.decode({"f": body}, [])


def test_a_result_structure_larger_than_the_cap_is_refused_before_parsing() -> None:
    head = json.dumps({"kind": "call", "id": "c1", "status": "ok", "value": [[]] * codec.MAX_TREE_BYTES, "arrays": []})
    with pytest.raises(codec.CodecError, match="more than 2 MiB"):
        decode_frame(head.encode(), b"", kind="call", call_id="c1")


def test_a_reference_flood_in_a_frame_costs_no_more_than_its_bytes() -> None:
    """The issue's 42 MB frame, scaled down: 1 MB of array referenced from every slot of a
    2 MiB tree would decode to ~300 GB; it is refused without building any copy."""
    arrays = [_npy(np.zeros(1 << 17))]
    refs = (codec.MAX_TREE_BYTES - 200) // len('{"a": 0}, ')
    head = json.dumps({"kind": "call", "id": "c1", "status": "ok", "value": [{"a": 0}] * refs, "arrays": [len(arrays[0])]})
    with pytest.raises(codec.CodecError, match="more than once"):
        decode_frame(head.encode(), arrays[0], kind="call", call_id="c1")


# Hypothesis: random and forged frames never crash the decoder, and what it builds is
# bounded by the frame's own bytes.

_DESCRS = ["'<f8'", "'>i4'", "'|b1'", "'<c16'", "'|S3'", "'<U2'", "'|u1'", "'<f2'", "'|O'", "'|V4'", "'<U0'", "'<M8[D]'",
           "'x'", "[('a', '<f8')]", "('<f8', (2,))", "'<U99999999999'", "7"]
_dims = st.one_of(st.integers(-3, 6), st.sampled_from([2**31, 2**62, 2**63, -(2**63)]), st.booleans())


@st.composite
def _npy_bytes(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["real", "forged", "garbage", "truncated"]))
    if kind == "real":
        dtype = draw(st.sampled_from(["f8", "i2", "u1", "?", "c8", "U3", "S2", ">f4"]))
        shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
        return _npy(np.zeros(shape, dtype=dtype), allow_pickle=False)
    if kind == "garbage":
        return draw(st.binary(max_size=200))
    if kind == "truncated":
        data = _npy(np.arange(draw(st.integers(0, 20)), dtype="f8"))
        return data[: draw(st.integers(0, len(data)))]
    shape = draw(st.lists(_dims, max_size=4))
    shape_text = "(" + "".join(f"{d}, " for d in shape) + ")"
    fortran = draw(st.sampled_from(["False", "True", "1", "'no'"]))
    descr = draw(st.sampled_from(_DESCRS))
    header = f"{{'descr': {descr}, 'fortran_order': {fortran}, 'shape': {shape_text}, }}"
    return _forged_npy(header, draw(st.binary(max_size=100)), version=draw(st.sampled_from([b"\x01\x00", b"\x02\x00", b"\x03\x00", b"\x09\x09"])))


_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=5),
    st.builds(lambda i: {"a": i}, st.integers(-2, 6)),
    st.builds(lambda i: {"s": i}, st.integers(-1, 6) | st.booleans() | st.text(max_size=2)),
    st.builds(lambda b: {"f": b}, st.sampled_from(["nan", "inf", "-inf", "NaN", [], {}, 1, None])),
    st.dictionaries(st.sampled_from(["a", "s", "f", "d", "x"]), st.integers(0, 3), max_size=3),
)
_trees = st.recursive(
    _leaf,
    lambda inner: st.lists(inner, max_size=5) | st.builds(lambda d: {"d": d}, st.dictionaries(st.text(max_size=3), inner, max_size=4)),
    max_leaves=30,
)


def _decoded_bytes(value: object) -> int:
    if isinstance(value, (np.ndarray, np.generic)):
        return value.nbytes
    if isinstance(value, list):
        return sum(_decoded_bytes(v) for v in value)
    if isinstance(value, dict):
        return sum(_decoded_bytes(v) for v in value.values())
    return 0


@pytest.mark.slow  # > 10 s
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_trees, arrays=st.lists(_npy_bytes(), max_size=6))
def test_random_trees_and_arrays_never_crash_the_decoder(tree: object, arrays: list[bytes]) -> None:
    try:
        value = codec.decode(json.loads(json.dumps(tree)), arrays)
    except codec.CodecError:
        return
    # the stated bound: the arrays built take at most the bytes that came for them
    assert _decoded_bytes(value) <= sum(len(a) for a in arrays)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    header=st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda status, value, extra: json.dumps({"kind": "call", "id": "c1", "status": status, "value": value, **extra}).encode(),
            st.sampled_from(["ok", "error", "bad_output", "memory", "crashed"]),
            _trees,
            st.dictionaries(st.sampled_from(["message", "traceback", "notes", "arrays", "id", "kind"]),
                            st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=5), st.lists(st.integers(-5, 300), max_size=4)),
                            max_size=3),
        ),
    ),
    arrays=st.lists(_npy_bytes(), max_size=4),
)
def test_random_frames_never_crash_the_frame_decoder(header: bytes, arrays: list[bytes]) -> None:
    try:
        parsed = json.loads(header)
    except ValueError:
        parsed = None
    if type(parsed) is dict and "arrays" not in parsed:
        header = json.dumps({**parsed, "arrays": [len(a) for a in arrays]}).encode()
    blob = b"".join(arrays)
    try:
        out = decode_frame(header, blob, kind="call", call_id="c1")
    except codec.CodecError:
        return
    assert _decoded_bytes(out["value"]) <= len(blob)
    json.dumps({k: v for k, v in out.items() if k != "value"})


def test_any_failure_while_decoding_a_call_is_that_calls_bad_output(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever a decoder bug or a forged frame makes the decoder raise, it is the call's
    result, never an exception out of the sandbox (which failed the whole submission)."""
    from grader.sandbox import ProbeCall, Sandbox
    from grader.sandbox._parent import _ModuleRun, _Prepared
    from grader.sandbox._types import Limits

    def boom(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr("grader.sandbox._parent.decode_frame", boom)
    batch = [_Prepared(ProbeCall("c1", "lab1", "call"), Limits(), None, [])]
    outcome = _ModuleRun()
    Sandbox._on_frame(None, {"phase": 0, "out": ""}, [b"{}", b""], "lab1.py", batch, outcome, ())  # type: ignore[arg-type]
    result = outcome.results["c1"]
    assert result.status == "bad_output" and "could not be read (MemoryError)" in result.message
