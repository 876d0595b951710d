"""The class report's view model and statistics: per-question pass rates, discrimination,
the most common wrong answers, who counts once, silent zeros, the manual-review queue.
It reads graded results; it never decides a score."""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from grader.report.charts import Histogram, histogram
from grader.report.feedback import _suspended_note
from grader.report.format import _STATUS_LABEL, _anchor, _fraction, _points, _status_info, fmt_number, safe_href
from grader.results import (
    CheckResult,
    MatrixView,
    QuestionResult,
    Status,
    SubmissionResult,
    TableView,
    TextView,
    round_score,
)


LOW_DISCRIMINATION = 0.2  # questions below this item-rest correlation are flagged


TOP_WRONG_ANSWERS = 5


EXCERPT_CHARS = 240


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
