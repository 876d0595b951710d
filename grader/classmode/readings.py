"""A TA confirms or corrects a value read from a report, and the check is scored from it.

    grade review RESULTS --student S --confirm problem2.q2_1.function        the value as read is right
    grade review RESULTS --student S --reading problem2.q2_2.weights='{w: [-1, -1, -1]}'
                                                                           the report says this instead

A check whose value was read from a report too uncertainly to be scored waits for a TA
(:mod:`grader.writeup.reading`); its ``details.reading`` holds the value as read. Here the
check is graded on the confirmed (or corrected) value by the check itself, with the
rubric's expected value and tolerances, exactly as for an answers file, and the score is
recorded as a review score in the gradebook (with the value and the verdict in its
comment), so it is applied to every output like any other review score. It keeps through
regrades while the report is unchanged: the score records the evidence it scored (the
reading, with the report's sha256), and a changed report suspends it (see
:mod:`grader.classmode.review`).

A correction is written as YAML (``AND``, ``true``, ``[-1, -1, -1]``, ``{w: [1, 2, 3]}``),
parsed with the same bounded reader as answers files.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.checks.base import CheckContext, Tolerance
from grader.docio import DocumentError, load_document
from grader.classmode.gradebook import Gradebook, GradebookError
from grader.report.terminal import for_terminal
from grader.results import SubmissionResult, round_score
from grader.rubric import Plan, PlannedCheck, RubricError, find_rubric, load_plan
from grader.numeric.tolerances import default_tolerance

__all__ = ["grade_reading", "record_readings"]

MAX_CORRECTION = 20_000


class ConfirmError(Exception):
    """A confirmation that cannot be recorded (one line per problem)."""


def _plan(gb: Gradebook, assignment: str) -> Plan:
    stored = gb.meta("rubric_path")
    path = Path(stored) if stored and Path(stored).is_file() else find_rubric(assignment)
    return load_plan(path)


def _spec_for(plan: Plan, check_id: str, alt: str | None) -> tuple[PlannedCheck, PlannedCheck]:
    """(the rubric's top check, the check (or alternative) the reading is for)."""
    qid, _, cid = check_id.rpartition(".")
    q = next((q for q in plan.questions if q.id == qid), None)
    top = next((c for c in q.checks if c.spec.id == cid), None) if q is not None else None
    if top is None:
        raise ConfirmError(f"{check_id}: the rubric has no such check (it changed since the class was graded?)")
    if alt is None or alt == top.spec.id:
        return top, top
    sub = next((a for a in top.alternatives if a.spec.id == alt), None)
    if sub is None:
        raise ConfirmError(f"{check_id}: the rubric has no alternative {alt!r} (it changed since the class was graded?)")
    return top, sub


def grade_reading(plan: Plan, check_id: str, reading: dict[str, Any], value: Any, *,
                  report: str | None) -> tuple[float, str]:
    """(score, verdict) of the check graded on ``value``, as for an answers file holding it."""
    top, pc = _spec_for(plan, check_id, reading.get("check"))
    spec = pc.spec
    tol = (Tolerance(spec.rtol, spec.atol if spec.atol is not None else 0.0) if spec.rtol is not None
           else default_tolerance("float64", "cpu"))
    ctx = CheckContext(answer=value, answer_line=None, answers_file=report, answers_error=None,
                       expected=getattr(spec, "expected", None), actual=None, tolerance=tol)
    res = plan.kinds[str(getattr(spec, "kind", ""))].grade(spec, ctx)  # the pack's kinds too
    fraction = min(max(res.fraction, 0.0), 1.0)
    return round_score(top.spec.points * fraction), f"{res.status.value}: {res.message}"


def _short(value: Any, width: int = 80) -> str:
    text = ("true" if value else "false") if isinstance(value, bool) else (
        " ".join(value.split()) if isinstance(value, str) else repr(value))
    return text if len(text) <= width else text[: width - 3] + "..."


def _correction(check_id: str, text: str) -> Any:
    if len(text) > MAX_CORRECTION:
        raise ConfirmError(f"--reading {check_id}: the value is longer than {MAX_CORRECTION} characters")
    try:
        return load_document(text.encode("utf-8"), filename="reading.yaml").data
    except DocumentError as err:
        why = str(err).removeprefix("reading.yaml").lstrip(":; ")
        raise ConfirmError(f"--reading {check_id}: not a YAML value ({why})") from None


def record_readings(results: Path, *, student: str, submission: str | None, confirm: Sequence[str],
                    corrections: Sequence[tuple[str, str]], comment: str, by: str, assignment: str | None) -> int:
    """``grade review --confirm/--reading``: every reading is checked before any is recorded."""
    from grader.classmode.publish import publish
    from grader.classmode.review import ReviewError, checks_of, effective_results, resolve_entries

    try:
        with Gradebook.open(results, create=False, exclusive=True) as gb:
            assignment = assignment or gb.meta("assignment")
            if assignment is None:
                raise ConfirmError(f"{gb.path}: no submission has been graded into it yet")
            items = effective_results(gb, assignment)
            target = _target(items, student, submission)
            raw = SubmissionResult.from_json(target.row.result_json or "{}")
            checks = {f"{q.id}.{c.id}": c for q in raw.questions for c in q.checks}
            plan = _plan(gb, assignment)
            asked = [(cid, None) for cid in confirm] + [(cid, text) for cid, text in corrections]
            entries, problems, said = [], [], []
            for cid, text in asked:
                check = checks.get(cid)
                reading = check.details.get("reading") if check is not None else None
                if not isinstance(reading, dict):
                    what = "no such check" if check is None else f"it is {check.status.value}, not a value waiting for a TA"
                    problems.append(f"{cid} of {target.row.submission}: nothing read from a report to confirm ({what})")
                    continue
                try:
                    value = reading.get("value") if text is None else _correction(cid, text)
                    score, verdict = grade_reading(plan, cid, reading, value, report=None)
                except ConfirmError as err:
                    problems.append(str(err))
                    continue
                how = "confirmed" if text is None else "corrected"
                note = f"the report's {reading.get('path')} {how} by a TA as {_short(value)}: {verdict}"
                entries.append({"student": student, "submission": submission, "check": cid, "score": score,
                                "comment": f"{comment.strip()}; {note}" if comment.strip() else note, "by": by,
                                "where": f"--{'confirm' if text is None else 'reading'} {cid}"})
                said.append(f"{cid}: {_short(value, 60)} -> {verdict}")
            if problems:
                raise ConfirmError("\n".join(problems))
            resolved = resolve_entries(entries, checks=checks_of(gb), items=items, default_by=by)
            stored = gb.add_overrides(assignment, resolved)
            report = publish(results, gb, assignment, only=sorted({r["target"] for r in resolved}))
            for w in report.warnings:
                print(f"warning: {for_terminal(w, newlines=False)}", file=sys.stderr)
            for o, line in zip(stored, said):
                print(for_terminal(f"recorded {o.check_id} = {o.score:g} for {o.student} by {o.by} ({line})",
                                   newlines=False))
            return 0
    except ReviewError as err:
        print("error: " + "\n  ".join(err.problems), file=sys.stderr)
        return 2
    except (ConfirmError, GradebookError, RubricError) as err:
        print("error: " + for_terminal(str(err), newlines=True), file=sys.stderr)
        return 2


def _target(items: Sequence[Any], student: str, submission: str | None) -> Any:
    mine = [e for e in items if e.student == student and (submission is None or e.row.submission == submission)]
    if not mine:
        mine = [e for e in items if e.row.submission == student]
    if len(mine) != 1:
        known = sorted({e.student for e in items})[:8]
        what = "no submission" if not mine else f"{len(mine)} submissions (name one with --submission)"
        raise ConfirmError(f"student {student!r} has {what}; students: {', '.join(known) or 'none'}")
    if mine[0].row.result_json is None:
        raise ConfirmError(f"{mine[0].row.submission} could not be graded ({mine[0].row.failure or 'no result'})")
    return mine[0]
