"""What the student kit tells a student (issue 19.6): "public checks only" and why the
total is less than the course's, nothing cut to a width (the CI job summary is Markdown),
grading from the parent folder, the items the course staff grade (figures: under which
file name), `student.id`, and what macOS/Windows students do. Everything is read from the
rubric: no assignment's names are written into the grader."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from integration_support import _check, _question, grade_cli

from grader.kit import REVIEWED_KINDS
from grader.report.terminal import render_markdown, render_summary
from grader.results import Status, SubmissionResult
from grader.rubric import Plan

LONG = "closed_form returned the wrong shape: " + "the rows of X are samples and its columns features; " * 6


def _result(message: str) -> SubmissionResult:
    q = _question("lab1.a", "Least squares", [_check("shape", Status.FAIL, 0, 2, message)])
    return SubmissionResult(assignment="hw9", submission="s", score=0, max_score=2, questions=[q])


def test_the_summary_is_never_cut_unless_a_terminal_is_narrow() -> None:
    assert LONG.strip() in render_summary(_result(LONG))  # a log or a pipe: whole
    narrow = render_summary(_result(LONG), width=80)
    assert LONG.strip() not in narrow and "…" in narrow
    scoped = render_summary(_result(LONG), scope="public checks only: the course grades out of 100")
    assert scoped.splitlines()[-1] == "total: 0 / 2 (public checks only: the course grades out of 100)"


def test_the_markdown_summary_keeps_every_message_whole_and_in_its_cell() -> None:
    text = render_markdown(_result(LONG + " a | b <script>\nsecond line"), scope="public checks only")
    row = next(line for line in text.splitlines() if line.startswith("| lab1.a "))
    assert LONG.strip() in row and "a \\| b &lt;script&gt; second line" in row
    assert row.count(" | ") == 4  # five cells: the pipe in the message is escaped
    assert "**public checks only**" in text and text.rstrip().endswith("(public checks only)")


def test_the_kit_says_what_the_staff_grade_and_how_to_run_it(hw1_kit: Path, plan: Plan) -> None:
    readme = (hw1_kit / "README.md").read_text()
    reviewed = [(q, pc.spec) for q in plan.questions for pc in q.checks if pc.spec.kind in REVIEWED_KINDS]
    assert reviewed
    for q, spec in reviewed:
        assert f"({q.id})" in readme, q.id
        if spec.kind == "figure":
            assert all(f"`{spec.prefix}*.{ext}`" in readme for ext in spec.extensions)
    assert f"not {plan.max_score:g}" in readme and "public checks only" in readme
    assert "Linux" in readme and "docker run" in readme and "macOS" in readme and "Windows" in readme
    assert "3.11, 3.12 or 3.13" in readme and "SIS User ID" in readme
    answers = (hw1_kit / "answers.yaml").read_text()
    assert "id: null  # your university student ID" in answers and "SIS User ID" in answers
    workflow = (hw1_kit / ".github" / "workflows" / "grade.yml").read_text()
    assert "--summary-md grade-summary.md" in workflow and "```text" not in workflow
    assert yaml.safe_load((hw1_kit / "rubrics" / f"{plan.rubric.assignment}.yaml").read_text())["course_total"] \
        == plan.max_score


def test_grading_the_kit_from_its_parent_folder(hw1_kit: Path, tmp_path: Path, plan: Plan) -> None:
    kit = tmp_path / "mykit"
    shutil.copytree(hw1_kit, kit)
    (kit / "lab1.py").write_text("def closed_form(X, y):\n    raise ValueError(" + repr(LONG) + ")\n\n"
                                 "def lms(X, y, lr=0.01, epochs=20):\n    raise ValueError(" + repr(LONG) + ")\n")
    proc = grade_cli("mykit", "--public", "--summary-md", "summary.md", "--json", "r.json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("total: ") and f"public checks only: the course grades out of {plan.max_score:g}" in last
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["max_score"] < plan.max_score
    md = (tmp_path / "summary.md").read_text()
    assert LONG.strip() in md and LONG.strip() in proc.stdout  # whole, in the summary and in the log
    assert "public checks only" in md


@pytest.mark.parametrize("args", [["--assignment", "nosuch"]])
def test_an_unknown_assignment_still_names_where_it_looked(hw1_kit: Path, tmp_path: Path, args: list[str]) -> None:
    proc = grade_cli(hw1_kit, *args, cwd=tmp_path)
    assert proc.returncode == 2 and "no assignment 'nosuch'" in proc.stderr
    assert str(hw1_kit / "rubrics") in proc.stderr
