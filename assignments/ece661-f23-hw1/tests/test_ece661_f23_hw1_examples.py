"""The pack's example submissions, graded end to end in the sandbox as students hand them
in (report.pdf + lab1.py + SimpleNN.ipynb): the scores of examples.yaml, and what the
feedback says about each typical mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from grader.engine import Grader
from grader.packs import Pack
from grader.results import SubmissionResult
from grader.rubric import load_plan

PACK = Pack.at(__file__)
EXAMPLES = PACK.root / "examples"
EXPECTED: dict[str, Any] = yaml.safe_load((PACK.root / "examples.yaml").read_text(encoding="utf-8"))

pytestmark = pytest.mark.slow  # each notebook runs SimpleNN in the sandbox (about 10 s each)


@pytest.fixture(scope="module")
def results() -> dict[str, SubmissionResult]:
    plan = load_plan(Path(PACK.rubric_path))
    with Grader.create(plan, device="cpu") as grader:
        out = {name: grader.grade_path(EXAMPLES / name) for name in EXPECTED}
        out["example, again"] = grader.grade_path(EXAMPLES / "example")
    return out


def test_results_are_reproducible(results: dict[str, SubmissionResult]) -> None:
    """The notebook draws unseeded torch.randn (as the course's template does), figures
    included: the result is still the same bytes."""
    assert results["example"].model_dump_json() == results["example, again"].model_dump_json()


def _check(r: SubmissionResult, qid: str, cid: str):  # type: ignore[no-untyped-def]
    q = next(q for q in r.questions if q.id == qid)
    return next(c for c in q.checks if c.id == cid)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scores_are_examples_yaml(results: dict[str, SubmissionResult], name: str) -> None:
    r, want = results[name], EXPECTED[name]
    pending = sum(c.max_score for q in r.questions for c in q.checks if c.status == "manual")
    assert (r.score, pending) == (pytest.approx(want["score"]), pytest.approx(want["pending"]))
    scores = {q.id: q.score for q in r.questions}
    for qid, score in want.get("questions", {}).items():
        assert scores[qid] == pytest.approx(score), qid


def test_example_reads_the_report_and_runs_both_notebooks(results: dict[str, SubmissionResult]) -> None:
    r = results["example"]
    assert all(c.status in ("pass", "manual") for q in r.questions for c in q.checks), \
        [(q.id, c.id, c.message) for q in r.questions for c in q.checks if c.status not in ("pass", "manual")]
    notes = " ".join(r.notes)
    assert "'/content/drive/MyDrive/ECE661/HW1/dataset.mat' was read as 'dataset.mat'" in notes  # Colab path
    assert "skipped magic `%matplotlib inline`" in notes
    for cid in ("code", "code_hidden"):
        assert _check(r, "lab1.a", cid).status == "pass" and _check(r, "lab1.b", cid).status == "pass"
    for qid, cid in (("lab1.b", "mse_plot"), ("lab1.c", "plot"), ("lab1.d", "curves"), ("lab3.a", "histograms")):
        assert _check(r, qid, cid).status == "manual"  # the right structure: a TA looks at the image


def test_pool_without_stride_names_the_cell_and_the_table_cells(results: dict[str, SubmissionResult]) -> None:
    r = results["wrong-pool-stride"]
    c = _check(r, "lab2.a", "forward_shape")
    assert c.status == "error" and "SimpleNN.ipynb cell" in c.message and "Output size is too small" in c.message
    c = _check(r, "lab2.b", "table")
    assert c.status == "partial" and "conv2 Input shape: your table says (1, 16, 8, 8)" in c.message
    c = _check(r, "lab3.c", "zeroed")
    assert c.status == "error" and "cannot be graded after code block 7" in c.message  # not "not all zero"
    assert _check(r, "problem2.q2_1", "function").status == "fail"  # AND: the PDF's hidden text layer
    assert "got 29, expected 14.5" in _check(r, "problem3.q3_2", "L").message
    assert _check(r, "lab1.a", "mse").status == "fail" and _check(r, "lab1.a", "w_star").status == "pass"
    # Lab 1's code leaves its results under names of its own: found by value, on hidden data too
    assert _check(r, "lab1.a", "code").message == "your variable w_opt holds W* on dataset.mat"
    assert _check(r, "lab1.b", "code_hidden").message == "your variable weights holds the LMS weights on a hidden data set"


def test_macs_zeroing_sign_zero_and_plotly(results: dict[str, SubmissionResult]) -> None:
    r = results["wrong-macs-zero"]
    c = _check(r, "lab2.b", "table")
    assert c.status == "partial" and "conv1 # MAC: your table says 1200, reference 1228800" in c.message
    assert _check(r, "lab2.b", "model").status == "pass"  # the notebook's model itself is right
    c = _check(r, "lab3.c", "zeroed")
    assert c.status == "fail" and "conv1, conv2, conv3" in c.message and "fc1" not in c.message
    c = _check(r, "problem2.q2_2", "weights")
    assert c.status == "fail" and "Sign(0) is undefined" in c.message
    assert _check(r, "lab1.a", "code").status != "pass" and _check(r, "lab1.a", "w_star").status == "pass"
    assert _check(r, "lab1.b", "mse_plot").status == "missing"  # HW1_LMS.py (found by the rubric's file patterns) stopped at `import plotly`
    assert "HW1_LMS.py:7: ModuleNotFoundError: the course environment has no `plotly`; ask your instructor" in r.notes


def test_results_are_out_of_100_with_lab3_as_bonus(results: dict[str, SubmissionResult]) -> None:
    r = results["example"]
    assert (r.max_score, r.cap) == (100, 100)
    assert {q.id for q in r.questions if q.bonus} == {"lab3.a", "lab3.b", "lab3.c"}
    assert r.earned == r.score == 83 and r.cap_note is None  # under the cap: the bonus counts in full


def test_full_marks_after_review_are_capped_at_100(results: dict[str, SubmissionResult]) -> None:
    """A TA gives every pending item of the complete example its points: 110 earned (100 +
    the 10 bonus points), 100 scored, and every output says why."""
    import dataclasses

    from grader.classmode.gradebook import OverrideRow
    from grader.classmode.review import apply_overrides
    from grader.report.gradescope import to_gradescope
    from grader.report.terminal import render_summary

    r = results["example"]
    base = OverrideRow(id=0, assignment="ece661-f23-hw1", student="s", submission=None, check_id="", score=0,
                       comment="", by="ta", at="2026-01-01T00:00:00+00:00")
    pending = [dataclasses.replace(base, id=i + 1, check_id=f"{q.id}.{c.id}", score=c.max_score)
               for i, (q, c) in enumerate((q, c) for q in r.questions for c in q.checks if c.status == "manual")]
    out, warnings = apply_overrides(r, pending)
    assert warnings == []
    assert (out.score, out.earned, out.max_score) == (100, 110, 100)
    assert render_summary(out, quiet=True) == "total: 100 / 100 (capped at 100: 110 earned)"
    doc = to_gradescope(out, execution_time=1.0)
    assert (doc["score"], doc["max_score"]) == (100, 100)
