"""What a student's code returns is sized against the expected output before anything is
converted, compared or drawn (issue 12, items 2 and 3)."""

from __future__ import annotations

import json
import tracemalloc

import numpy as np
import pytest

from grader.checks import allclose, number, trajectory
from grader.checks.base import CheckContext, ProbeOutput, Tolerance
from grader.numeric.compare import NotNumeric, compare_values, to_array
from grader.results import CheckResult, CurvesView, MatrixView, Series, Status, TableView, TextView

TOL = Tolerance(rtol=1e-6, atol=1e-12)


class CountingList(list):
    """A list that counts how many of its items were read, so a test can tell a walk that
    refused early from one that converted everything."""

    reads = 0

    def __iter__(self):
        for item in super().__iter__():
            CountingList.reads += 1
            yield item

    def __getitem__(self, i):
        CountingList.reads += 1
        return super().__getitem__(i)


def _ctx(actual: object, expected: object, tol: Tolerance = TOL) -> CheckContext:
    return CheckContext(answer=None, answer_line=None, answers_file=None, answers_error=None, expected=expected,
                        actual=ProbeOutput(status="ok", value=actual), tolerance=tol)


# ----------------------------------------------------------------- item 2: size before conversion


def test_huge_nested_list_is_refused_before_conversion():
    row = [0.5] * 2_000
    huge = [row] * 1_000  # 2,000,000 numbers held in 16 kB: only a walk over them costs
    tracemalloc.start()
    try:
        with pytest.raises(NotNumeric) as err:
            to_array(huge, limit=20)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "2000000 numbers" in str(err.value)
    assert peak < 1_000_000, peak


def test_huge_list_reads_only_a_bounded_number_of_items():
    CountingList.reads = 0
    inner = CountingList([1.0] * 1_000)
    huge = CountingList([inner] * 1_000)
    cmp = compare_values(huge, np.zeros(3), TOL, name="closed_form")
    assert not cmp.ok and cmp.leaves == 1 and cmp.leaves_ok == 0
    assert "1000000 numbers" in cmp.structural[0] and "expected numbers of shape (3,)" in cmp.structural[0]
    assert CountingList.reads < 100


def test_ragged_huge_list_stops_at_the_cap():
    CountingList.reads = 0
    rows = CountingList([[1.0, 2.0]] + [[1.0, 2.0, 3.0]] * 100_000)
    with pytest.raises(NotNumeric) as err:
        to_array(rows, limit=6)
    assert "200002 numbers" in str(err.value)  # the size its first rows claim, read in O(depth)
    assert CountingList.reads < 100
    CountingList.reads = 0
    rows = CountingList([[1.0, 2.0]] + [[1.0, 2.0, 3.0]] * 2)
    with pytest.raises(NotNumeric) as err:
        to_array(rows, limit=6)
    assert "different lengths" in str(err.value)


def test_many_empty_rows_are_refused_unread():
    CountingList.reads = 0
    rows = CountingList([[]] * 1_000_000)
    with pytest.raises(NotNumeric) as err:
        to_array(rows, limit=10)
    assert "(1000000, 0)" in str(err.value)
    assert CountingList.reads < 100


def test_deep_nesting_is_refused_without_recursion():
    deep: list = [1.0]
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(NotNumeric) as err:
        to_array(deep, limit=10)
    assert "nested" in str(err.value)


def test_conversion_is_one_numpy_call_for_plain_numbers():
    got = to_array([[1, 2.5], [3, "4"], ["-1/4", 1e-3]], limit=6)
    assert got.dtype == np.float64 and got.shape == (3, 2)
    assert got.tolist() == [[1.0, 2.5], [3.0, 4.0], [-0.25, 1e-3]]
    with pytest.raises(NotNumeric):
        to_array([[1.0, 2.0], [3.0]], limit=6)
    with pytest.raises(NotNumeric):
        to_array([True, 1.0], limit=6)


def test_huge_integers_are_not_numbers_not_crashes():
    with pytest.raises(NotNumeric) as err:
        to_array([10**400, 1.0], limit=4)
    assert "too large" in str(err.value)
    cmp = compare_values({"w": 10**400}, {"w": np.ones(())}, TOL)
    assert not cmp.ok and "too large" in cmp.structural[0]


def test_oversized_array_named_with_its_size():
    cmp = compare_values(np.zeros((1000, 1000)), np.zeros((3,)), TOL, name="closed_form")
    assert not cmp.ok and "(1000, 1000)" in cmp.structural[0]


def test_number_check_refuses_a_huge_answer_list():
    spec = number.Spec(id="w", kind="number", points=1, answer="lab1.lms.w", expected=[1.0, 2.0, 3.0], labels=["w1", "w2", "b"])
    ctx = CheckContext(answer=[[0.5] * 1000] * 1000, answer_line=3, answers_file="answers.yaml", answers_error=None,
                       expected=[1.0, 2.0, 3.0], actual=None, tolerance=TOL)
    res = number.grade(spec, ctx)
    assert res.status == Status.FAIL and "1000000 numbers" in res.message and "answers.yaml:3" in res.message


# ----------------------------------------------------------------- item 3: oversized curves


def _trajectory_spec() -> trajectory.Spec:
    return trajectory.Spec(id="mse_curve", kind="trajectory", points=2, code="lab1.py:lms", probe="lms",
                           label="MSE per epoch, r = 0.01")


def _result(res, spec) -> CheckResult:
    from grader.checks.base import plain

    return CheckResult(id=spec.id, status=res.status, score=0.0, max_score=spec.points, message=res.message,
                       details=plain(res.details), views=res.views)


def test_oversized_curve_fails_with_its_size_and_a_small_result():
    exp = np.linspace(1.0, 0.1, 20)
    got = np.linspace(1.0, 0.1, 500_000)  # 4 MB per call
    spec = _trajectory_spec()
    res = trajectory.grade(spec, _ctx(got, exp))
    assert res.status == Status.FAIL and "500000 numbers" in res.message and "expected 20" in res.message
    assert not res.views
    size = len(_result(res, spec).model_dump_json())
    assert size < 20_000, size


def test_oversized_curve_as_a_list_is_refused_before_conversion():
    exp = np.linspace(1.0, 0.1, 20)
    CountingList.reads = 0
    got = CountingList([0.5] * 1_000_000)
    res = trajectory.grade(_trajectory_spec(), _ctx(got, exp))
    assert res.status == Status.FAIL and "1000000" in res.message
    assert CountingList.reads < 100


def test_oversized_value_in_allclose_has_no_view_and_a_small_result():
    exp = {"w": np.ones(3)}
    spec = allclose.Spec(id="final_w", kind="allclose", points=2, code="lab1.py:lms", probe="lms", select="w")
    res = allclose.grade(spec, _ctx({"w": np.zeros(4_000_000)}, exp))
    assert res.status == Status.FAIL and "(4000000,)" in res.message
    assert len(_result(res, spec).model_dump_json()) < 20_000


def test_views_and_results_have_a_fixed_maximum_size():
    big = 10**6
    curves = CurvesView(title="t", x_label="epoch", y_label="v", series=[Series(name="yours", values=[0.5] * big)])
    assert len(curves.series[0].values) <= 10_000
    grid = MatrixView(got=[[0.0] * 2000] * 2000, expected=[[0.0] * 2000] * 2000, wrong=[(i, i) for i in range(2000)])
    assert sum(len(r) for r in grid.got) <= 10_000 and sum(len(r) for r in grid.expected) <= 10_000
    table = TableView(columns=["a"] * 100, rows=[["x" * 10_000] * 100] * 10_000)
    assert len(json.dumps(table.model_dump())) < 2_000_000
    text = TextView(label="analysis", text="y" * 5_000_000)
    assert len(text.text) < 200_000 and "truncated" in text.text
    res = CheckResult(id="c", status=Status.FAIL, score=0, max_score=1, message="m" * 5_000_000,
                      details={"traceback": ["line"] * big, "output_tail": "o" * big, "deep": [[[[[[[[[["x"]]]]]]]]]]})
    assert len(res.model_dump_json()) < 200_000
    assert "truncated" in res.message


def test_bounded_results_read_back_byte_identical():
    from grader.results import QuestionResult, SubmissionResult, TruthTableView

    views = [
        CurvesView(title="t" * 5_000, x_label="epoch", y_label="v",
                   series=[Series(name="yours", values=[0.5, float("inf"), float("nan")] * 10_000)]),
        TruthTableView(columns=["x1", "s"], rows=[[1.0, float("inf")], [-1.0, float("nan")]] * 10_000, failing=[0]),
        TextView(label="analysis", text="z" * 500_000),
    ]
    c = CheckResult(id="c", status=Status.FAIL, score=0, max_score=1, message="m" * 50_000, views=views,
                    details={"got": [[["deep"] * 300] * 300] * 300, "tail": "o" * 10**6, **{f"k{i}": i for i in range(500)}})
    q = QuestionResult(id="q", title="q", score=0, max_score=1, status=Status.FAIL, checks=[c])
    r = SubmissionResult(assignment="hw1", submission="s", score=0, max_score=1, questions=[q],
                         warnings=[f"entry{i}: not extracted" for i in range(100_000)], notes=["n" * 100_000])
    assert len(r.warnings) == 200 and r.warnings[-1] == "... and 99801 more"
    text = r.to_json()  # non-finite values became None: allow_nan=False does not raise
    assert len(text) < 1_000_000, len(text)
    assert SubmissionResult.from_json(text).to_json() == text


@pytest.mark.slow  # 100 hypothesis examples: > 10 s
def test_bounded_details_is_idempotent_and_within_bounds():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    import grader.results as results

    leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
    tree = st.recursive(leaves, lambda kids: st.lists(kids, max_size=12) | st.dictionaries(st.text(max_size=5), kids,
                                                                                            max_size=12), max_leaves=400)

    @settings(max_examples=100, deadline=None)
    @given(tree)
    def run(value):
        small = dict(MAX_DETAIL_NODES=40, MAX_DETAIL_ITEMS=5, MAX_DETAIL_DEPTH=4, MAX_DETAIL_TEXT=12)
        saved = {k: getattr(results, k) for k in small}
        try:
            for k, v in small.items():
                setattr(results, k, v)
            once = results.bounded_details({"v": value})
            assert results._within_details(once)
            assert results.bounded_details(once) == once
            json.dumps(once, allow_nan=False)
        finally:
            for k, v in saved.items():
                setattr(results, k, v)

    run()
