"""Helpers shared by the engine-level tests (a module of its own: `conftest` is not a
unique module name across test folders, so tests never import from it)."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.packs import Pack
from grader.results import CheckResult, QuestionResult, SubmissionResult

REPO = Path(__file__).resolve().parent.parent
PACK = REPO / "assignments" / "hw1"
RUBRIC = PACK / "rubric.yaml"
EXAMPLE = PACK / "examples" / "example"
HW1 = Pack("hw1", PACK)  # HW1.module("oracles"), HW1.module("reference.lab1")


def rubric_copy(folder: Path, text: str) -> Path:
    """A copy of the HW1 pack in `folder`/hw1 (without its examples and tests) whose
    rubric.yaml is `text`: a rubric reads its reference, probes and kinds beside it."""
    dest = folder / "hw1"
    if not dest.is_dir():
        shutil.copytree(PACK, dest, ignore=shutil.ignore_patterns("examples", "tests", "__pycache__"))
    (dest / "rubric.yaml").write_text(text)
    return dest / "rubric.yaml"


def check(result: SubmissionResult, qid: str, cid: str) -> CheckResult:
    q = next(q for q in result.questions if q.id == qid)
    return next(c for c in q.checks if c.id == cid)


def question(result: SubmissionResult, qid: str) -> QuestionResult:
    return next(q for q in result.questions if q.id == qid)
