"""Known mistakes in a rubric: a mistake that could never be told apart from the reference
is a RubricError before any student code runs; `credit` makes a mistake an accepted
convention (graded, and the feedback says which one matched); without it a diagnosis
never changes the score."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.engine import Grader
from grader.rubric import RubricError, load_plan
from hw1_testing import EXAMPLE, RUBRIC, check, rubric_copy



def _rubric(tmp_path: Path, old: str, new: str) -> Path:
    text = RUBRIC.read_text()
    assert old in text
    p = rubric_copy(tmp_path, text.replace(old, new, 1))
    return p


def _half_mse_submission(tmp_path: Path) -> Path:
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLE, sub)
    lab1 = sub / "lab1.py"
    lab1.write_text(lab1.read_text().replace("history.append(np.mean(", "history.append(0.5 * np.mean("))
    return sub


def test_a_mistake_equal_to_the_reference_is_a_rubric_error(tmp_path):
    # on the course data 20 epochs have converged: w after 19 epochs is the reference's
    p = _rubric(tmp_path, "mistakes: [{name: lms_batch_gradient}, {name: lms_update_sign}, {name: lms_no_bias}, {name: lms_shuffled_rows}]",
                "mistakes: [{name: lms_batch_gradient}, {name: lms_19_epochs}]")
    with pytest.raises(RubricError) as err:
        Grader.create(load_plan(p), with_sandbox=False)
    assert "final_w: mistake lms_19_epochs gives the reference's own result" in str(err.value)


def test_an_unknown_mistake_is_a_rubric_error(tmp_path):
    p = _rubric(tmp_path, "{name: half_mse}", "{name: half_mean}")
    with pytest.raises(RubricError, match="mistake 'half_mean' is not defined in mistakes.py"):
        Grader.create(load_plan(p), with_sandbox=False)


def test_credit_must_be_a_share(tmp_path):
    p = _rubric(tmp_path, "{name: half_mse}", "{name: half_mse, credit: 2}")
    with pytest.raises(RubricError, match="credit"):
        load_plan(p)


@pytest.mark.parametrize("credit,status,score", [(1.0, "pass", 2.0), (0.5, "partial", 1.0)])
def test_an_accepted_convention_is_graded_and_named(tmp_path, credit, status, score):
    p = _rubric(tmp_path, "{name: half_mse}", f"{{name: half_mse, credit: {credit}}}")
    with Grader.create(load_plan(p)) as g:
        c = check(g.grade_path(_half_mse_submission(tmp_path)), "lab1.b", "mse_curve")
    assert (c.status, c.score) == (status, score)
    assert c.details["diagnosis"] == {"mistake": "half_mse", "explain": c.details["diagnosis"]["explain"],
                                      "evidence": c.details["diagnosis"]["evidence"], "relation": "factor", "credit": credit}
    assert "This matches half_mse" in c.message and ("an accepted convention" in c.message) == (credit == 1.0)


def test_a_rubric_without_credit_keeps_the_score(plan, tmp_path):
    with Grader.create(plan) as g:
        r = g.grade_path(_half_mse_submission(tmp_path))
    c = check(r, "lab1.b", "mse_curve")
    assert (c.status, c.score) == ("fail", 0) and c.details["diagnosis"]["mistake"] == "half_mse"
