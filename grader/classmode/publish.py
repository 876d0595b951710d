"""The results folder, rewritten from the gradebook: each submission's JSON and feedback
page (TA overrides applied), ``grades.csv`` and the class report. Every file is written
atomically and only when its bytes change, so a run killed half way is repaired by the
next (see ``grader.classmode.run``)."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from grader.classmode.gradebook import Gradebook, OverrideRow
from grader.results import SubmissionResult
from grader.late import LateBook, late_book
from grader.classmode.review import apply_overrides, duplicate_students, effective_results, student_key

if TYPE_CHECKING:
    from grader.report.html import Audience, HtmlRenderer

__all__ = ["PublishReport", "Rendered", "output_stem", "publish", "render_submission", "write_submission_files"]

_RESERVED_STEMS = frozenset({"report", "grades", "gradebook", "summary"})


def output_stem(name: str) -> str:
    """The file name (without extension) of a submission's outputs."""
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".")[:120] or "_"
    if stem != name or stem.lower() in _RESERVED_STEMS:
        stem = f"{stem}-{hashlib.sha256(name.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}"
    return stem


@dataclass(frozen=True)
class Rendered:
    """A submission's output files, with overrides applied."""

    student: str
    score: float
    max_score: float
    json_text: str
    html_text: str | None
    warnings: tuple[str, ...]
    html_error: str | None = None


def _audience(value: str) -> Audience:
    """The renderer's audience from the stored or given text (``--audience``, the gradebook's meta)."""
    if value == "student":
        return "student"
    if value == "instructor":
        return "instructor"
    raise ValueError(f"audience must be 'student' or 'instructor', not {value!r}")


def render_submission(result: SubmissionResult, raw_json: str, *, name: str, overrides: Sequence[OverrideRow],
                      renderer: HtmlRenderer | None, audience: str, late: LateBook | None = None) -> Rendered:
    """The JSON (exactly ``raw_json`` when no override or late penalty applies) and HTML of
    one result."""
    student = student_key(result, name)
    mine = [o for o in overrides if o.applies_to(student=student, submission=name)]
    warnings: list[str] = []
    text = raw_json
    if mine:
        result, warnings = apply_overrides(result, mine)
        text = result.to_json()
    if late is not None:
        penalised = late.apply(result, name, student)
        if penalised is not result:
            result, text = penalised, penalised.to_json()
    html_text = html_error = None
    if renderer is not None:
        try:
            html_text = renderer.feedback(result, audience=_audience(audience))
        except Exception as err:  # noqa: BLE001 - reported once by the batch; the JSON is complete
            html_error = f"{type(err).__name__}: {err}"
    return Rendered(student=student, score=result.score, max_score=result.max_score, json_text=text,
                    html_text=html_text, warnings=tuple(warnings), html_error=html_error)


def _html_renderer() -> HtmlRenderer | None:
    """An HTML renderer, or None where grader.report.html is not there (then JSON only)."""
    try:
        from grader.report.html import HtmlRenderer
    except ModuleNotFoundError as err:
        if err.name in ("grader.report.html", "jinja2"):
            return None
        raise
    return HtmlRenderer()


def _write(path: Path, text: str) -> bool:
    from grader.atomic import write_text_atomic

    return write_text_atomic(path, text)


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def write_submission_files(out_dir: Path, name: str, rendered: Rendered | None) -> bool:
    """A graded submission's JSON and HTML (when rendered); for one that failed, remove
    stale ones. True when the JSON changed (or was removed)."""
    stem = output_stem(name)
    if rendered is None:
        _remove(out_dir / f"{stem}.json")
        _remove(out_dir / f"{stem}.html")
        return True
    changed = _write(out_dir / f"{stem}.json", rendered.json_text)
    if rendered.html_text is not None:
        _write(out_dir / f"{stem}.html", rendered.html_text)
    return changed


@dataclass
class PublishReport:
    warnings: list[str] = dataclasses.field(default_factory=list)
    html_error: str | None = None
    html: bool = False


def publish(out_dir: Path, gb: Gradebook, assignment: str, *, only: Sequence[str] | None = None,
            renderer: HtmlRenderer | None = None, audience: str | None = None) -> PublishReport:
    """Rewrite the results folder from the gradebook: the files of the submissions in ``only``
    (all when None), then grades.csv and report.html."""
    from grader.classmode.export import class_export, render_csv

    report = PublishReport()
    renderer = renderer if renderer is not None else _html_renderer()
    report.html = renderer is not None
    audience = audience or gb.meta("audience") or "student"
    items = effective_results(gb, assignment)
    wanted = None if only is None else set(only)
    for e in items:
        report.warnings += list(e.warnings)
        if wanted is not None and e.row.submission not in wanted:
            continue
        rendered = None
        if e.result is not None:
            raw_result = SubmissionResult.from_json(e.row.result_json or "")
            rendered = render_submission(raw_result, e.row.result_json or "", name=e.row.submission,
                                         overrides=e.overrides, renderer=renderer, audience=audience,
                                         late=late_book(gb.meta("late")))
            report.html_error = report.html_error or rendered.html_error
        write_submission_files(out_dir, e.row.submission, rendered)
    for sid, subs in sorted(duplicate_students(items).items()):
        report.warnings.append(f"student id {sid!r} is claimed by {len(subs)} submissions: {', '.join(subs)} "
                               "(kept apart, not merged)")
    rows, qids = class_export(gb, assignment, items=items)
    _write(out_dir / "grades.csv", render_csv(rows, question_ids=qids))
    if renderer is not None:
        try:
            _write(out_dir / "report.html", _class_report(renderer, items))
        except Exception as err:  # noqa: BLE001 - the JSON and CSV are complete; say why the page is not
            report.html_error = report.html_error or f"{type(err).__name__}: {err}"
    return report


def _class_report(renderer: HtmlRenderer, items: Sequence[Any]) -> str:
    from grader.report.html import GradingFailure

    results = [e.result for e in items if e.result is not None]
    failures = [GradingFailure(submission=e.row.submission, reason=e.row.failure or "not graded",
                               kind="rejected" if (e.row.content_hash.startswith("file:") or not e.row.content_hash)
                               and not (e.row.failure or "").startswith("internal error") else "error")
                for e in items if e.result is None or e.row.failure]  # scored 0 as not submitted: listed too
    links = {e.result.submission: f"{output_stem(e.row.submission)}.html" for e in items if e.result is not None}
    timings = {e.result.submission: e.row.wall_s for e in items if e.result is not None and e.row.wall_s is not None}
    return renderer.class_report(results, failures=failures, links=links, timings=timings)


def _clean_temporaries(out_dir: Path) -> None:
    """Temporary files of a write cut short by a kill (``.<name>.<random>.tmp``)."""
    for p in out_dir.glob(".*.tmp"):
        _remove(p)
