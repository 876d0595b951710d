"""Fixtures for the HTML report tests: real submissions graded by the real engine.

- `example_result`: assignments/hw1/examples/example (code through the sandbox where it is available,
  else the code checks say "not run").
- `failing_result`: a submission with wrong answers and buggy code, its code run in this
  process through the real probes (see report_helpers.run_probes_here).
- `classroom`: a class of 25 varied submissions and what was done to each.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from grader.engine import Grader
from grader.report.html import GradingFailure
from grader.results import SubmissionResult
from grader.submission import open_submission
from report_helpers import (
    EXAMPLE,
    FAILING_LAB1,
    FAILING_LAB2,
    HOSTILE_REASON,
    Classroom,
    failing_answers,
    grade_class,
    run_probes_here,
    sandbox_available,
    write_class,
)


@pytest.fixture(scope="session")
def code_grader(answers_grader: Grader) -> Callable[[Path], SubmissionResult]:
    """Grade a folder through the real engine, its code checks fed by `run_probes_here`."""
    plan = answers_grader.plan

    def grade(path: Path) -> SubmissionResult:
        g = Grader(plan=plan, device="cpu", sandbox=None, ref_outputs=answers_grader.ref_outputs)
        with open_submission(path) as sub:
            g._run_code = lambda s, first_try=False: (run_probes_here(plan, s), ())  # type: ignore[method-assign]
            return g.grade(sub)

    return grade


@pytest.fixture(scope="session")
def example_result(answers_grader: Grader) -> SubmissionResult:
    if sandbox_available():
        with Grader.create(answers_grader.plan, device="cpu") as g:
            return g.grade_path(EXAMPLE)
    return answers_grader.grade_path(EXAMPLE)


@pytest.fixture(scope="session")
def failing_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("failing")
    (d / "answers.yaml").write_text(yaml.safe_dump(failing_answers(), sort_keys=False), encoding="utf-8")
    (d / "lab1.py").write_text(FAILING_LAB1, encoding="utf-8")
    (d / "lab2.py").write_text(FAILING_LAB2, encoding="utf-8")
    return d


@pytest.fixture(scope="session")
def failing_result(code_grader: Callable[[Path], SubmissionResult], failing_dir: Path) -> SubmissionResult:
    return code_grader(failing_dir)


@pytest.fixture(scope="session")
def sandbox_failing_result(answers_grader: Grader, failing_dir: Path) -> SubmissionResult:
    if not sandbox_available():
        pytest.skip("grader.sandbox is not available: student code cannot be run")
    with Grader.create(answers_grader.plan, device="cpu") as g:
        return g.grade_path(failing_dir)


@pytest.fixture(scope="session")
def classroom(answers_grader: Grader, tmp_path_factory: pytest.TempPathFactory) -> Classroom:
    root = tmp_path_factory.mktemp("class")
    applied = write_class(root, size=24, seed=7)
    room = grade_class(answers_grader, root)
    room.applied = applied
    # what class mode reports for a submission it refused (the reason quotes the student's file)
    room.failures.append(GradingFailure(submission="s99", reason=HOSTILE_REASON, kind="rejected"))
    return room
