"""Exports of a class run: a CSV gradebook and JSON Lines, with TA overrides applied.

    grade export RESULTS --csv grades.csv [--jsonl grades.jsonl] [--assignment NAME]

Both hold one row (line) per submission, which is one per student except where two
submissions claim one student id: then both rows are kept and the Reason column says so.
A submission that could not be graded still has its row, with its reason and empty scores.
Rows are ordered by student key, then submission name.

CSV columns, in this order::

    Student, SIS User ID, Submission, <one column per question id, in rubric order>,
    Total, Max Points, Status, Reason

- ``Student``: the name from the answers file (``student.name``), else the student key.
- ``SIS User ID``: the student key (``student.id`` from the answers file, else the
  submission name; see ``grader.classmode.gradebook``).
- question columns: the question's points, overrides included; empty for a submission
  that could not be graded.
- ``Total``: the submission's points (empty where it could not be graded, so that an
  import never turns a grading failure into a zero); ``Max Points``: the rubric's total.
- ``Status``: ``graded``; ``needs review`` (manual items not scored yet: they count 0 in
  Total until a TA scores them with ``grade review``); ``not submitted`` (an empty or
  unreadable submission: every question 0, the reason in Reason; TA overrides apply);
  ``provisional`` (a call was still running after class mode's first try: the scores are
  those of the first try, not final; the next run grades it with the rubric's full limits);
  or ``failed`` (an internal error: empty scores).
- ``Reason``: why grading failed, and warnings such as a student id claimed twice.

Formula injection: a text cell (name, id, submission, reason) that starts with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return gets a leading single quote (``'=HYPERLINK(...)``),
so a spreadsheet or Canvas shows it as text instead of running it; numbers the grader
writes are never quoted.

Canvas: the first two columns are named as in Canvas's gradebook export, so a Canvas
gradebook import matches rows to students on ``SIS User ID``. Canvas reads every other
column it does not know as an assignment to create or update, so for an import keep
``Student``, ``SIS User ID`` and the one score column wanted (``Total``, renamed to the
Canvas assignment's column title, e.g. ``Week 3 (12345)``), and drop the rest.

Numbers are written as plain decimals (at most 4 decimals, no exponent, no trailing
zeros). The files are deterministic: exporting the same gradebook twice gives the same
bytes (the JSON Lines ``overrides`` carry who and when, as stored).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any, Sequence

from grader.atomic import write_text_atomic
from grader.classmode.gradebook import PROVISIONAL, Gradebook
from grader.results import Status, fmt_points
from grader.classmode.review import Effective, duplicate_students, effective_results

__all__ = ["ExportRow", "export_rows", "render_csv", "render_jsonl", "write_text_atomic"]

STATUS_GRADED = "graded"
STATUS_REVIEW = "needs review"
STATUS_FAILED = "failed"
STATUS_NOT_SUBMITTED = "not submitted"
STATUS_PROVISIONAL = "provisional"


@dataclass(frozen=True)
class ExportRow:
    student: str
    name: str
    submission: str
    assignment: str
    status: str
    score: float | None
    max_score: float | None
    questions: dict[str, float]  # question id -> points (empty when it failed)
    reason: str
    overrides: tuple[dict[str, Any], ...]
    # Under a cap (bonus questions): the cap and the points earned before it; None otherwise
    cap: float | None = None
    earned: float | None = None


def export_rows(items: Sequence[Effective], *, assignment: str, max_score: float | None) -> list[ExportRow]:
    dups = duplicate_students(items)
    rows: list[ExportRow] = []
    for e in sorted(items, key=lambda e: (e.student, e.row.submission)):
        reasons: list[str] = []
        if e.student in dups:
            others = [s for s in dups[e.student] if s != e.row.submission]
            reasons.append(f"student id {e.student} is also claimed by submission(s) {', '.join(others)}")
        reasons += list(e.warnings)
        if e.late:
            reasons.append(e.late)
        ovr = tuple({"check": o.check_id, "score": o.score, "comment": o.comment, "by": o.by, "at": o.at}
                    for o in e.overrides)
        if e.result is None:
            rows.append(ExportRow(student=e.student, name="", submission=e.row.submission, assignment=assignment,
                                  status=STATUS_FAILED, score=None, max_score=max_score, questions={},
                                  reason="; ".join([e.row.failure or "not graded", *reasons]), overrides=ovr))
            continue
        r = e.result
        pending = any(c.status == Status.MANUAL for q in r.questions for c in q.checks)
        status = STATUS_REVIEW if pending else STATUS_GRADED
        if e.row.failure and e.row.failure.startswith(PROVISIONAL):  # first try: a call stopped early
            status = STATUS_PROVISIONAL
            reasons.insert(0, e.row.failure[len(PROVISIONAL):])
        elif e.row.failure:  # graded as not submitted (empty or unreadable): 0, and why
            status = STATUS_NOT_SUBMITTED
            reasons.insert(0, e.row.failure)
        if r.cap_note:
            reasons.append(r.cap_note)
        rows.append(ExportRow(student=e.student, name=r.student.get("name", "").strip(), submission=e.row.submission,
                              assignment=assignment, status=status,
                              score=r.score, max_score=r.max_score, questions={q.id: q.score for q in r.questions},
                              reason="; ".join(reasons), overrides=ovr, cap=r.cap, earned=r.earned))
    return rows


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A text cell safe from formula injection (the OWASP rule): a cell that starts with
    ``= + - @``, a tab or a carriage return is prefixed with a single quote, which Excel,
    LibreOffice, Google Sheets and Canvas read as "this is text". Only text cells go
    through here (names, ids, submission names, reasons, column titles); the numbers the
    grader writes (:func:`fmt_points`) are never prefixed, so -1.5 stays a number."""
    return "'" + value if value.startswith(_FORMULA_START) else value


class _Points(str):
    """A number the grader formatted itself (a cell that stays numeric)."""


def render_csv(rows: Sequence[ExportRow], *, question_ids: Sequence[str]) -> str:
    """The CSV gradebook. Every cell is either a number formatted by the grader or text
    neutralised by :func:`csv_text`: whatever a student put in their id, name or file
    names, no cell is a formula."""

    def cells(values: Sequence[str]) -> list[str]:
        return [v if isinstance(v, _Points) else csv_text(v) for v in values]

    def pts(x: float | None) -> str:
        return _Points(fmt_points(x))

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(cells(["Student", "SIS User ID", "Submission", *question_ids, "Total", "Max Points", "Status", "Reason"]))
    for r in rows:
        w.writerow(cells([r.name or r.student, r.student, r.submission,
                          *(pts(r.questions.get(q)) if r.questions else "" for q in question_ids),
                          pts(r.score), pts(r.max_score), r.status, r.reason]))
    return buf.getvalue()


def render_jsonl(rows: Sequence[ExportRow], *, question_ids: Sequence[str]) -> str:
    lines = []
    for r in rows:
        obj = {"student": r.student, "name": r.name, "submission": r.submission, "assignment": r.assignment,
               "status": r.status, "score": r.score, "max_score": r.max_score,
               "questions": {q: r.questions[q] for q in question_ids if q in r.questions},
               "reason": r.reason, "overrides": list(r.overrides)}
        if r.cap is not None:  # only under a cap: the lines of other assignments keep their bytes
            obj.update(cap=r.cap, earned=r.earned)
        lines.append(json.dumps(obj, sort_keys=True, ensure_ascii=False, allow_nan=False))
    return "".join(line + "\n" for line in lines)


def class_export(gb: Gradebook, assignment: str, *, items: Sequence[Effective] | None = None
                 ) -> tuple[list[ExportRow], list[str]]:
    """The rows of the current submissions and the question ids (rubric order) to show;
    ``items`` are the effective results when the caller has them already."""
    questions = gb.meta_json("questions") or []
    qids = [q[0] for q in questions]
    max_score = sum(float(q[2]) for q in questions) if questions else None
    if items is None:
        items = effective_results(gb, assignment)
    return export_rows(items, assignment=assignment, max_score=max_score), qids
