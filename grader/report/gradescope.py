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
  missing (a partial check still carries its partial `score`).
- A check left for manual review is *pending*, not failed: a test worth 0 of 0 points
  (so that it neither fails nor counts in the total Gradescope shows), without `status`,
  tagged "pending", whose output says how many points the course staff will give and
  `extra_data.pending_points`. TA scores reach Gradescope through its own manual-grading
  questions (the autograder's points are the automatic checks' total; one question per
  manual item: `grade gradescope-package` prints the outline), or, for a course that
  reviews with `grade review`, through grades.csv into the LMS.
- `output` is markdown (`output_format: "md"`): the verdict and points, then the check's
  message in a code fence (the student's own text can appear in a message, and a fence
  longer than any backtick run in it keeps it literal), then the rubric's hint. A hidden
  check's output is one generic line: its message may describe hidden inputs.

The top level carries `score` (the total, which Gradescope uses instead of adding up the
tests), `execution_time` (seconds, a number), a markdown `output` with the total, the
warnings about the submission and the grader's notes, and the `tests`.

Before release (`total_before_release`, the rubric's `gradescope` settings; see
`grader.rubric.GradescopeSettings`), a result with hidden checks either hides the whole
result until grades are published (top-level `visibility`; every public check's test
stays "visible") or leaves the hidden checks out and scores the public checks only
(`released=False`); a package built with `--released` reports everything.
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
    fmt_points,
    round_score,
)

HiddenVisibility = Literal["hidden", "after_due_date", "after_published"]
TotalBeforeRelease = Literal["hidden", "public", "shown"]

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


def _test_output(c: CheckResult) -> str:
    if c.visibility == Visibility.HIDDEN:
        return HIDDEN_OUTPUT
    if c.status == Status.MANUAL:  # the message adds nothing to the verdict
        return f"**Pending**: {_VERDICT[c.status].lower()} ({_pending(c.max_score)}, not in this score yet)"
    parts = [f"**{_VERDICT[c.status]}** ({fmt_points(c.score)}/{fmt_points(c.max_score)} points)"]
    if c.message.strip():
        parts.append(_fence(for_students(c.message.strip())))
    if c.hint and c.status != Status.PASS:
        parts.append(f"Hint: {for_students(c.hint)}")
    return "\n\n".join(parts)


def _pending(points: float) -> str:
    return f"worth {fmt_points(points)} point{'' if points == 1 else 's'}"


def _test(q: QuestionResult, c: CheckResult, hidden_visibility: HiddenVisibility) -> dict[str, Any]:
    pending = c.status == Status.MANUAL
    test: dict[str, Any] = {
        "name": f"{q.title} [{c.id}]",
        "number": question_number(q.id),
        "score": 0.0 if pending else c.score,
        "max_score": 0.0 if pending else c.max_score,  # pending: out of the total shown until graded
        "output": _test_output(c),
        "output_format": "md",
        "visibility": hidden_visibility if c.visibility == Visibility.HIDDEN else "visible",
        "tags": [q.id],
    }
    if q.bonus:  # its points count up to the cap, beyond the assignment's total
        test["name"] = f"{q.title} (bonus) [{c.id}]"
        test["tags"].append("bonus")
    if pending:
        test["tags"] += ["manual", "pending"]
        test["extra_data"] = {"pending_points": c.max_score}
    else:
        test["status"] = "passed" if c.status == Status.PASS else "failed"
    return test


def _summary(result: SubmissionResult, checks: list[CheckResult], *, public_only: bool) -> str:
    pending = [c for c in checks if c.status == Status.MANUAL]
    bonus = {id(c) for q in result.questions if q.bonus for c in q.checks}  # out of the total, not in what it is out of
    graded = round_score(sum(c.max_score for c in checks if c.status != Status.MANUAL and id(c) not in bonus))
    score = round_score(sum(c.score for c in checks))
    what = "Public checks" if public_only else "Total"
    if result.cap is not None:  # bonus points count up to the cap
        capped = round_score(min(score, result.cap))
        lines = [f"**{what}: {fmt_points(capped)} / {fmt_points(graded)}**"
                 + (f" (capped at {fmt_points(result.cap)}: {fmt_points(score)} earned)" if capped < score else "")]
    else:
        lines = [f"**{what}: {fmt_points(score)} / {fmt_points(graded)}**"]
    if public_only:
        lines.append("The hidden checks are graded when grades are published: this is not your grade yet.")
    if pending:
        points = round_score(sum(c.max_score for c in pending))
        lines.append(f"{len(pending)} item(s) worth {fmt_points(points)} point{'' if points == 1 else 's'} are pending "
                     "review by the course staff; their points are added when they are graded.")
    if result.warnings:
        lines.append("Warnings about the submission:")
        lines.append(_fence(for_students("\n".join(result.warnings))))
    notes = student_notes(result)
    if notes:
        lines.append("Notes from the grader:")
        lines.append(_fence("\n".join(notes)))
    return "\n\n".join(lines)


def _public_score(result: SubmissionResult, checks: list[CheckResult]) -> float:
    """The public checks' points, capped like the total."""
    score = round_score(sum(c.score for c in checks))
    return round_score(min(score, result.cap)) if result.cap is not None else score


def to_gradescope(
    result: SubmissionResult,
    *,
    execution_time: float,
    hidden_visibility: HiddenVisibility = "after_published",
    total_before_release: TotalBeforeRelease = "shown",
    released: bool = False,
) -> dict[str, Any]:
    """The results.json document for one graded submission (a plain dict, JSON-ready).
    `total_before_release` and `released`: see the module docstring."""
    if hidden_visibility not in ("hidden", "after_due_date", "after_published"):
        raise ValueError(f"hidden_visibility must be hidden, after_due_date or after_published, got {hidden_visibility!r}")
    if total_before_release not in ("hidden", "public", "shown"):
        raise ValueError(f"total_before_release must be hidden, public or shown, got {total_before_release!r}")
    has_hidden = any(c.visibility == Visibility.HIDDEN for q in result.questions for c in q.checks)
    public_only = has_hidden and total_before_release == "public" and not released
    pairs = [(q, c) for q in result.questions for c in q.checks
             if not (public_only and c.visibility == Visibility.HIDDEN)]
    checks = [c for _, c in pairs]
    doc: dict[str, Any] = {
        "score": _public_score(result, checks) if public_only else result.score,
        "execution_time": round(max(float(execution_time), 0.0), 3),
        "output": _summary(result, checks, public_only=public_only),
        "output_format": "md",
        "stdout_visibility": "hidden",
        "tests": [_test(q, c, hidden_visibility) for q, c in pairs],
    }
    if result.cap is not None:  # the most a submission scores, bonus included, is what the score is out of
        doc["max_score"] = result.cap
    if has_hidden and total_before_release == "hidden" and not released:
        doc["visibility"] = hidden_visibility  # the score too; each public test says "visible" itself
    return doc
