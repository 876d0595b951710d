"""Shared fixtures: the compiled HW1 plan (compiled once per test session) and a helper
that grades a submission made of the given files through the real engine."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path
from typing import Callable

import pytest

from grader.engine import Grader
from grader.results import SubmissionResult
from grader.rubric import Plan, load_plan

from hw1_testing import RUBRIC

# No reference cache in the tests (a test that changes the reference in-process would
# otherwise read another test's outputs); tests/engine/test_reference_cache.py turns it on.
os.environ.setdefault("GRADER_CACHE_DIR", "off")


@pytest.fixture(scope="session")
def plan() -> Plan:
    return load_plan(RUBRIC)


@pytest.fixture(scope="session")
def answers_grader(plan: Plan) -> Grader:
    """Grades answers files only: code checks report their files as not submitted."""
    return Grader.create(plan, device="cpu", with_sandbox=False)


@pytest.fixture
def grade_answers(answers_grader: Grader, tmp_path: Path) -> Callable[..., SubmissionResult]:
    counter = iter(range(10_000))

    def run(text: str, *, name: str = "answers.yaml", extra: dict[str, str | bytes] | None = None) -> SubmissionResult:
        d = tmp_path / f"sub{next(counter)}"
        d.mkdir()
        (d / name).write_text(textwrap.dedent(text), encoding="utf-8")
        for fname, content in (extra or {}).items():
            p = d / fname
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")
        return answers_grader.grade_path(d)

    return run

