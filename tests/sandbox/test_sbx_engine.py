"""The sandbox through the real engine: what a submission sends back or stages can only
ever cost its own checks, and the same submission always gets the same bytes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sbxkit import STUDENTS

from grader.engine import Grader
from grader.results import SubmissionResult
from grader.rubric import load_plan

from hw1_testing import EXAMPLE, RUBRIC, check

LAB1_QUESTIONS = {"lab1.a", "lab1.b", "lab1.d"}


@pytest.fixture(scope="module")
def grader(tmp_path_factory: pytest.TempPathFactory):
    text = RUBRIC.read_text().replace("limits: {wall_s: 10, cpu_s: 20,", "limits: {wall_s: 5, cpu_s: 10,")
    p = tmp_path_factory.mktemp("rubric") / "hw1.yaml"
    p.write_text(text)
    g = Grader.create(load_plan(p), device="cpu")
    yield g
    g.close()


@pytest.fixture(scope="module")
def baseline(grader: Grader) -> SubmissionResult:
    return grader.grade_path(EXAMPLE)


def _with_lab1(tmp_path: Path, source: Path | str, name: str = "sub") -> Path:
    sub = tmp_path / name
    shutil.copytree(EXAMPLE, sub)
    if isinstance(source, Path):
        shutil.copyfile(source, sub / "lab1.py")
    else:
        (sub / "lab1.py").write_text(source)
    return sub


def test_a_forged_array_header_is_that_calls_error_and_the_rest_is_graded(grader, baseline, tmp_path):
    """Issue 12 item 4: an .npy header with shape (-2, -3) crashed the whole submission."""
    result = grader.grade_path(_with_lab1(tmp_path, STUDENTS / "forged_npy_lab1.py"))
    c = check(result, "lab1.a", "course_data")
    assert c.score == 0 and c.status == "error", (c.status, c.message)
    assert "impossible shape (-2, -3)" in c.message, c.message
    for q, bq in zip(result.questions, baseline.questions):
        if q.id not in LAB1_QUESTIONS:
            assert q.score == bq.score, (q.id, [x.message for x in q.checks])
    assert check(result, "lab1.a", "reported_w").status == "pass"
    result.to_json()
    assert grader.grade_path(EXAMPLE).to_json() == baseline.to_json()
