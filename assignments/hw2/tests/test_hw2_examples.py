"""The HW2 pack's example submissions graded through the engine (sandbox included): each
scores what examples.yaml says, each wrong one has its mistake named in the feedback of
the check it breaks, the right checks get no diagnosis, and every output (JSON, HTML,
JUnit, Gradescope) renders. One grader (one sandbox, one reference run) for the module."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from grader.engine import Grader
from grader.packs import Pack
from grader.report.gradescope import to_gradescope
from grader.report.html import render_feedback
from grader.report.junit import to_junit
from grader.results import SubmissionResult
from grader.rubric import load_plan

pytestmark = pytest.mark.slow  # starts a sandbox and grades five submissions (~1 min)

PACK = Pack.at(__file__)
EXPECTED: dict[str, Any] = yaml.safe_load((PACK.root / "examples.yaml").read_text())

# example -> the (question, check) whose feedback names the mistake, and the mistake
NAMED = {
    "unbiased_variance": [("problem2.forward", "code", "bn_unbiased_variance"), ("problem2.forward", "hidden", "bn_unbiased_variance")],
    "conv_no_padding": [("problem3.conv", "code", "conv_no_padding")],
    "momentum_order": [("problem5.sgd", "code", "sgd_decay_after_momentum")],
}


@pytest.fixture(scope="module")
def grader() -> Iterator[Grader]:
    g = Grader.create(load_plan(PACK.rubric_path), device="cpu")
    try:
        yield g
    finally:
        g.close()


@pytest.fixture(scope="module")
def results(grader: Grader) -> dict[str, SubmissionResult]:
    return {name: grader.grade_path(PACK.root / "examples" / name) for name in EXPECTED}


def _checks(result: SubmissionResult) -> dict[tuple[str, str], Any]:
    return {(q.id, c.id): c for q in result.questions for c in q.checks}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_scores_what_examples_yaml_says(results: dict[str, SubmissionResult], name: str) -> None:
    result, expected = results[name], EXPECTED[name]
    assert result.score == expected["score"], result.to_json()
    pending = sum(c.max_score - c.score for q in result.questions for c in q.checks if c.status.value == "manual")
    assert pending == expected.get("pending", 0)
    for qid, score in (expected.get("questions") or {}).items():
        assert next(q.score for q in result.questions if q.id == qid) == score, qid


@pytest.mark.parametrize("name", sorted(NAMED))
def test_the_mistake_is_named_where_it_shows(results: dict[str, SubmissionResult], name: str) -> None:
    checks = _checks(results[name])
    for qid, cid, mistake in NAMED[name]:
        check = checks[(qid, cid)]
        assert check.status.value in ("fail", "partial")
        assert check.details["diagnosis"]["mistake"] == mistake
        assert f"Likely mistake ({mistake})" in check.message
    # checks that pass carry no diagnosis
    assert not [k for k, c in checks.items() if c.status.value == "pass" and "diagnosis" in (c.details or {})]


def test_the_example_gets_no_diagnosis(results: dict[str, SubmissionResult]) -> None:
    assert not [k for k, c in _checks(results["example"]).items() if "diagnosis" in (c.details or {})]


def test_a_wrong_parameter_count_is_told_apart_from_a_wrong_report(results: dict[str, SubmissionResult]) -> None:
    checks = _checks(results["wrong_param_count"])
    assert checks[("problem4.cnn", "param_count")].status.value == "fail"
    assert "50858, expected 25674" in checks[("problem4.cnn", "param_count")].message
    assert checks[("problem4.cnn", "reported_count")].status.value == "pass"
    assert checks[("problem4.cnn", "forward_shape")].status.value == "pass"


def test_by_hand_matrix_names_the_wrong_cells(results: dict[str, SubmissionResult]) -> None:
    check = _checks(results["unbiased_variance"])[("problem1.q1_1", "normalized")]
    assert check.status.value == "partial" and check.score == 2
    assert "(1,1): got -1.162, expected -1.34164" in check.message


def test_outputs_render_and_json_is_reproducible(grader: Grader, results: dict[str, SubmissionResult]) -> None:
    again = grader.grade_path(PACK.root / "examples" / "momentum_order")
    assert again.to_json() == results["momentum_order"].to_json()
    for name, result in results.items():
        json.loads(result.to_json())
        html = render_feedback(result, audience="student")
        assert "hw2" in html and "problem5.sgd" in html
        assert "<testsuite" in to_junit(result)
        assert to_gradescope(result, execution_time=1.0)["score"] == result.score, name
    assert "sgd_decay_after_momentum" in render_feedback(results["momentum_order"], audience="student")


def test_a_slow_train_one_epoch_is_stopped_at_its_budget_and_named(grader: Grader, tmp_path) -> None:
    import shutil

    sub = tmp_path / "slow"
    shutil.copytree(PACK.root / "examples" / "example", sub)
    (sub / "train.py").write_text("import time\n\n\ndef train_one_epoch(model, X, y, optimizer, loss_fn, batch_size):\n"
                                  "    while True:\n        time.sleep(1)\n")
    result = grader.grade_path(sub)
    train = next(q for q in result.questions if q.id == "problem6.train")
    assert train.score == 0
    assert all("train_one_epoch (epoch 1) did not finish within 5 s" in c.message for c in train.checks)
    assert result.score == EXPECTED["example"]["score"] - 15  # the other questions are untouched
