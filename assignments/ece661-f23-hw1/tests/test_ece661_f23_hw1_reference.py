"""The reference solutions against the handout's facts: every "computed" value of
HANDOUT-FACTS.md, written out here (nothing shared with the reference's code)."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest

from grader.packs import Pack

PACK = Pack.at(__file__)
lms = PACK.module("reference.lms")
problem1 = PACK.module("reference.problem1")
problem2 = PACK.module("reference.problem2")
problem3 = PACK.module("reference.problem3")
problem4 = PACK.module("reference.problem4")
lab2 = PACK.module("reference.lab2")


def test_dataset_is_the_handouts() -> None:
    data = (PACK.root / "support" / "dataset.mat").read_bytes()
    assert hashlib.md5(data).hexdigest() == "d100f40d35c0cef0742ed94e667cbe24"
    X, D = lms.load()
    assert X.shape == (100, 3) and D.shape == (100,) and np.all(X[:, 0] == 1.0)
    assert hashlib.sha256(np.ascontiguousarray(X).tobytes()).hexdigest() == \
        "56177193ea06db6e5aa9850530fbf4544a9ed9ffa9f1896aeafeb386445c3857"


def test_lab1_closed_form() -> None:
    np.testing.assert_allclose(lms.W_STAR, [1.000678096, 1.000611453, -2.000319681], atol=1e-9)
    assert lms.MSE_STAR == pytest.approx(0.00010079903131736677, rel=1e-12)


def test_lab1_lms_convention_a() -> None:
    np.testing.assert_allclose(lms.W_LMS_001, [1.00074855, 1.00082859, -2.00068123], atol=1e-8)
    assert lms.MSE_LMS_001 == pytest.approx(1.00968e-4, rel=1e-5)
    # the handout facts' table, a few epochs of each column (epoch 0 = W = 0)
    table = {0.005: {1: 2.18291, 10: 5.42839e-4, 20: 1.00799e-4}, 0.01: {1: 0.831953, 4: 2.79967e-3, 20: 1.00968e-4},
             0.05: {1: 2.6863e-4, 20: 1.03321e-4}, 0.5: {1: 1.85935e-3, 20: 1.80453e-3}, 1.0: {1: 1.24429e19, 16: 1.8979e301}}
    for r, rows in table.items():
        curve = lms.CURVES[r]
        assert len(curve) == 21 and curve[0] == pytest.approx(5.62528, rel=1e-6)
        for epoch, value in rows.items():
            assert curve[epoch] == pytest.approx(value, rel=1e-5), (r, epoch)
    assert all(np.isinf(v) for v in lms.CURVES[1.0][17:])  # r = 1 overflows from epoch 17


def test_problem1_verdicts_are_all_false() -> None:
    assert [problem1.KEY[f"q1_{i}"]["answer"] for i in range(1, 6)] == [False] * 5


def test_problem2_tables() -> None:
    assert (problem2.Q2_1_S, problem2.Q2_1_Y) == ([1, 3, 5, 7], [1, 1, 1, 1])
    assert problem2.Q2_2_S == [3, 1, 1, -1] and problem2.NAND_Y == [1, 1, 1, -1]
    assert problem2.Q2_3_S == [-3, -1, -1, 1, -1, 1, 1, 3] and problem2.MAJORITY_Y == [-1, -1, -1, 1, -1, 1, 1, 1]
    assert problem2.Q2_4_H == [[1, 1], [1, -1], [-1, 1], [1, 1]]
    assert problem2.Q2_4_S == [-1, 1, 1, -1] and problem2.XOR_Y == [-1, 1, 1, -1]


def test_problem2_any_valid_nand_weights_pass_the_handouts_inequalities() -> None:
    """The handout's validity test for 2.2, against the reference's adaline() on a grid."""
    for w in itertools.product((-2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2), repeat=3):
        w0, w1, w2 = w
        valid = w0 - w1 - w2 > 0 and w0 - w1 + w2 > 0 and w0 + w1 - w2 > 0 and w0 + w1 + w2 < 0
        try:
            realizes = problem2.adaline(list(w), problem2.ROWS2)[1] == problem2.NAND_Y
        except ValueError:  # s = 0 on some row: Sign(0) is undefined
            realizes = False
        assert realizes == valid, w


def test_problem3_numeric_instance() -> None:
    q = problem3.Q3_2
    assert q["L"] == 14.5
    assert q["db2"] == [-2, -5] and q["dW2"] == [[-4, -4], [-10, -10]]
    assert q["db1"] == [13, -1] and q["dW1"] == [[0, 13, 26], [0, -1, -2]]


def test_problem4_output() -> None:
    expected = [
        [0.0, 1.0, -0.5, 1.0, 0.0, -1.0, 0.5, -1.0, 0.0],
        [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0, -1.0],
        [-0.5, 1.0, 1.0, 0.5, 0.0, -0.5, -1.0, -1.0, 0.5],
        [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0, 0.0, -1.0],
        [0.0, 1.0, -0.5, 1.0, 0.0, -1.0, 0.5, -1.0, 0.0],
    ]
    assert problem4.Q4_1 == expected


def test_lab2_table_is_table_2() -> None:
    rows = {
        "conv1": ([1, 3, 32, 32], [1, 16, 32, 32], [16, 3, 5, 5], 1200, 1228800),
        "conv2": ([1, 16, 15, 15], [1, 16, 17, 17], [16, 16, 3, 3], 2304, 665856),
        "conv3": ([1, 16, 8, 8], [1, 32, 6, 6], [32, 16, 7, 7], 25088, 903168),
        "fc1": ([1, 288], [1, 32], [32, 288], 9216, 9216),
        "fc2": ([1, 32], [1, 10], [10, 32], 320, 320),
    }
    assert list(lab2.TABLE) == list(rows)
    for name, (i, o, w, p, m) in rows.items():
        assert lab2.TABLE[name] == {"input_shape": i, "output_shape": o, "weight_shape": w, "params": p, "macs": m}
    assert sum(r["params"] for r in lab2.TABLE.values()) == 38128
    assert sum(r["macs"] for r in lab2.TABLE.values()) == 2807360
