"""Helpers for the integration tests: the `grade` command as a subprocess, builders of
synthetic results, and a spec check of Gradescope's results.json. (A module of its own:
`conftest` is not a unique module name across test folders.)"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from grader.results import CheckResult, QuestionResult, Status, Visibility, question_status

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "assignments" / "hw1" / "examples" / "example"
HW1_RUBRIC = REPO / "assignments" / "hw1" / "rubric.yaml"
GRADE = Path(sys.executable).parent / "grade"

# Student text that must survive every reporter literally (XML/markdown metacharacters,
# backtick runs, a CDATA terminator, control characters XML cannot hold, non-ASCII).
NASTY = 'got <b>"bold"</b> & \'quotes\' ]]> ```` fence x\x00y\x1b[31m red \u00e9\u4e2d \U0001F600'


def grade_cli(*args: str | Path, cwd: Path = REPO, timeout: float = 300,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `grade` command."""
    return subprocess.run([str(GRADE), *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, **(env or {})})


def _check(cid: str, status: Status, score: float, max_score: float, message: str, *,
           hidden: bool = False, hint: str | None = None) -> CheckResult:
    return CheckResult(id=cid, status=status, score=score, max_score=max_score, message=message, hint=hint,
                       visibility=Visibility.HIDDEN if hidden else Visibility.PUBLIC)


def _question(qid: str, title: str, checks: list[CheckResult]) -> QuestionResult:
    return QuestionResult(id=qid, title=title, score=sum(c.score for c in checks),
                          max_score=sum(c.max_score for c in checks), status=question_status(checks), checks=checks)


# --------------------------------------------------------------------------- Gradescope's spec

_TOP_KEYS = {"score", "execution_time", "output", "output_format", "test_output_format", "test_name_format",
             "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"}
_TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
              "tags", "visibility", "extra_data"}
_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
_FORMATS = {"text", "html", "simple_format", "md", "ansi"}


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def assert_gradescope_results(doc: Any) -> None:
    """results.json as Gradescope's autograder specification describes it: known keys only,
    each of its type; a score at the top or on every test."""
    assert isinstance(doc, dict), doc
    assert set(doc) <= _TOP_KEYS, set(doc) - _TOP_KEYS
    assert "score" in doc or all("score" in t for t in doc.get("tests", [])), "no score anywhere"
    for key in ("score", "execution_time"):
        if key in doc:
            assert _number(doc[key]), (key, doc[key])
    for key in ("output",):
        if key in doc:
            assert isinstance(doc[key], str)
    for key in ("output_format", "test_output_format"):
        if key in doc:
            assert doc[key] in _FORMATS
    for key in ("visibility", "stdout_visibility"):
        if key in doc:
            assert doc[key] in _VISIBILITY
    assert isinstance(doc.get("tests", []), list)
    for test in doc.get("tests", []):
        assert isinstance(test, dict) and set(test) <= _TEST_KEYS, set(test) - _TEST_KEYS
        for key in ("score", "max_score"):
            if key in test:
                assert _number(test[key]), (key, test)
        for key in ("name", "number", "output"):
            if key in test:
                assert isinstance(test[key], str), (key, test)
        if "status" in test:
            assert test["status"] in ("passed", "failed")
        if "visibility" in test:
            assert test["visibility"] in _VISIBILITY
        if "output_format" in test:
            assert test["output_format"] in _FORMATS
        if "tags" in test:
            assert isinstance(test["tags"], list) and all(isinstance(t, str) for t in test["tags"])
