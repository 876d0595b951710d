"""Gradescope's `results.json` (the autograder specification's output format).

One Gradescope test per check, in rubric order. The mapping, chosen once here:

- `number` comes from the question id (`question_number`): `problem2.q2_2` -> "2.2",
  `problem4.q4_1` -> "4.1", `problem3.extra` -> "3.extra", `lab1.a` -> "L1.a",
  `project2.b` -> "P2.b" (any other `<word><N>.<part>`: the word's capital initial),
  anything else -> the question id itself. Every check of a question carries the
  question's number; `name` tells the checks apart ("<title> [<check id>]").
- `visibility`: a public check is "visible"; a hidden check is `hidden_visibility`,
  "after_published" by default (students see it once the instructor publishes grades),
  or "hidden" (never) / "after_due_date".
- `status`: "passed" for a check that passed, "failed" for fail, partial, error and
  missing (a partial check still carries its partial `score`). A check left for manual
  review has no `status` (Gradescope then judges by the score) and says so in its output.
- `output` is markdown (`output_format: "md"`): the verdict and points, then the check's
  message in a code fence (the student's own text can appear in a message, and a fence
  longer than any backtick run in it keeps it literal), then the rubric's hint. A hidden
  check's output is one generic line: its message may describe hidden inputs.

The top level carries `score` (the total, which Gradescope uses instead of adding up the
tests), `execution_time` (seconds, a number), a markdown `output` with the total, the
warnings about the submission and the grader's notes, and the `tests`.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from grader.report.audience import for_students, student_notes
from grader.results import (
    CheckResult,
    QuestionResult,
    Status,
    SubmissionResult,
    Visibility,
)

HiddenVisibility = Literal["hidden", "after_due_date", "after_published"]

HIDDEN_OUTPUT = "Hidden test: its details are not shown."

_VERDICT = {
    Status.PASS: "Passed",
    Status.PARTIAL: "Partly correct",
    Status.FAIL: "Failed",
    Status.ERROR: "Error",
    Status.MISSING: "Not submitted",
    Status.MANUAL: "Left for manual review by the course staff",
}


def question_number(question_id: str) -> str:
    """The display number of a question id (see the module docstring for the rule)."""
    m = re.fullmatch(r"problem(\d+)\.q(\d+)_(\w+)", question_id)
    if m and m.group(1) == m.group(2):
        return f"{m.group(1)}.{m.group(3)}"
    m = re.fullmatch(r"problem(\d+)\.(\w+)", question_id)
    if m:
        return f"{m.group(1)}.{m.group(2)}"
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)\.(\w+)", question_id)
    if m:
        return f"{m.group(1)[0].upper()}{m.group(2)}.{m.group(3)}"
    return question_id


def _fence(text: str) -> str:
    """`text` as a fenced code block that no backtick run inside it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def _points(x: float) -> str:
    return f"{x:g}"


def _test_output(c: CheckResult) -> str:
    if c.visibility == Visibility.HIDDEN:
        return HIDDEN_OUTPUT
    if c.status == Status.MANUAL:  # the message adds nothing to the verdict
        unit = "point" if c.max_score == 1 else "points"
        return f"**{_VERDICT[c.status]}** (worth {_points(c.max_score)} {unit}, not included in the score yet)"
    parts = [f"**{_VERDICT[c.status]}** ({_points(c.score)}/{_points(c.max_score)} points)"]
    if c.message.strip():
        parts.append(_fence(for_students(c.message.strip())))
    if c.hint and c.status != Status.PASS:
        parts.append(f"Hint: {for_students(c.hint)}")
    return "\n\n".join(parts)


def _test(q: QuestionResult, c: CheckResult, hidden_visibility: HiddenVisibility) -> dict[str, Any]:
    test: dict[str, Any] = {
        "name": f"{q.title} [{c.id}]",
        "number": question_number(q.id),
        "score": c.score,
        "max_score": c.max_score,
        "output": _test_output(c),
        "output_format": "md",
        "visibility": hidden_visibility if c.visibility == Visibility.HIDDEN else "visible",
        "tags": [q.id],
    }
    if c.status == Status.MANUAL:
        test["tags"].append("manual")
    else:
        test["status"] = "passed" if c.status == Status.PASS else "failed"
    return test


def _summary(result: SubmissionResult) -> str:
    lines = [f"**Total: {_points(result.score)} / {_points(result.max_score)}**"]
    manual = sum(1 for q in result.questions for c in q.checks if c.status == Status.MANUAL)
    if manual:
        lines.append(f"{manual} item(s) are left for manual review and are not included in the total yet.")
    if result.warnings:
        lines.append("Warnings about the submission:")
        lines.append(_fence(for_students("\n".join(result.warnings))))
    notes = student_notes(result)
    if notes:
        lines.append("Notes from the grader:")
        lines.append(_fence("\n".join(notes)))
    return "\n\n".join(lines)


def to_gradescope(
    result: SubmissionResult,
    *,
    execution_time: float,
    hidden_visibility: HiddenVisibility = "after_published",
) -> dict[str, Any]:
    """The results.json document for one graded submission (a plain dict, JSON-ready)."""
    if hidden_visibility not in ("hidden", "after_due_date", "after_published"):
        raise ValueError(f"hidden_visibility must be hidden, after_due_date or after_published, got {hidden_visibility!r}")
    tests = [_test(q, c, hidden_visibility) for q in result.questions for c in q.checks]
    return {
        "score": result.score,
        "execution_time": round(max(float(execution_time), 0.0), 3),
        "output": _summary(result),
        "output_format": "md",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
