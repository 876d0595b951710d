"""Lab 1: the closed form against numpy.linalg.lstsq, LMS against a plain-Python LMS
written here, and the handout's figures on lab1.csv."""

from __future__ import annotations

import csv
import hashlib
import math
import pathlib
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.packs import Pack

_PACK = Pack.at(__file__)
lab1 = _PACK.module("reference.lab1")


SHARED_CSV = pathlib.Path("/work/shared/hw1/data/lab1.csv")
# sha256 of the course's lab1.csv as handed out (for checkouts without /work/shared).
LAB1_CSV_SHA256 = "96b3be11596a5a0df46f48c5397049318856489d52917d137e7611426d0fc7b4"


def read_csv(path: pathlib.Path) -> tuple[list[list[float]], list[float]]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return [[float(r["x1"]), float(r["x2"])] for r in rows], [float(r["y"]) for r in rows]


def plain_lms(X: list[list[float]], y: list[float], lr: float, epochs: int) -> tuple[list[float], list[float]]:
    """Online LMS in plain Python floats (overflow gives inf/nan silently for * and +)."""
    w = [0.0, 0.0, 0.0]
    history = []
    for _ in range(epochs):
        for (x1, x2), target in zip(X, y):
            a = (x1, x2, 1.0)
            err = target - (w[0] * a[0] + w[1] * a[1] + w[2] * a[2])
            w = [wi + lr * err * ai for wi, ai in zip(w, a)]
        sq = [(w[0] * x1 + w[1] * x2 + w[2] - t) for (x1, x2), t in zip(X, y)]
        history.append(sum(e * e for e in sq) / len(sq))
    return w, history


def diverged(history) -> bool:
    """The grader's rule: non-finite, or beyond 1e6 times its first value, by the last epoch."""
    last, first = history[-1], history[0]
    return not math.isfinite(last) or last > 1e6 * first


@pytest.fixture(scope="module")
def course() -> tuple[list[list[float]], list[float]]:
    return read_csv(lab1.DATA_PATH)


def test_packaged_csv_is_the_course_file() -> None:
    data = lab1.DATA_PATH.read_bytes()
    assert hashlib.sha256(data).hexdigest() == LAB1_CSV_SHA256
    if SHARED_CSV.exists():
        assert data == SHARED_CSV.read_bytes()


def test_load_data_reads_the_packaged_csv(course) -> None:
    X, y = lab1.load_data()
    assert X.shape == (100, 2) and y.shape == (100,) and X.dtype == y.dtype == np.float64
    assert X.tolist() == course[0] and y.tolist() == course[1]


def test_load_data_rejects_a_wrong_header(tmp_path: pathlib.Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ValueError, match="x1,x2,y"):
        lab1.load_data(bad)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(5, 60),
    seed=st.integers(0, 2**32 - 1),
    scale1=st.sampled_from([1e-2, 1.0, 10.0, 1e3]),
    scale2=st.sampled_from([1e-2, 1.0, 10.0, 1e3]),
    noise=st.sampled_from([0.0, 0.01, 1.0]),
)
def test_closed_form_equals_lstsq(rows: int, seed: int, scale1: float, scale2: float, noise: float) -> None:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(rows, 2)) * [scale1, scale2]
    true_w = rng.normal(size=3) * 3
    y = X @ true_w[:2] + true_w[2] + noise * rng.normal(size=rows)
    X_in, y_in = X.copy(), y.copy()
    w = lab1.closed_form(X_in, y_in)
    assert np.array_equal(X_in, X) and np.array_equal(y_in, y), "inputs were modified"
    A = np.column_stack([X, np.ones(rows)])
    expected = np.linalg.lstsq(A, y, rcond=None)[0]
    assert w.shape == (3,)
    # Normwise, as the perturbation bound of least squares is: |dw| <~ cond(A) eps |w|.
    # (Componentwise fails for a tiny w_i beside large ones, whichever solver is right.)
    allowed = (1e-12 + 1e-13 * np.linalg.cond(A)) * np.linalg.norm(expected)
    assert np.linalg.norm(w - expected) <= allowed, (w, expected)
    np.testing.assert_allclose(A @ w, A @ expected, rtol=0, atol=1e-11 * np.linalg.norm(y))
    # (with noise 0 both MSEs are rounding noise, hence an atol relative to mean(y^2))
    assert np.isclose(lab1.mse(X, y, w), np.mean((A @ expected - y) ** 2), rtol=1e-9, atol=1e-16 * np.mean(y**2))


def test_course_closed_form_matches_handout_and_lstsq(course) -> None:
    X, y = lab1.load_data()
    w = lab1.closed_form(X, y)
    A = np.column_stack([np.asarray(course[0]), np.ones(len(course[1]))])
    expected = np.linalg.lstsq(A, np.asarray(course[1]), rcond=None)[0]
    np.testing.assert_allclose(w, expected, rtol=1e-12)
    # ASSIGNMENT.md / brief: w* = [-0.99936, 0.99942, -2.00093], MSE 1.0058e-4.
    np.testing.assert_allclose(w, [-0.99936, 0.99942, -2.00093], rtol=0, atol=5e-6)
    assert lab1.mse(X, y, w) == pytest.approx(1.0058e-4, abs=5e-9)


def test_course_lms_matches_plain_python_and_the_handout(course) -> None:
    X, y = lab1.load_data()
    w, history = lab1.lms(X, y, lr=0.01, epochs=20)
    w_plain, history_plain = plain_lms(*course, lr=0.01, epochs=20)
    assert w.shape == (3,) and history.shape == (20,)
    np.testing.assert_allclose(w, w_plain, rtol=1e-10)
    np.testing.assert_allclose(history, history_plain, rtol=1e-9)
    np.testing.assert_allclose(w, [-0.99967, 0.99859, -2.00141], rtol=0, atol=5e-6)
    # The defaults are the handout's r = 0.01, 20 epochs.
    w_default, history_default = lab1.lms(X, y)
    assert np.array_equal(w_default, w) and np.array_equal(history_default, history)


@settings(max_examples=10, deadline=None)
@given(rows=st.integers(3, 30), seed=st.integers(0, 2**32 - 1), lr=st.sampled_from([0.001, 0.01, 0.1]), epochs=st.integers(1, 5))
def test_lms_equals_plain_python_on_random_data(rows: int, seed: int, lr: float, epochs: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 2))
    y = rng.normal(size=rows)
    w, history = lab1.lms(X, y, lr=lr, epochs=epochs)
    w_plain, history_plain = plain_lms(X.tolist(), y.tolist(), lr, epochs)
    np.testing.assert_allclose(w, w_plain, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(history, history_plain, rtol=1e-10)


def test_the_sweep_has_small_rates_and_the_two_that_diverge() -> None:
    assert lab1.LEARNING_RATES == sorted(lab1.LEARNING_RATES)
    assert lab1.LEARNING_RATES[-2:] == [0.5, 1.0]
    assert len(lab1.LEARNING_RATES) >= 5 and all(r < 0.5 for r in lab1.LEARNING_RATES[:-2])


@pytest.mark.parametrize("lr", lab1.LEARNING_RATES)
def test_sweep_rates_converge_or_diverge_as_documented(course, lr: float) -> None:
    X, y = lab1.load_data()
    start_mse = float(np.mean(y**2))  # the MSE of the all-zero start
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # diverging rates must not warn either
        errstate = np.geterr()
        w, history = lab1.lms(X, y, lr=lr)
        assert np.geterr() == errstate
    _, plain_history = plain_lms(*course, lr=lr, epochs=20)
    if lr >= 0.5:
        assert diverged(plain_history), f"the independent LMS does not diverge at r = {lr}"
        assert diverged(history)
    else:
        assert not diverged(plain_history)
        np.testing.assert_allclose(history, plain_history, rtol=1e-9)
        assert np.isfinite(history).all() and np.isfinite(w).all()
        assert history.max() <= history[0] < start_mse and history[-1] < history[0]


def test_answers_on_the_course_data(course) -> None:
    got = lab1.answers()
    assert set(got) == {"closed_form", "lms"}
    w_star = got["closed_form"]["w"]
    assert isinstance(w_star, list) and all(type(v) is float for v in w_star)
    A = np.column_stack([np.asarray(course[0]), np.ones(100)])
    expected = np.linalg.lstsq(A, np.asarray(course[1]), rcond=None)[0]
    np.testing.assert_allclose(w_star, expected, rtol=1e-12)
    assert got["closed_form"]["mse"] == pytest.approx(float(np.mean((A @ expected - course[1]) ** 2)), rel=1e-9)
    np.testing.assert_allclose(got["lms"]["w"], plain_lms(*course, lr=0.01, epochs=20)[0], rtol=1e-10)
