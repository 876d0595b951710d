"""What the grader prints to a terminal: the per-question summary of one submission, and
the one function every printer goes through, :func:`for_terminal`.

Everything printed may carry text a student chose (file and archive entry names, student
ids and names, answers, messages quoting them). A terminal runs the control sequences in
it: a window title, a clipboard write (OSC 52), a cleared screen, a line rewritten with
``\\r``. :func:`for_terminal` turns every control character (C0 but newline, DEL, C1),
the bidirectional overrides and isolates, the line/paragraph separators and lone
surrogates (undecodable file names) into visible escapes such as ``\\x1b`` or ``\\u202e``,
so what a TA sees is text, never a command. ``grader.cli`` also installs
:class:`TerminalStream` over stdout and stderr, so a printer that forgot to call it is
still safe.
"""

from __future__ import annotations

from grader.report.audience import for_students, student_notes
from grader.report.escape import TerminalStream, for_terminal
from grader.results import Status, SubmissionResult, fmt_points

__all__ = ["TerminalStream", "for_terminal", "render_markdown", "render_summary"]

_MARK = {
    Status.PASS: "pass",
    Status.PARTIAL: "partial",
    Status.FAIL: "FAIL",
    Status.ERROR: "ERROR",
    Status.MISSING: "missing",
    Status.MANUAL: "manual",
}


def _first_line(text: str, width: int | None) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if width is None or len(line) <= width else line[: max(width, 20) - 1] + "…"


def render_summary(result: SubmissionResult, *, quiet: bool = False, width: int | None = None,
                   audience: str = "student", scope: str | None = None) -> str:
    """The per-question summary. For a student (the kit, its CI) messages name no path of
    the grading machine and the sandbox's staff notes are one plain line; an instructor
    sees the staff notes (`grader.report.audience`). `width`: the terminal's columns, to
    fit each message on its line (None: never cut, as in a log or a pipe). `scope`: why the
    total is not the assignment's (public checks only), printed beside it."""
    said = for_students if audience == "student" else (lambda text: text)
    total = f"total: {fmt_points(result.score)} / {fmt_points(result.max_score)}" + _aside(scope, result.cap_note)
    if quiet:
        return total
    who = for_terminal(result.student.get("id") or result.submission, newlines=False)
    lines = [f"{result.assignment} — {who}", ""]
    idw = max(len(q.id) for q in result.questions)
    for q in result.questions:
        # the most informative check message: the first one not passing, else the first
        pick = next((c for c in q.checks if c.status not in (Status.PASS,) and c.max_score > 0), None) or q.checks[0]
        msg = _first_line(said(pick.message), None if width is None else width - idw - 24)
        if pick.visibility.value == "hidden" and pick.status != Status.PASS:
            msg = "(hidden check)"
        lines.append(f"  {q.id:<{idw}}  {fmt_points(q.score):>5}/{fmt_points(q.max_score):<4} {_MARK[q.status]:<8} "
                     + ("(bonus) " if q.bonus else "") + for_terminal(msg, newlines=False))
    lines.append("")
    for w in result.warnings:
        lines.append("warning: " + for_terminal(said(w), newlines=False))
    notes = student_notes(result) if audience == "student" else [*result.notes, *result.staff_notes]
    for n in notes:
        lines.append("note: " + for_terminal(n, newlines=False))
    manual = sum(1 for q in result.questions for c in q.checks if c.status == Status.MANUAL)
    if manual:
        lines.append(f"{manual} item(s) left for manual review (not included in the total yet)")
    lines.append(total)
    return "\n".join(lines)


def _aside(*parts: str | None) -> str:
    """ " (a; b)" for the parts given (why the total is not the assignment's, the cap), else ""."""
    given = [p for p in parts if p]
    return f" ({'; '.join(given)})" if given else ""


def _md_cell(text: str) -> str:
    """Text for one Markdown table cell: one line, pipes and HTML escaped (never cut)."""
    flat = for_terminal(" ".join(text.split()), newlines=False)
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|") or " "


def render_markdown(result: SubmissionResult, *, scope: str | None = None) -> str:
    """The summary as Markdown for a CI job summary (GitHub's $GITHUB_STEP_SUMMARY): one
    table row per check with its whole message (a student's, so no grading-machine path),
    the notes, and the total with its scope. Nothing is cut to a width."""
    lines = [f"## {_md_cell(result.assignment)}: {_md_cell(result.student.get('id') or result.submission)}", ""]
    if scope:
        lines += [f"**{_md_cell(scope)}**", ""]
    lines += ["| question | check | points | status | message |", "|---|---|---:|---|---|"]
    for q in result.questions:
        for c in q.checks:
            hidden = c.visibility.value == "hidden" and c.status != Status.PASS
            msg = "(hidden check)" if hidden else for_students(c.message)
            lines.append(f"| {_md_cell(q.id)}{' (bonus)' if q.bonus else ''} | {_md_cell(c.id)} | {fmt_points(c.score)} / {fmt_points(c.max_score)} | "
                         f"{_MARK[c.status]} | {_md_cell(msg)} |")
    lines.append("")
    for w in result.warnings:
        lines.append(f"- warning: {_md_cell(for_students(w))}")
    for n in student_notes(result):
        lines.append(f"- note: {_md_cell(n)}")
    manual = [c for q in result.questions for c in q.checks if c.status == Status.MANUAL]
    if manual:
        lines.append(f"- {len(manual)} item(s) worth {fmt_points(sum(c.max_score for c in manual))} points are left for the "
                     "course staff to grade (not in the total yet)")
    lines += ["", f"**total: {fmt_points(result.score)} / {fmt_points(result.max_score)}**"
              + _aside(_md_cell(scope) if scope else None, result.cap_note), ""]
    return "\n".join(lines)
