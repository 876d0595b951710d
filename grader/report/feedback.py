"""The feedback page's view model: what the template draws for one submission (questions,
checks, their views, figures and manual items), built from a SubmissionResult for one
audience. It decides no score; it chooses what each audience may see."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from grader.report.audience import for_students, student_notes
from grader.report.charts import line_chart
from grader.report.format import _anchor, _fraction, _status_info, fmt_number
from grader.results import (
    CheckResult,
    CurvesView,
    MatrixView,
    MismatchView,
    QuestionResult,
    Status,
    SubmissionResult,
    TableView,
    TextView,
    TruthTableView,
    View,
    Visibility,
)

Audience = Literal["student", "instructor"]


_HIDDEN = {"key": "hidden", "label": "hidden check", "icon": "•"}


@dataclass(frozen=True)
class Cell:
    text: str
    expected: str | None = None  # shown beside a wrong cell
    wrong: bool = False


def _view_model(view: View) -> dict[str, Any]:
    """What the template draws for one typed view."""
    if isinstance(view, MatrixView):
        wrong = {tuple(w) for w in view.wrong}
        grid = []
        for i, row in enumerate(view.got):
            cells = []
            for j, v in enumerate(row):
                exp = view.expected[i][j] if i < len(view.expected) and j < len(view.expected[i]) else None
                bad = (i, j) in wrong
                cells.append(Cell(text="not a number" if v is None else fmt_number(v),
                                  expected=fmt_number(exp) if bad and exp is not None else None, wrong=bad))
            grid.append(cells)
        return {"type": "matrix", "grid": grid, "n_wrong": len(wrong),
                "n_total": sum(len(r) for r in view.got), "n_cols": max((len(r) for r in view.got), default=0)}
    if isinstance(view, TruthTableView):
        failing = set(view.failing)
        rows = [{"cells": [fmt_number(v) for v in row], "failing": i in failing} for i, row in enumerate(view.rows)]
        return {"type": "truth_table", "columns": view.columns, "rows": rows, "n_failing": len(failing)}
    if isinstance(view, CurvesView):
        return {"type": "curves", "title": view.title, "chart": line_chart(view)}
    if isinstance(view, TableView):
        wrong = {tuple(w) for w in view.wrong}
        cell_rows: list[list[Cell]] = []
        for i, texts in enumerate(view.rows):
            exp_row = view.expected_rows[i] if i < len(view.expected_rows) else []
            cell_rows.append([Cell(text=v, expected=exp_row[j] if (i, j) in wrong and j < len(exp_row) else None,
                              wrong=(i, j) in wrong) for j, v in enumerate(texts)])
        return {"type": "table", "columns": view.columns, "rows": cell_rows, "n_wrong": len(wrong),
                "compared_with": view.compared_with}
    if isinstance(view, MismatchView):
        groups = []
        for g in view.groups:
            groups.append({
                "path": g.path,
                "mismatched": g.mismatched,
                "total": g.total,
                "share": f"{100.0 * g.mismatched / max(g.total, 1):.1f}%",
                "max_abs": None if g.max_abs_diff is None else fmt_number(g.max_abs_diff),
                "max_abs_at": _index(g.max_abs_index),
                "max_rel": None if g.max_rel_diff is None else fmt_number(g.max_rel_diff),
                "max_rel_at": _index(g.max_rel_index),
                "allowed": _allowed(g.rtol, g.atol),
                "sample": [list(s) for s in g.sample],
            })
        return {"type": "mismatch", "groups": groups}
    if isinstance(view, TextView):
        return {"type": "text", "label": view.label, "text": view.text, "key": view.key}
    raise TypeError(f"no HTML rendering for view {type(view).__name__}")


def _index(idx: list[int] | None) -> str:
    if idx is None:
        return ""
    return "(" + ", ".join(str(i) for i in idx) + ("," if len(idx) == 1 else "") + ")" if idx else "the value"


def _allowed(rtol: float | None, atol: float | None) -> str:
    if rtol is None and atol is None:
        return ""
    return f"|got − expected| ≤ {fmt_number(atol or 0.0)} + {fmt_number(rtol or 0.0)} × |expected|"


@dataclass(frozen=True)
class CheckCard:
    id: str
    anchor: str
    manual_anchor: str
    status: dict[str, str]
    score: float
    max_score: float
    hidden: bool  # a hidden check
    redacted: bool  # hidden from this audience: only its points are shown
    message: str
    hint: str | None
    source: str | None
    traceback: list[str]
    output_tail: str | None
    limit: str | None
    views: list[dict[str, Any]]
    manual: bool  # waiting for a TA: its text is in the manual-review section
    raw_details: str | None  # instructors only
    diagnosis: dict[str, str] | None = None  # the named mistake or relation: "mistake", "explain", "evidence", "credit"
    figures: tuple[tuple[str, str], ...] = ()  # (data: URI, caption): figures the student's code drew, for this check


@dataclass(frozen=True)
class QuestionCard:
    id: str
    anchor: str
    title: str
    score: float
    max_score: float
    fraction: float
    status: dict[str, str]
    checks: list[CheckCard]
    pending: float  # points waiting for manual review
    bonus: bool = False  # its points are beyond the assignment's total


@dataclass(frozen=True)
class ManualCard:
    question: str
    question_title: str
    anchor: str
    check: str
    label: str
    points: float
    text: str
    key: str | None
    image: str | None = None  # a figure to score (a data: URI of a PNG/JPEG, checked by _figure_uri)
    suspended: str | None = None  # an earlier review score was given to another answer


_FIGURE_URI = re.compile(r"data:image/(png|jpeg);base64,[A-Za-z0-9+/]+={0,2}")


def _figure_uri(details: dict[str, Any]) -> str | None:
    """The inline figure of a `figure` check (grader.checks.figure), only when it is exactly
    a base64 PNG/JPEG data URI: nothing else reaches an <img src>."""
    uri = details.get("image")
    return uri if isinstance(uri, str) and _FIGURE_URI.fullmatch(uri) else None


def _check_figures(details: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The figures a `figure` check on a notebook shows beside itself: each exactly a
    base64 PNG/JPEG data URI (checked again here), with a short caption."""
    figures = details.get("figures")
    out: list[tuple[str, str]] = []
    for fig in figures[:4] if isinstance(figures, list) else []:
        if isinstance(fig, dict):
            uri = _figure_uri({"image": fig.get("image")})
            if uri is not None:
                caption = fig.get("caption")
                out.append((uri, caption[:300] if isinstance(caption, str) else ""))
    return tuple(out)


def _suspended_note(details: dict[str, Any]) -> str | None:
    review = details.get("review")
    if isinstance(review, dict) and review.get("suspended"):
        score = review.get("score")
        shown = f"{score:g}" if isinstance(score, (int, float)) else "?"
        return f"an earlier review score ({shown}) was suspended: the answer changed since it was scored"
    return None


@dataclass(frozen=True)
class FeedbackPage:
    title: str
    audience: str
    who: str
    student_id: str | None
    student_name: str | None
    submission: str
    assignment: str
    score: float
    max_score: float
    fraction: float
    counts: list[tuple[dict[str, str], int]]
    hidden_score: float
    hidden_max: float
    hidden_count: int
    pending: float
    questions: list[QuestionCard]
    manual: list[ManualCard]
    warnings: list[str]
    notes: list[str]
    cap_note: str | None = None  # "capped at 100: 103 earned" where the cap took points off


def _source_label(source: str | None) -> str | None:
    if not source:
        return None
    kind, _, rest = source.partition(":")
    if kind == "answers":
        return f"answers file: {rest}"
    if kind == "code":
        return f"your code: {rest.replace(':', ' → ', 1)}()"
    return source


def _output_tail(details: Mapping[str, Any]) -> str | None:
    tail = details.get("output_tail")
    if isinstance(tail, list):
        tail = "\n".join(str(t) for t in tail)
    return tail if isinstance(tail, str) and tail else None


def _check_card(q: QuestionResult, c: CheckResult, *, audience: Audience) -> CheckCard:
    hidden = c.visibility == Visibility.HIDDEN
    redacted = hidden and audience == "student"
    anchor = _anchor("q", q.id, c.id)
    manual_anchor = _anchor("manual", q.id, c.id)
    if redacted:
        # only the points: no status, message, details or views reach the page
        return CheckCard(id=c.id, anchor=anchor, manual_anchor=manual_anchor, status=_HIDDEN, score=c.score,
                         max_score=c.max_score, hidden=True, redacted=True, message="", hint=None, source=None,
                         traceback=[], output_tail=None, limit=None, views=[], manual=False, raw_details=None)
    manual = c.status == Status.MANUAL
    tb = c.details.get("traceback")
    said = for_students if audience == "student" else _same  # no path of the grading machine for students
    views = [_view_model(v) for v in c.views if not (manual and isinstance(v, TextView))]
    raw = None
    if audience == "instructor" and c.details:
        raw = json.dumps(c.details, indent=1, sort_keys=True, ensure_ascii=False, default=str)
    limit = c.details.get("limit")
    return CheckCard(
        id=c.id, anchor=anchor, manual_anchor=manual_anchor, status=_status_info(c.status), score=c.score,
        max_score=c.max_score, hidden=hidden, redacted=False, message=said(c.message),
        hint=said(c.hint) if c.hint and c.status != Status.PASS else None,
        source=_source_label(c.source),
        traceback=[said(str(t)) for t in tb] if isinstance(tb, list) else ([said(tb)] if isinstance(tb, str) else []),
        output_tail=said(tail) if (tail := _output_tail(c.details)) else None, limit=None if limit is None else str(limit),
        views=views, manual=manual, raw_details=raw, diagnosis=_diagnosis(c), figures=_check_figures(c.details),
    )


def _diagnosis(c: CheckResult) -> dict[str, str] | None:
    """The diagnosis of a check (grader.engine.diagnosed) as short strings for the page."""
    d = c.details.get("diagnosis")
    if not isinstance(d, dict) or not isinstance(d.get("evidence"), str):
        return None
    out = {k: str(d[k])[:600] if isinstance(d.get(k), str) else "" for k in ("mistake", "explain", "evidence")}
    credit = d.get("credit")
    out["credit"] = "" if not isinstance(credit, (int, float)) else \
        "an accepted convention" if credit >= 1 else f"accepted for {credit:.0%} of the points"
    return out


def _feedback_page(result: SubmissionResult, *, audience: Audience) -> FeedbackPage:
    questions: list[QuestionCard] = []
    manual: list[ManualCard] = []
    counts: Counter[Status] = Counter()
    hidden_score = hidden_max = 0.0
    hidden_count = 0
    for q in result.questions:
        cards = [_check_card(q, c, audience=audience) for c in q.checks]
        for c, card in zip(q.checks, cards):
            if card.redacted:
                hidden_count += 1
                hidden_score += c.score
                hidden_max += c.max_score
            else:
                counts[c.status] += 1
            if card.manual:
                text = next((v for v in c.views if isinstance(v, TextView)), None)
                manual.append(ManualCard(
                    question=q.id, question_title=q.title, anchor=card.manual_anchor, check=c.id,
                    label=text.label if text else c.id, points=c.max_score, text=text.text if text else "",
                    key=(text.key if text else None) if audience == "instructor" else None,
                    image=_figure_uri(c.details), suspended=_suspended_note(c.details)))
        pending = sum(c.max_score for c in q.checks if c.status == Status.MANUAL)
        questions.append(QuestionCard(id=q.id, anchor=_anchor("q", q.id), title=q.title, score=q.score,
                                      max_score=q.max_score, fraction=_fraction(q.score, q.max_score),
                                      status=_status_info(q.status), checks=cards, pending=pending, bonus=q.bonus))
    sid, name = result.student.get("id"), result.student.get("name")
    who = name or sid or result.submission
    order = [Status.PASS, Status.PARTIAL, Status.FAIL, Status.ERROR, Status.MISSING, Status.MANUAL]
    return FeedbackPage(
        title=f"{result.assignment}: feedback for {who}",
        audience=audience,
        who=who,
        student_id=sid,
        student_name=name,
        submission=result.submission,
        assignment=result.assignment,
        score=result.score,
        max_score=result.max_score,
        fraction=_fraction(result.score, result.max_score),
        counts=[(_status_info(s), counts[s]) for s in order if counts[s]],
        hidden_score=hidden_score,
        hidden_max=hidden_max,
        hidden_count=hidden_count,
        pending=sum(q.pending for q in questions),
        questions=questions,
        manual=manual,
        warnings=list(result.warnings) if audience == "instructor" else [for_students(w) for w in result.warnings],
        notes=[*result.notes, *result.staff_notes] if audience == "instructor" else student_notes(result),
        cap_note=result.cap_note,
    )


def _same(text: str) -> str:
    return text
