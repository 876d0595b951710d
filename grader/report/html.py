"""HTML reports: feedback for one submission, and a class report for instructors.

Both pages are rendered from jinja2 templates (``grader/templates``) with autoescaping on:
everything a student wrote (ids, names, answers, printed output, exception text) reaches
the page escaped. Each page is one self-contained file: inline CSS, inline SVG charts, no
network, and nothing that needs JavaScript to be read (the class report carries a small
optional script that makes its table sortable by clicking a column; without it the table
is pre-sorted by name, with a copy sorted by score).

This module only prepares what the templates draw (formatted numbers, chart geometry,
class statistics); it never decides a score.

Public API::

    render_feedback(result, *, audience="student", renderer=None) -> str
    render_class_report(results, *, failures=(), links=None, timings=None,
                        manual_queue=None, title=None, renderer=None) -> str
    manual_items(results) -> list[ManualItem]      # the default manual-review queue
    HtmlRenderer()                                 # reuse one for many pages (batch)
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Literal
from urllib.parse import quote, urlsplit

import jinja2

from grader.report.audience import for_students, student_notes
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
    round_score,
)

__all__ = [
    "Audience",
    "GradingFailure",
    "HtmlRenderer",
    "ManualItem",
    "manual_items",
    "render_class_report",
    "render_feedback",
]

Audience = Literal["student", "instructor"]

LOW_DISCRIMINATION = 0.2  # questions below this item-rest correlation are flagged
HISTOGRAM_BINS = 10
TOP_WRONG_ANSWERS = 5
EXCERPT_CHARS = 240

_STATUS_LABEL = {
    Status.PASS: "passed",
    Status.PARTIAL: "partly right",
    Status.FAIL: "wrong",
    Status.ERROR: "error",
    Status.MISSING: "not submitted",
    Status.MANUAL: "manual review",
}
_STATUS_ICON = {
    Status.PASS: "✓",
    Status.PARTIAL: "◐",
    Status.FAIL: "✗",
    Status.ERROR: "!",
    Status.MISSING: "∅",
    Status.MANUAL: "✎",
}
_HIDDEN = {"key": "hidden", "label": "hidden check", "icon": "•"}


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True)
class GradingFailure:
    """A submission that could not be graded at all (unreadable archive, two answers
    files, the grader timed out on it...), with the reason in one line."""

    submission: str
    reason: str
    kind: Literal["error", "timeout", "rejected"] = "error"


@dataclass(frozen=True)
class ManualItem:
    """One answer waiting for a TA: which submission, question and check, the points at
    stake, the student's text (may be empty for purely manual items) and the key."""

    submission: str
    question: str
    check: str
    label: str
    points: float
    text: str = ""
    key: str | None = None
    suspended: str | None = None  # an earlier review score was suspended: the answer changed


def manual_items(results: Iterable[SubmissionResult]) -> list[ManualItem]:
    """Every check left for manual review (status `manual`), in submission then rubric
    order. Class mode may filter this list (e.g. drop items a TA has already scored)
    before passing it as `manual_queue`."""
    items: list[ManualItem] = []
    for r in results:
        for q in r.questions:
            for c in q.checks:
                suspended = _suspended_note(c.details)
                if c.status != Status.MANUAL and suspended is None:
                    continue
                text = next((v for v in c.views if isinstance(v, TextView)), None)
                items.append(ManualItem(submission=r.submission, question=q.id, check=c.id,
                                        label=text.label if text else c.id, points=c.max_score,
                                        text=text.text if text else (c.message if suspended else ""),
                                        key=text.key if text else None, suspended=suspended))
    return items


# --------------------------------------------------------------------------- renderer


class HtmlRenderer:
    """Holds the template environment, so a batch renders many pages without reloading
    templates. `render_feedback` and `render_class_report` make a fresh one per call."""

    def __init__(self) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("grader", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._env.filters["num"] = fmt_number
        self._env.filters["pct"] = _pct
        self._env.filters["points"] = _points

    def feedback(self, result: SubmissionResult, *, audience: Audience = "student") -> str:
        if audience not in ("student", "instructor"):
            raise ValueError(f"audience must be 'student' or 'instructor', not {audience!r}")
        page = _feedback_page(result, audience=audience)
        # a figure to score or one the code drew: data: images only, nothing fetched
        img_data = any(m.image for m in page.manual) or any(c.figures for q in page.questions for c in q.checks)
        return self._env.get_template("feedback.html.j2").render(page=page, title=page.title, script_hash=None,
                                                                 img_data=img_data)

    def class_report(
        self,
        results: Sequence[SubmissionResult],
        *,
        failures: Sequence[GradingFailure] = (),
        links: Mapping[str, str] | None = None,
        timings: Mapping[str, float] | None = None,
        manual_queue: Sequence[ManualItem] | None = None,
        title: str | None = None,
    ) -> str:
        page = _class_page(results, failures=failures, links=links, timings=timings,
                           manual_queue=manual_queue, title=title)
        # the page's one script (sorting) is allowed by its hash in the page's CSP; no other
        # script can run, even if something slipped through escaping
        script = self._env.get_template("sort.js.j2").render()
        digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
        return self._env.get_template("class_report.html.j2").render(
            page=page, title=page.title, script_hash=digest, low_discrimination=LOW_DISCRIMINATION)


def render_feedback(result: SubmissionResult, *, audience: Audience = "student",
                    renderer: HtmlRenderer | None = None) -> str:
    """One submission's feedback page. For students, hidden checks show only their points;
    for instructors, everything (hidden checks, the key's explanations, raw details).

    Compiling the templates costs tens of milliseconds: to render many pages, create one
    `HtmlRenderer()` and pass it as `renderer` (about 3 ms a page then)."""
    return (renderer or HtmlRenderer()).feedback(result, audience=audience)


def render_class_report(
    results: Sequence[SubmissionResult],
    *,
    failures: Sequence[GradingFailure] = (),
    links: Mapping[str, str] | None = None,
    timings: Mapping[str, float] | None = None,
    manual_queue: Sequence[ManualItem] | None = None,
    title: str | None = None,
    renderer: HtmlRenderer | None = None,
) -> str:
    """The class report for instructors.

    results: the graded submissions (one per submission; order does not matter).
    failures: submissions that could not be graded at all, with the reason.
    links: submission name -> href of its feedback page (relative to the report), e.g.
        {"alice": "alice.html"}; hrefs are URL-quoted and never allowed a scheme other
        than http(s). None: no links.
    timings: submission name -> grading wall time in seconds. None: taken from each
        result's `timings["total_s"]` where it was recorded.
    manual_queue: the answers waiting for a TA. None: every `manual` check of `results`
        (see `manual_items`).
    title: the page title; default "<assignment>: class report".
    renderer: a template environment to reuse (see `render_feedback`).
    """
    return (renderer or HtmlRenderer()).class_report(results, failures=failures, links=links, timings=timings,
                                       manual_queue=manual_queue, title=title)


# --------------------------------------------------------------------------- formatting


def fmt_number(v: Any) -> str:
    """Numbers as people write them: 6 significant digits, whole numbers without '.0',
    None (a non-finite value) as '—'."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.6g}"
    return str(v)


def _points(v: float) -> str:
    return f"{round(v, 2):g}"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100.0 * v:.0f}%"


def _status_info(status: Status) -> dict[str, str]:
    return {"key": status.value, "label": _STATUS_LABEL[status], "icon": _STATUS_ICON[status]}


def safe_href(href: str) -> str:
    """A link target that cannot run script: an http(s) URL, or else a file path relative
    to the page (percent-quoted, so a name like "javascript:..." stays a file name)."""
    if urlsplit(href).scheme.lower() in ("http", "https"):
        return quote(href, safe="/#?&=%.-_~+:@")
    path = quote(href, safe="/")
    return "./" + path.lstrip("/") if path.startswith("//") else path


# --------------------------------------------------------------------------- charts


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    name: str
    style: int  # 0: the student's, 1: the reference's, 2+: others
    segments: list[str]  # SVG polyline point lists; a non-finite value breaks the line
    dots: list[Marker]
    breaks: list[Marker]  # where the value was not finite (or not positive on a log axis)


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    lines: list[Line]
    x_label: str
    y_label: str
    log_y: bool
    empty: bool
    rows: list[list[str]]  # epoch, then each series' value: the same data as a table
    series_names: list[str]


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= m * mag:
            return m * mag
    return 10.0 * mag


def line_chart(view: CurvesView, *, width: int = 640, height: int = 280) -> LineChart:
    """The geometry of a curves view: x is the 1-based step (epoch), y linear or log10.
    None values (non-finite) and, on a log axis, values <= 0 break the line and are
    marked at the top (non-finite) or bottom (<= 0) edge."""
    left, right, top, bottom = 70.0, width - 16.0, 14.0, height - 44.0
    n = max((len(s.values) for s in view.series), default=0)
    log = view.log_y

    def plottable(v: float | None) -> bool:
        return v is not None and math.isfinite(v) and (v > 0 or not log)

    vals = [float(v) for s in view.series for v in s.values if v is not None and plottable(v)]
    rows = [[str(i + 1)] + [fmt_number(s.values[i]) if i < len(s.values) else "" for s in view.series]
            for i in range(n)]
    names = [s.name for s in view.series]
    if not vals or n == 0:
        return LineChart(width, height, left, right, top, bottom, [], [], [], view.x_label, view.y_label, log,
                         True, rows, names)
    # axis coordinates: log10(v), or v / scale so that no arithmetic overflows near 1e308
    scale = 1.0 if log else (max(abs(min(vals)), abs(max(vals))) or 1.0)

    def tr(v: float) -> float:
        return math.log10(v) if log else v / scale

    lo, hi = tr(min(vals)), tr(max(vals))
    y_ticks: list[Tick] = []
    if log:
        lo_d, hi_d = math.floor(lo), math.ceil(hi)
        if hi_d == lo_d:
            hi_d += 1
        every = max(1, math.ceil((hi_d - lo_d) / 6))
        lo, hi = float(lo_d), float(hi_d)
        decades = list(range(lo_d, hi_d + 1, every))
        y_ticks = [Tick(d, f"1e{d}" if d not in (0, 1, 2, 3) else fmt_number(10.0 ** d)) for d in decades]
    else:
        if hi - lo < 1e-12:
            pad = abs(hi) * 0.1 or 1.0
            lo, hi = lo - pad, hi + pad
        step = _nice_step(hi - lo, 5)
        lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
        for k in range(round((hi - lo) / step) + 1):
            t = lo + k * step
            y_ticks.append(Tick(t, fmt_number(float(f"{t * scale:.6g}"))))

    def px(i: int) -> float:
        return (left + right) / 2 if n == 1 else left + (right - left) * i / (n - 1)

    def py(t: float) -> float:
        return bottom - (bottom - top) * (t - lo) / (hi - lo)

    y_ticks = [Tick(round(py(t.pos), 2), t.label) for t in y_ticks]
    x_every = max(1, math.ceil(n / 10))
    x_ticks = [Tick(round(px(i), 2), str(i + 1)) for i in range(0, n, x_every)]
    lines: list[Line] = []
    for k, s in enumerate(view.series):
        segments: list[str] = []
        current: list[str] = []
        dots: list[Marker] = []
        breaks: list[Marker] = []
        for i, v in enumerate(s.values):
            if v is not None and plottable(v):
                x, y = round(px(i), 2), round(py(tr(float(v))), 2)
                current.append(f"{x},{y}")
                dots.append(Marker(x, y, f"{s.name}, {view.x_label} {i + 1}: {fmt_number(v)}"))
            else:
                if current:
                    segments.append(" ".join(current))
                    current = []
                edge = top if v is None else bottom
                what = "not finite (nan or inf)" if v is None else f"{fmt_number(v)} (not shown on a log axis)"
                breaks.append(Marker(round(px(i), 2), edge, f"{s.name}, {view.x_label} {i + 1}: {what}"))
        if current:
            segments.append(" ".join(current))
        lines.append(Line(name=s.name, style=min(k, 5), segments=segments,
                          dots=dots if n <= 40 else [], breaks=breaks))
    return LineChart(width, height, left, right, top, bottom, x_ticks, y_ticks, lines, view.x_label,
                     view.y_label, log, False, rows, names)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    count: int
    label: str
    title: str


@dataclass(frozen=True)
class Histogram:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bars: list[Bar]
    y_ticks: list[Tick]
    mean_x: float | None
    mean_label: str
    x_label: str
    end_label: str


def histogram(scores: Sequence[float], max_score: float, *, bins: int = HISTOGRAM_BINS,
              width: int = 640, height: int = 240) -> Histogram:
    """Counts of total scores in `bins` equal bins over [0, max_score] (the last bin
    includes max_score), and where the mean falls."""
    left, right, top, bottom = 44.0, width - 12.0, 30.0, height - 44.0
    top_score = max_score if max_score > 0 else max(scores, default=1.0) or 1.0
    counts = [0] * bins
    for s in scores:
        i = int(min(max(s, 0.0), top_score) / top_score * bins)
        counts[min(i, bins - 1)] += 1
    peak = max(counts, default=0) or 1
    step = max(1, math.ceil(peak / 5))
    y_top = math.ceil(peak * 1.12 / step) * step  # room above the tallest bar for its count
    slot = (right - left) / bins
    bars = []
    for i, c in enumerate(counts):
        a, b = top_score * i / bins, top_score * (i + 1) / bins
        h = (bottom - top) * c / y_top
        closing = "]" if i == bins - 1 else ")"
        bars.append(Bar(x=round(left + i * slot + 2, 2), y=round(bottom - h, 2), w=round(slot - 4, 2), h=round(h, 2),
                        count=c, label=f"{_points(a)}",
                        title=f"[{_points(a)}, {_points(b)}{closing}: {c} submission{'s' if c != 1 else ''}"))
    y_ticks = [Tick(round(bottom - (bottom - top) * v / y_top, 2), str(v)) for v in range(0, y_top + 1, step)]
    mean = statistics.fmean(scores) if scores else None
    mean_x = None if mean is None else round(left + (right - left) * min(max(mean, 0), top_score) / top_score, 2)
    return Histogram(width, height, left, right, top, bottom, bars, y_ticks, mean_x,
                     "" if mean is None else f"mean {_points(mean)}", f"total score (of {_points(top_score)})",
                     _points(top_score))


# --------------------------------------------------------------------------- views


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


# --------------------------------------------------------------------------- feedback page


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


def _anchor(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", p) for p in parts)


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


def _fraction(score: float, max_score: float) -> float:
    return min(max(score / max_score, 0.0), 1.0) if max_score > 0 else 0.0


# --------------------------------------------------------------------------- class statistics


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r, or None when either side has no variance (or fewer than 3 pairs)."""
    n = len(xs)
    if n < 3 or n != len(ys):
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


_ALLOWED_SUFFIX = re.compile(r"\s*\(allowed:[^)]*\)\s*$")
_FILE_LINE = re.compile(r"(\.(?:py|ipynb)):\d+")


def wrong_answer(c: CheckResult) -> str | None:
    """A short, normalized description of what a failing check received, so identical
    wrong answers group together: the student's choice, weights, wrong cells, or else
    the message without the tolerance and line numbers."""
    if c.status not in (Status.FAIL, Status.PARTIAL):
        return None
    d = c.details
    if "given" in d:
        g = d["given"]
        if isinstance(g, str):
            return " ".join(g.split()).casefold() or '""'
        return fmt_number(g) if isinstance(g, (int, float, bool)) else json.dumps(g, sort_keys=True)
    if isinstance(d.get("table_problems"), list):  # right weights, only the truth table disagrees with them
        return f"truth table disagrees with the weights ({len(d['table_problems'])} problem{'s' if len(d['table_problems']) != 1 else ''})"
    if isinstance(d.get("weights"), list):
        return "w = [" + ", ".join(fmt_number(v) for v in d["weights"]) + "]"
    for v in c.views:
        if isinstance(v, MatrixView) and v.wrong:
            cells = [f"({i + 1},{j + 1}) = {fmt_number(v.got[i][j])}" for i, j in v.wrong[:6]]
            more = f" and {len(v.wrong) - 6} more" if len(v.wrong) > 6 else ""
            return f"{len(v.wrong)} wrong: " + ", ".join(cells) + more
        if isinstance(v, TableView) and v.wrong:
            cells = [f"{v.rows[i][0]} {v.columns[j]} = {v.rows[i][j]}" for i, j in v.wrong[:4]
                     if i < len(v.rows) and j < len(v.rows[i]) and j < len(v.columns)]
            more = f" and {len(v.wrong) - 4} more" if len(v.wrong) > 4 else ""
            return ", ".join(cells) + more
    msg = _FILE_LINE.sub(r"\1", _ALLOWED_SUFFIX.sub("", c.message.strip().splitlines()[0] if c.message.strip() else ""))
    return msg[:160] + ("…" if len(msg) > 160 else "")


@dataclass(frozen=True)
class WrongAnswer:
    check: str
    answer: str
    count: int
    share: float


@dataclass(frozen=True)
class QuestionStats:
    id: str
    anchor: str
    title: str
    max_score: float
    mean: float | None
    mean_fraction: float
    pass_rate: float | None  # full marks on the auto-graded checks
    missing_rate: float | None
    error_rate: float | None
    discrimination: float | None
    low_discrimination: bool
    pending: int  # answers waiting for manual review
    wrong: list[WrongAnswer]
    mistakes: list["NamedMistake"] = field(default_factory=list)
    distribution: list[tuple[str, int]] = field(default_factory=list)  # (score, how many got it), lowest first


@dataclass(frozen=True)
class NamedMistake:
    """A known mistake of the rubric, with the students whose output matched it."""

    check: str
    name: str
    explain: str
    count: int
    share: float
    students: list[tuple[str, str | None]]  # (label, href of their page at the check)


@dataclass(frozen=True)
class QCell:
    text: str
    level: int  # 0..4: share of points, for the heat-map colour
    status: dict[str, str]
    title: str


@dataclass(frozen=True)
class StudentRow:
    submission: str
    student: str
    name: str
    href: str | None
    score: float
    fraction: float
    cells: list[QCell]
    time_s: float | None
    errors: int
    pending: int


@dataclass(frozen=True)
class CodeProblem:
    submission: str
    student: str
    href: str | None
    kind: str  # "timeout or limit" / "error"
    questions: list[str]
    more_questions: int
    reasons: list[str]
    more: int


@dataclass(frozen=True)
class QueueGroup:
    question: str
    check: str
    label: str
    points: float
    items: list[dict[str, Any]]
    key: str | None


@dataclass(frozen=True)
class ClassPage:
    title: str
    assignment: str
    n_graded: int
    n_failed: int
    max_score: float
    mean: float | None
    median: float | None
    stdev: float | None
    low: float | None
    high: float | None
    histogram: Histogram
    questions: list[QuestionStats]
    students_by_name: list[StudentRow]
    students_by_score: list[StudentRow]
    question_ids: list[str]
    question_labels: list[str]  # short column headings: "q1_1", "lab1.a"
    failures: list[GradingFailure]
    code_problems: list[CodeProblem]
    timing: dict[str, str] | None
    slowest: list[StudentRow]
    queue: list[QueueGroup]
    queue_total: int
    queue_points: float
    flags: list[str] = field(default_factory=list)  # what a person should look at: silent zeros, duplicate ids


def _auto_status(c: CheckResult) -> str:
    """The check's status as the grader gave it, before any TA score (`details.review`)."""
    review = c.details.get("review")
    if isinstance(review, dict) and isinstance(review.get("auto_status"), str):
        return str(review["auto_status"])
    return c.status.value


def _auto_verdict(q: QuestionResult) -> bool | None:
    """Full marks on the automatic checks of `q`, as graded (TA scores left out: a manual
    item scored in review, or an automatic check regraded on request, counts as the grader
    left it); None when the question has no automatic points."""
    auto = [c for c in q.checks if c.max_score > 0 and _auto_status(c) != Status.MANUAL.value]
    if not auto:
        return None
    return all(_auto_status(c) == Status.PASS.value for c in auto)


def _level(fraction: float) -> int:
    return 4 if fraction >= 0.999 else 3 if fraction >= 0.66 else 2 if fraction >= 0.33 else 1 if fraction > 0 else 0


def _question_stats(qid: str, title: str, results: Sequence[SubmissionResult],
                    href: Callable[[str], str | None] = lambda sub: None) -> QuestionStats:
    scores: list[float] = []
    rest: list[float] = []
    max_score = 0.0
    passed = eligible = missing = errored = pending = 0
    wrong: Counter[tuple[str, str]] = Counter()
    named: dict[tuple[str, str], list[tuple[str, str | None]]] = {}
    explain: dict[str, str] = {}
    for r in results:
        q = next((x for x in r.questions if x.id == qid), None)
        if q is None:
            continue
        max_score = max(max_score, q.max_score)
        scores.append(q.score)
        rest.append(r.score - q.score)
        verdict = _auto_verdict(q)
        if verdict is not None:
            eligible += 1
            passed += verdict
        missing += q.status == Status.MISSING
        errored += any(c.status == Status.ERROR for c in q.checks)
        pending += sum(c.status == Status.MANUAL for c in q.checks)
        for c in q.checks:
            d = c.details.get("diagnosis")
            if isinstance(d, dict) and isinstance(d.get("mistake"), str):  # named: not also listed as an unnamed wrong answer
                link = href(r.submission)
                named.setdefault((c.id, d["mistake"][:100]), []).append(
                    (_student_label(r), f"{link}#{_anchor('q', qid, c.id)}" if link else None))
                explain.setdefault(d["mistake"][:100], str(d.get("explain", ""))[:300])
                continue
            w = wrong_answer(c)
            if w is not None:
                wrong[(c.id, w)] += 1
    n = len(scores)
    dist = Counter(round_score(x) for x in scores)
    disc = pearson(scores, rest)
    top = sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_WRONG_ANSWERS]
    mean = statistics.fmean(scores) if scores else None
    return QuestionStats(
        id=qid, anchor=_anchor("stats", qid), title=title, max_score=max_score, mean=mean,
        mean_fraction=_fraction(mean or 0.0, max_score),
        pass_rate=passed / eligible if eligible else None,
        missing_rate=missing / n if n else None,
        error_rate=errored / n if n else None,
        discrimination=disc,
        low_discrimination=disc is not None and disc < LOW_DISCRIMINATION,
        pending=pending,
        distribution=[(_points(x), dist[x]) for x in sorted(dist)],
        wrong=[WrongAnswer(check=k[0], answer=k[1], count=v, share=v / n) for k, v in top],
        mistakes=[NamedMistake(check=k[0], name=k[1], explain=explain[k[1]], count=len(v), share=len(v) / n,
                               students=sorted(v, key=lambda s: s[0]))
                  for k, v in sorted(named.items(), key=lambda kv: (-len(kv[1]), kv[0]))],
    )


def _student_label(r: SubmissionResult) -> str:
    return r.student.get("id") or r.submission


_LEFT_OUT = ("not extracted", "not unpacked", "ignored ")  # how a submission's warnings and notes say files were not graded


def student_key_of(r: SubmissionResult) -> str:
    """The student a result belongs to: `student.id`, else the submission's name."""
    return (r.student.get("id") or "").strip() or r.submission


def count_once(results: Sequence[SubmissionResult]) -> tuple[list[SubmissionResult], list[str]]:
    """One result per student for the class statistics (the last submission by name where a
    student id is claimed by several), and a flag naming each id counted once."""
    by_key: dict[str, list[SubmissionResult]] = {}
    for r in sorted(results, key=lambda r: r.submission):
        by_key.setdefault(student_key_of(r), []).append(r)
    flags = [f"student id {key!r} is claimed by {len(rs)} submissions ({', '.join(r.submission for r in rs)}): "
             f"counted once in the statistics ({rs[-1].submission}); check which is theirs"
             for key, rs in sorted(by_key.items()) if len(rs) > 1]
    return [rs[-1] for rs in by_key.values()], flags


def silent_zeros(results: Sequence[SubmissionResult]) -> list[str]:
    """Submissions that scored 0 while files of theirs were left out (an archive inside a
    folder, a refused symbolic link, an entry not extracted): likely not the student's
    zero, and silent unless someone reads their warnings."""
    out = []
    for r in sorted(results, key=lambda r: r.submission):
        if r.score > 0:
            continue
        why = [line for line in (*r.warnings, *r.notes) if any(m in line for m in _LEFT_OUT)]
        if why:
            out.append(f"{r.submission} scored 0 with files left out: {'; '.join(why)[:400]}")
    return out


def _class_page(
    results: Sequence[SubmissionResult],
    *,
    failures: Sequence[GradingFailure],
    links: Mapping[str, str] | None,
    timings: Mapping[str, float] | None,
    manual_queue: Sequence[ManualItem] | None,
    title: str | None,
) -> ClassPage:
    assignments = sorted({r.assignment for r in results})
    assignment = ", ".join(assignments) or "assignment"
    order: dict[str, str] = {}
    for r in results:
        for q in r.questions:
            order.setdefault(q.id, q.title)
    qids = list(order)
    max_score = max((r.max_score for r in results), default=0.0)

    def href(sub: str) -> str | None:
        return safe_href(links[sub]) if links and sub in links else None

    def time_of(r: SubmissionResult) -> float | None:
        if timings is not None:
            return timings.get(r.submission)
        return r.timings.get("total_s") if r.timings else None

    rows: list[StudentRow] = []
    for r in results:
        by_id = {q.id: q for q in r.questions}
        cells = []
        for qid in qids:
            qr = by_id.get(qid)
            if qr is None:
                cells.append(QCell("—", 0, _status_info(Status.MISSING), f"{qid}: not graded"))
                continue
            f = _fraction(qr.score, qr.max_score)
            cells.append(QCell(_points(qr.score), _level(f), _status_info(qr.status),
                               f"{qid}: {_points(qr.score)} / {_points(qr.max_score)}, {_STATUS_LABEL[qr.status]}"))
        checks = [c for q in r.questions for c in q.checks]
        rows.append(StudentRow(
            submission=r.submission, student=_student_label(r), name=r.student.get("name", ""),
            href=href(r.submission), score=r.score, fraction=_fraction(r.score, r.max_score), cells=cells,
            time_s=time_of(r), errors=sum(c.status == Status.ERROR for c in checks),
            pending=sum(c.status == Status.MANUAL for c in checks)))
    by_name = sorted(rows, key=lambda s: ((s.name or s.student).casefold(), s.student, s.submission))
    by_score = sorted(rows, key=lambda s: (s.score, (s.name or s.student).casefold(), s.submission))

    problems: list[CodeProblem] = []
    for r in sorted(results, key=lambda x: x.submission):
        errs = [(q.id, c) for q in r.questions for c in q.checks if c.status == Status.ERROR]
        if not errs:
            continue
        reasons: list[str] = []
        for _, c in errs:
            line = c.message.strip().splitlines()[0] if c.message.strip() else c.id
            line = line.split(" | not counted:")[0]  # best_of: the alternative that counted
            if line not in reasons:
                reasons.append(line)
        affected = sorted({qid for qid, _ in errs}, key=qids.index)
        limited = any(c.details.get("limit") for _, c in errs) or any("timed out" in c.message for _, c in errs)
        problems.append(CodeProblem(
            submission=r.submission, student=_student_label(r), href=href(r.submission),
            kind="timeout or limit" if limited else "error",
            questions=affected[:6], more_questions=max(0, len(affected) - 6),
            reasons=reasons[:3], more=max(0, len(reasons) - 3)))

    times = [t for t in (s.time_s for s in rows) if t is not None]
    timing = None
    if times:
        timing = {"total": f"{sum(times):.1f} s", "mean": f"{statistics.fmean(times):.2f} s",
                  "median": f"{statistics.median(times):.2f} s", "max": f"{max(times):.2f} s"}
    slowest = sorted((s for s in rows if s.time_s is not None), key=lambda s: (-(s.time_s or 0.0), s.submission))[:5]

    queue_items = list(manual_queue) if manual_queue is not None else manual_items(results)
    label_of = {r.submission: _student_label(r) for r in results}
    groups: dict[tuple[str, str], list[ManualItem]] = {}
    for it in queue_items:
        groups.setdefault((it.question, it.check), []).append(it)
    rank = {qid: i for i, qid in enumerate(qids)}
    queue = []
    for (qid, cid), items in sorted(groups.items(), key=lambda kv: (rank.get(kv[0][0], len(rank)), kv[0])):
        items = sorted(items, key=lambda it: it.submission)
        queue.append(QueueGroup(
            question=qid, check=cid, label=items[0].label, points=items[0].points,
            key=next((it.key for it in items if it.key), None),
            items=[{"submission": it.submission, "student": label_of.get(it.submission, it.submission),
                    "href": href(it.submission), "excerpt": _excerpt(it.text), "suspended": it.suspended}
                   for it in items]))

    every = list(results)
    results, duplicated = count_once(every)  # the statistics count each student once
    scores = [r.score for r in results]
    return ClassPage(
        title=title or f"{assignment}: class report",
        assignment=assignment,
        n_graded=len(every),
        n_failed=len(failures),
        max_score=max_score,
        mean=statistics.fmean(scores) if scores else None,
        median=statistics.median(scores) if scores else None,
        stdev=statistics.stdev(scores) if len(scores) > 1 else None,
        low=min(scores, default=None),
        high=max(scores, default=None),
        histogram=histogram(scores, max_score),
        questions=[_question_stats(qid, order[qid], results, href) for qid in qids],
        students_by_name=by_name,
        students_by_score=by_score,
        question_ids=qids,
        question_labels=[_short_id(q) for q in qids],
        failures=sorted(failures, key=lambda f: f.submission),
        code_problems=problems,
        timing=timing,
        slowest=slowest,
        queue=queue,
        queue_total=len(queue_items),
        queue_points=sum(it.points for it in queue_items),
        flags=silent_zeros(every) + duplicated,
    )


def _short_id(qid: str) -> str:
    """'problem1.q1_1' -> 'q1_1' where the last part says enough, else the whole id."""
    last = qid.rsplit(".", 1)[-1]
    return last if len(last) > 2 else qid


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"
