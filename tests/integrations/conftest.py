"""Fixtures for the integration tests: synthetic results with every status (for the
reporters) and the HW1 student kit built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.results import Status, SubmissionResult
from integration_support import NASTY, _check, _question, grade_cli



@pytest.fixture
def every_status() -> SubmissionResult:
    """One check of each status, a hidden pass and a hidden fail, and student text in messages."""
    questions = [
        _question("problem2.q2_2", "Weights for NOR", [
            _check("weights", Status.PASS, 4, 4, "realizes NOR on all 4 input rows"),
        ]),
        _question("problem4.q4_1", "Convolution output", [
            _check("output", Status.PARTIAL, 6.5, 9, f"33 of 45 elements right; you wrote {NASTY}",
                   hint="zero padding keeps the 5x9 size"),
        ]),
        _question("lab1.a", "Closed-form least squares", [
            _check("reported_w", Status.FAIL, 0, 1, "w1 = 2.5, expected -0.99936 within 0.1%"),
            _check("course_data", Status.ERROR, 0, 1, "closed_form raised ValueError: bad <shape> & more"),
            _check("hidden_small", Status.PASS, 0.75, 0.75, "closed_form on hidden set ok", hidden=True),
            _check("hidden_wide", Status.FAIL, 0, 0.75, "SECRET: w on the wide set is -0.99999", hidden=True),
        ]),
        _question("lab3.c", "Gradients with zero initialization", [
            _check("all_zero", Status.MISSING, 0, 2, "not submitted: lab3.py (or lab3.ipynb)"),
            _check("analysis", Status.MANUAL, 0, 2, "left for manual review"),
        ]),
    ]
    return SubmissionResult(assignment="hw1", submission="s1", student={"id": "s1"},
                            score=sum(q.score for q in questions), max_score=sum(q.max_score for q in questions),
                            questions=questions, warnings=[f"answers.yaml:3: unknown key {NASTY}"],
                            notes=["sandbox: basic isolation only"])


# --------------------------------------------------------------------------- the HW1 kit


@pytest.fixture(scope="session")
def hw1_kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HW1 student kit, built once through the command line."""
    out = tmp_path_factory.mktemp("kit") / "hw1-kit"
    proc = grade_cli("student-kit", "--assignment", "hw1", "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out
