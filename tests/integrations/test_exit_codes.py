"""Exit codes CI can act on, through `grade` as a subprocess: 0 when grading ran, 3 when
--fail-under is not met, 2 for a path that does not exist; and the file outputs of a
passing run (JUnit, Gradescope) read back."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from integration_support import EXAMPLE, assert_gradescope_results, grade_cli

from grader.results import SubmissionResult
from grader.rubric import Plan

pytestmark = pytest.mark.slow  # end-to-end: the `grade` command in subprocesses


def test_a_passing_run_exits_0_and_writes_every_output(tmp_path: Path) -> None:
    proc = grade_cli(EXAMPLE, "--fail-under", "0", "--json", tmp_path / "r.json", "--junit", tmp_path / "j.xml",
                     "--gradescope", tmp_path / "g.json")
    assert proc.returncode == 0, proc.stderr
    result = SubmissionResult.from_json((tmp_path / "r.json").read_text())
    checks = [(q, c) for q in result.questions for c in q.checks]
    junit = ET.parse(tmp_path / "j.xml").getroot()
    cases = junit.findall("testsuite/testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [(f"hw1.{q.id}", c.id) for q, c in checks]
    manual = sum(1 for _, c in checks if c.status.value == "manual")
    assert int(junit.get("skipped")) == manual == len(junit.findall("testsuite/testcase/skipped")) > 0
    assert junit.get("failures") == junit.get("errors") == "0"  # the example is right wherever a machine can tell
    doc = json.loads((tmp_path / "g.json").read_text())
    assert_gradescope_results(doc)
    assert doc["score"] == result.score and len(doc["tests"]) == len(checks)
    assert f"total: {result.score:g} / {result.max_score:g}" in proc.stdout


def test_fail_under_not_met_exits_3(tmp_path: Path, plan: Plan) -> None:
    bar = plan.public_only().max_score + 0.5  # more than the public checks are worth: unreachable
    proc = grade_cli(EXAMPLE, "--public", "--fail-under", f"{bar:g}", "--quiet", "--json", tmp_path / "r.json")
    assert proc.returncode == 3, proc.stderr
    result = SubmissionResult.from_json((tmp_path / "r.json").read_text())
    assert result.score < bar and result.max_score == plan.public_only().max_score
    assert f"score {result.score:g} is below --fail-under {bar:g}" in proc.stderr
    # --public says why the total is less than the rubric's (issue 19.6)
    assert proc.stdout.strip() == f"total: {result.score:g} / {result.max_score:g} (public checks only: hidden checks are left out)"


def test_a_missing_path_exits_2(tmp_path: Path) -> None:
    proc = grade_cli(tmp_path / "nowhere", "--fail-under", "0")
    assert proc.returncode == 2
    assert "nowhere: no such file or directory" in proc.stderr
