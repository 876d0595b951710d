"""Plain-text summary for the terminal: one row per question, then the total."""

from __future__ import annotations

from grader.results import Status, SubmissionResult

_MARK = {
    Status.PASS: "pass",
    Status.PARTIAL: "partial",
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.MISSING: "missing",
    Status.MANUAL: "manual",
}


def _first_line(text: str, width: int) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[: width - 1] + "…"


def render_summary(result: SubmissionResult, *, quiet: bool = False, width: int = 100) -> str:
    total = f"total: {result.score:g} / {result.max_score:g}"
    if quiet:
        return total
    who = result.student.get("id") or result.submission
    lines = [f"{result.assignment} — {who}", ""]
    idw = max(len(q.id) for q in result.questions)
    for q in result.questions:
        # the most informative check message: the first one not passing, else the first
        pick = next((c for c in q.checks if c.status not in (Status.PASS,) and c.max_score > 0), None) or q.checks[0]
        msg = _first_line(pick.message, width - idw - 24)
        if pick.visibility.value == "hidden" and pick.status != Status.PASS:
            msg = "(hidden check)"
        lines.append(f"  {q.id:<{idw}}  {q.score:>5g}/{q.max_score:<4g} {_MARK[q.status]:<8} {msg}")
    lines.append("")
    for w in result.warnings:
        lines.append(f"warning: {w}")
    for n in result.notes:
        lines.append(f"note: {n}")
    manual = sum(1 for q in result.questions for c in q.checks if c.status == Status.MANUAL)
    if manual:
        lines.append(f"{manual} item(s) left for manual review (not included in the total yet)")
    lines.append(total)
    return "\n".join(lines)
