"""grader.diagnose on hand-built arrays: each generic relation is found, and a right or
unrelated output gets none."""

from __future__ import annotations

import numpy as np

from grader.diagnose import relate, same

RT, AT = 1e-6, 1e-12
E = np.array([3.0, 1.5, 0.9, 0.7, 0.65, 0.64])


def test_a_constant_factor():
    r = relate(0.5 * E, E, RT, AT)
    assert r is not None and r.kind == "factor" and "exactly 0.5x" in r.evidence
    assert relate((8 * E).tolist(), E, RT, AT).evidence.startswith("your values are exactly 8x")


def test_a_sign_flip():
    assert relate(-E, E, RT, AT).kind == "sign"


def test_a_transpose():
    m = np.arange(6.0).reshape(2, 3) + 1
    assert relate(m.T, m, RT, AT).kind == "transpose"
    sq = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert relate(sq.T, sq, RT, AT).kind == "transpose"


def test_transposed_arrays_beside_right_ones():
    W, b = np.arange(6.0).reshape(2, 3) + 1, np.array([1.0, 2.0])
    r = relate({"W": W.T, "b": b}, {"W": W, "b": b}, RT, AT)
    assert r is not None and r.kind == "transpose" and "1 of your 2 arrays" in r.evidence
    assert relate({"W": W.T, "b": b + 1}, {"W": W, "b": b}, RT, AT) is None  # another error too: not only a transpose


def test_a_curve_shifted_by_one():
    late = np.concatenate([[5.0], E[:-1]])
    assert relate(late, E, RT, AT).kind == "shift" and "late" in relate(late, E, RT, AT).evidence
    early = np.concatenate([E[1:], [0.6]])
    assert "early" in relate(early, E, RT, AT).evidence


def test_a_permutation():
    assert relate(E[::-1].copy(), E, RT, AT).kind == "permutation"


def test_nested_outputs_share_the_factor():
    exp = {"a": np.ones((2, 2)), "b": [np.array([1.0, 2.0])]}
    got = {"a": 3 * np.ones((2, 2)), "b": [np.array([3.0, 6.0])]}
    assert relate(got, exp, RT, AT).kind == "factor"


def test_no_relation_for_right_or_unrelated_or_odd_values():
    assert relate(E.copy(), E, RT, AT) is None
    assert relate(E + np.array([0, 0.1, 0, 0, 0, 0]), E, RT, AT) is None
    assert relate(np.zeros(6), E, RT, AT) is None  # a factor of 0 is not a mistake worth naming
    assert relate("hello", E, RT, AT) is None
    assert relate([1.0, None], E, RT, AT) is None
    assert relate(np.full(6, np.nan), E, RT, AT) is None
    assert relate(E, np.zeros(6), RT, AT) is None
    assert relate(136286, 61706, RT, AT) is None and relate([2.0, 4.0], [1.0, 2.0], RT, AT) is None  # too few values
    assert relate(np.zeros(2_000_000), np.zeros(2_000_000), RT, AT) is None  # too many values: not looked at


def test_same():
    assert same({"w": np.array([1.0, 2.0])}, {"w": np.array([1.0, 2.0 + 1e-9])}, 1e-6, 1e-9)
    assert not same({"w": np.array([1.0, 2.0])}, {"w": np.array([1.0])}, 1e-6, 1e-9)
    assert same(["conv1.bias"], ["conv1.bias"], 0, 0) and not same(["a"], ["b"], 0, 0)
    assert not same({"a": 1}, {"b": 1}, 0, 0)
