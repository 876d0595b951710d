"""HTML reports: feedback for one submission, and a class report for instructors.

Both pages are rendered from jinja2 templates (``grader/templates``) with autoescaping on:
everything a student wrote (ids, names, answers, printed output, exception text) reaches
the page escaped. Each page is one self-contained file: inline CSS, inline SVG charts, no
network, and nothing that needs JavaScript to be read (the class report carries a small
optional script that makes its table sortable by clicking a column; without it the table
is pre-sorted by name, with a copy sorted by score).

This module holds the template environment and renders. What the templates draw is
prepared beside it: ``format`` (numbers, statuses, links), ``charts`` (chart geometry),
``feedback`` (the feedback page's view model) and ``classstats`` (the class report's view
model and statistics). None of them decides a score.

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
from collections.abc import Mapping, Sequence

import jinja2

from grader.report.classstats import LOW_DISCRIMINATION, GradingFailure, ManualItem, _class_page, manual_items
from grader.report.feedback import Audience, _feedback_page
from grader.report.format import _pct, _points, fmt_number
from grader.results import SubmissionResult

__all__ = [
    "Audience",
    "GradingFailure",
    "HtmlRenderer",
    "ManualItem",
    "manual_items",
    "render_class_report",
    "render_feedback",
]

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
