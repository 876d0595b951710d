"""Helpers shared by the engine-level tests (a module of its own: `conftest` is not a
unique module name across test folders, so tests never import from it)."""

from __future__ import annotations

from pathlib import Path

from grader.results import CheckResult, QuestionResult, SubmissionResult

REPO = Path(__file__).resolve().parent.parent
RUBRIC = REPO / "rubrics" / "hw1.yaml"
EXAMPLE = REPO / "submissions" / "example"


def check(result: SubmissionResult, qid: str, cid: str) -> CheckResult:
    q = next(q for q in result.questions if q.id == qid)
    return next(c for c in q.checks if c.id == cid)


def question(result: SubmissionResult, qid: str) -> QuestionResult:
    return next(q for q in result.questions if q.id == qid)
