"""A value read from a report that is not sure enough to score: the check waits for a TA.

The engine asks :func:`waiting_outcome` before grading an answer check. Where the value
the check needs (or part of it: a weight vector under ``problem2.q2_2``) was read below
the rubric's ``writeup.review_below``, the check is not graded: it is ``manual``, its
message tells the student "read from your report, waiting for a TA", its text view shows
the report's excerpt with page and line (what the review queue lists), and
``details.reading`` keeps the value as read, for ``grade review --confirm`` (which grades
the check on that value, or on the TA's correction, and stores the score as a review
score: see :mod:`grader.classmode.readings`). The report's sha256 is part of the details, so a
changed report changes the check's evidence and suspends an earlier confirmation.
"""

from __future__ import annotations

import copy
from typing import Any

from grader.answers import Answers, Reading
from grader.checks.base import CheckOutcome, plain
from grader.results import Status, TextView

__all__ = ["WAITING", "reading_value", "waiting_outcome"]

WAITING = "read from your report, waiting for a TA"
_MAX_SHOWN = 120


def reading_value(answers: Answers, path: str, readings: list[Reading]) -> Any:
    """The value at ``path`` as read: what was scored-sure, with the pending parts put in."""
    base, _ = answers.get(path)
    value: Any = copy.deepcopy(base) if isinstance(base, dict) else None
    for r in readings:
        if r.path == path:
            return r.value
        rel = r.path[len(path) + 1:].split(".")
        if value is None:
            value = {}
        node = value
        for part in rel[:-1]:
            nxt = node.setdefault(part, {})
            if not isinstance(nxt, dict):
                break
            node = nxt
        else:
            node[rel[-1]] = r.value
    return value


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else " ".join(value.split())
    if isinstance(value, bool):
        text = "true" if value else "false"
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def waiting_outcome(spec: Any, answers: Answers) -> CheckOutcome | None:
    """The check's verdict while its value waits for a TA; None when nothing it needs is pending."""
    path = getattr(spec, "answer", None)
    if not path or not answers.pending:
        return None
    readings = answers.readings_under(path)
    if not readings:
        return None
    value = reading_value(answers, path, readings)
    where = readings[0].where
    how = "; ".join(dict.fromkeys(f"{r.how} (confidence {r.confidence:.2f})" for r in readings))
    message = f"{WAITING}: {path} = {_short(value)} ({where}; {how})"
    excerpt = "\n".join(f"{r.where}: {r.excerpt}" for r in readings)
    details = {"reading": {"path": path, "value": plain(value), "where": [r.where for r in readings],
                           "confidence": min(r.confidence for r in readings), "report": answers.report_digest,
                           "check": spec.id}}
    view = TextView(label=f"read from the report ({where})", text=excerpt)
    return CheckOutcome(status=Status.MANUAL, fraction=0.0, message=message, details=details, views=[view])
