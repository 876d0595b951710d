"""Manual scores: the review queue, TA overrides, and how they are applied to results.

    grade review RESULTS                      list the checks waiting for a TA (answers whole; paged in a terminal)
    grade review RESULTS --all                ... and the ones already scored, and every override of an automatic check
    grade review RESULTS [--question ID] [--student S] [--status pending|reviewed|changed|all]
    grade review RESULTS --undo [--student S] [--question ID] [--by NAME]
                                              withdraw the newest score (the one before it applies again)
    grade review RESULTS --history            every override recorded, undos included
    grade review RESULTS --set problem1.q1_1.reason=1 [--set ...] --student s123
                         [--submission NAME] [--comment TEXT] [--by NAME]
    grade review RESULTS --overrides overrides.yaml
    grade review RESULTS --remove SUBMISSION  take a submission out of the gradebook (below)
    grade review RESULTS --student S --confirm CHECK | --reading CHECK=VALUE
                         a value read from a report, confirmed or corrected (grader.classmode.readings)

An override gives one check of one student's submission a score between 0 and the
check's points (any check of the rubric: a manual one, or an automatic one a TA regrades
on request). The check id is ``<question id>.<check id>`` as in the result JSON.
``--student`` takes the student key (``student.id``, else the submission name; see
``grader.classmode.gradebook``) or a submission name; where one student key has several
submissions, ``--submission`` names the one meant.

An overrides file is a list (YAML, JSON or TOML under a top-level ``overrides`` key)::

    - {student: s123, check: problem1.q1_1.reason, score: 1, comment: "good", by: ta1}
    - {student: s124, check: lab3.c.analysis, score: 0.5, submission: bob}   # by: --by or $USER

Every entry is validated before any is stored: one bad entry stores none.

Overrides live in the gradebook with who and when; they are applied whenever results are
written (the per-submission JSON and HTML, grades.csv, report.html, exports) and again
after a regrade. The result JSON stays deterministic: the overridden check's status
becomes pass / partial / fail by its score, its message says it was scored in review with
the TA's comment, ``details.review`` keeps the automatic status and message, and the
question and submission totals are recomputed. Who and when are in the gradebook only.

A score belongs to what it scored. Each override records :func:`evidence_digest` of the
check as the TA saw it (the answer text, the figure's bytes through their sha256, the
automatic verdict and its evidence; never the rubric's key). When a regrade changes that
(a resubmission with another answer, another figure), the override is **suspended**: it is
not applied, the check keeps its automatic status (a manual check is pending again and back
in the queue), its message and ``details.review`` (``suspended: true``) say so, the batch
and the review listing print it, and a new ``--set`` scores the new answer. Overrides
recorded before digests existed (gradebook version 1) apply as before.

    grade review RESULTS --remove SUBMISSION [--remove ...]

takes a submission out of the gradebook (its results, history and the overrides recorded
for it by name) and its files out of the results folder, then rewrites grades.csv and
report.html. A submission still in the submissions folder is graded again by the next run.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from grader.classmode.gradebook import Gradebook, OverrideRow, ResultRow
from grader.report.terminal import for_terminal
from grader.results import CheckResult, QuestionResult, Status, SubmissionResult, TextView, question_status, round_score

__all__ = [
    "CheckInfo",
    "Effective",
    "ReviewError",
    "apply_overrides",
    "effective_results",
    "review_queue",
    "student_key",
]

EXCERPT = 100


class ReviewError(Exception):
    """An override that cannot be accepted; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class CheckInfo:
    """A check of the rubric as the batch recorded it in the gradebook's meta."""

    id: str  # "<question>.<check>"
    max_score: float
    kind: str


@dataclass(frozen=True)
class Effective:
    """A submission's current outcome with the overrides applied."""

    row: ResultRow
    student: str
    result: SubmissionResult | None  # None: it could not be graded (row.failure says why)
    overrides: tuple[OverrideRow, ...]  # those applied
    warnings: tuple[str, ...]
    suspended: tuple[OverrideRow, ...] = ()  # not applied: what they scored has changed since
    late: str | None = None  # the late penalty taken, in words (grader.late)


def student_key(result: SubmissionResult | None, submission: str) -> str:
    """``student.id`` from the answers file when it is a non-empty string, else the submission name."""
    sid = (result.student.get("id") or "").strip() if result is not None else ""
    return sid or submission


# --------------------------------------------------------------------------- applying


def evidence_digest(check: CheckResult) -> str:
    """What a TA scores when scoring this check, as a sha256: its automatic status,
    message, details (a figure's sha256 and size among them) and views (the answer text),
    without the rubric's key and without any earlier review. Equal digests: the same
    evidence; a resubmission that changes the answer changes it."""
    data = check.model_dump(mode="json", include={"status", "message", "details", "views"})
    data["details"] = {k: v for k, v in data["details"].items() if k != "review"}
    data["views"] = [{k: v for k, v in view.items() if k != "key"} for view in data["views"]]
    text = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode("ascii")).hexdigest()


def is_suspended(o: OverrideRow, check: CheckResult) -> bool:
    """The override scored other evidence than the check now holds."""
    return o.digest is not None and o.digest != evidence_digest(check)


def apply_overrides(result: SubmissionResult, overrides: Sequence[OverrideRow]) -> tuple[SubmissionResult, list[str]]:
    """The result with each override (already matched to this submission) applied; the newest
    override per check wins. An override whose digest no longer matches the check is
    suspended instead (see the module docstring). Returns the new result and warnings for
    overrides that name a check the result does not have (the rubric changed since) or
    that are suspended."""
    by_check: dict[str, OverrideRow] = {}
    for o in sorted(overrides, key=lambda o: o.id):
        by_check[o.check_id] = o
    if not by_check:
        return result, []
    warnings: list[str] = []
    questions: list[QuestionResult] = []
    for q in result.questions:
        checks: list[CheckResult] = []
        changed = False
        for c in q.checks:
            found = by_check.pop(f"{q.id}.{c.id}", None)
            if found is not None and is_suspended(found, c):
                c = _suspend_check(c, found)
                warnings.append(f"{result.submission}: the review score of {q.id}.{c.id} ({found.score:g} by "
                                f"{found.by}) is suspended: what it scored has changed since (a resubmission); "
                                "it is back in the review queue")
                changed = True
            elif found is not None:
                c, warn = _override_check(c, found, f"{q.id}.{c.id}")
                warnings += warn
                changed = True
            checks.append(c)
        if changed:
            counted = [c for c in checks if c.max_score > 0] or checks
            q = q.model_copy(update={"checks": checks, "score": round_score(sum(c.score for c in checks)),
                                     "status": question_status(counted)})
        questions.append(q)
    for cid, o in by_check.items():
        warnings.append(f"{result.submission}: the override of {cid} (by {o.by}) names no check of this result; not applied")
    return result.with_questions(questions), warnings  # counted again: the cap applies after a TA's scores


def _suspend_check(c: CheckResult, o: OverrideRow) -> CheckResult:
    """The check as graded, marked: a review score was given to an earlier answer."""
    note = (f"an earlier review score ({o.score:g} / {c.max_score:g}) was suspended: the answer changed "
            "since it was scored")
    details = {**c.details, "review": {"suspended": True, "score": o.score, "comment": o.comment,
                                       "reason": "the answer changed since it was scored"}}
    return c.model_copy(update={"message": f"{c.message} ({note})", "details": details})


def _override_check(c: CheckResult, o: OverrideRow, full_id: str) -> tuple[CheckResult, list[str]]:
    warnings: list[str] = []
    score = o.score
    if score > c.max_score:
        warnings.append(f"{full_id}: the override {score:g} is above the check's {c.max_score:g} points "
                        "(the rubric changed since); counted as full points")
        score = c.max_score
    score = round_score(max(score, 0.0))
    if score >= c.max_score:
        status = Status.PASS
    elif score <= 0:
        status = Status.FAIL
    else:
        status = Status.PARTIAL
    msg = f"scored in review: {score:g} / {c.max_score:g}"
    if o.comment:
        msg += f": {o.comment}"
    details = {**c.details, "review": {"score": score, "comment": o.comment, "auto_status": c.status.value,
                                       "auto_message": c.message}}
    return c.model_copy(update={"score": score, "status": status, "message": msg, "details": details}), warnings


def effective_results(gb: Gradebook, assignment: str) -> list[Effective]:
    """Every current submission of the assignment with its overrides applied, by submission."""
    overrides = gb.overrides(assignment)
    from grader.late import late_book

    late = late_book(gb.meta("late"))
    out: list[Effective] = []
    for row in gb.current(assignment):
        result = SubmissionResult.from_json(row.result_json) if row.result_json is not None else None
        student = row.student
        mine = tuple(o for o in overrides if o.applies_to(student=student, submission=row.submission))
        warnings: list[str] = []
        suspended: tuple[OverrideRow, ...] = ()
        if result is not None and mine:
            raw = _checks_by_id(result)
            suspended = tuple(o for o in mine if o.check_id in raw and is_suspended(o, raw[o.check_id]))
            result, warnings = apply_overrides(result, mine)
        elif mine:
            warnings = [f"{row.submission}: could not be graded ({row.failure or 'no result'}); its "
                        f"{len(mine)} review score(s) apply once it is"]
        late_note = None
        if result is not None and late is not None:  # after the TA's scores: the penalty is on the final score
            penalised = late.apply(result, row.submission, student)
            if penalised is not result:
                result, late_note = penalised, penalised.warnings[-1]
        out.append(Effective(row=row, student=student, result=result,
                             overrides=tuple(o for o in mine if o not in suspended) if result is not None else (),
                             warnings=tuple(warnings), suspended=suspended, late=late_note))
    return out


def _checks_by_id(result: SubmissionResult) -> dict[str, CheckResult]:
    return {f"{q.id}.{c.id}": c for q in result.questions for c in q.checks}


def duplicate_students(items: Sequence[Effective]) -> dict[str, list[str]]:
    """student key -> its submissions, for keys claimed by more than one submission."""
    subs: dict[str, list[str]] = defaultdict(list)
    for e in items:
        subs[e.student].append(e.row.submission)
    return {k: sorted(v) for k, v in subs.items() if len(v) > 1}


# --------------------------------------------------------------------------- the queue


@dataclass(frozen=True)
class QueueItem:
    submission: str
    student: str
    check_id: str
    max_score: float
    text: str
    key: str | None
    review: OverrideRow | None
    suspended: OverrideRow | None = None  # a score given to an earlier answer, not applied
    answer_key: str = ""  # equal for identical answers to the same check (`answer_group`)


def review_queue(items: Sequence[Effective], *, include_reviewed: bool) -> list[QueueItem]:
    """The checks left for manual review in the graded results (before overrides), with the
    override that scored each, if any; by student, then rubric order."""
    out: list[QueueItem] = []
    for e in sorted(items, key=lambda e: (e.student, e.row.submission)):
        if e.row.result_json is None:
            continue
        raw = SubmissionResult.from_json(e.row.result_json)
        done: dict[str, OverrideRow] = {}
        for ov in sorted(e.overrides, key=lambda ov: ov.id):
            done[ov.check_id] = ov
        stale = {ov.check_id: ov for ov in e.suspended}
        for q in raw.questions:
            for c in q.checks:
                cid = f"{q.id}.{c.id}"
                review = done.get(cid)
                # an automatic check is listed when a TA's score of it is in doubt (changed
                # since) or, with --all, whenever a TA scored it
                if c.status != Status.MANUAL and cid not in stale and not (include_reviewed and review is not None):
                    continue
                if review is not None and not include_reviewed:
                    continue
                view = next((v for v in c.views if isinstance(v, TextView)), None)
                text = view.text if view else ""
                if c.status != Status.MANUAL:  # an automatic check a TA had scored: its verdict is the evidence
                    text = f"[{c.status.value}] {c.message}"
                out.append(QueueItem(submission=e.row.submission, student=e.student, check_id=cid,
                                     max_score=c.max_score, text=text, key=view.key if view else None,
                                     review=review, suspended=stale.get(cid), answer_key=answer_group(c)))
    return out


def answer_group(check: CheckResult) -> str:
    """What makes two answers to a check the same answer for a TA: a figure's bytes (its
    sha256), else the answer text with case and spacing ignored. Empty: nothing to group."""
    sha = check.details.get("sha256")
    if isinstance(sha, str) and sha:
        return "figure:" + sha
    view = next((v for v in check.views if isinstance(v, TextView)), None)
    text = " ".join(view.text.split()).casefold() if view else ""
    return "text:" + hashlib.sha256(text.encode("utf-8")).hexdigest() if text else ""


def same_answers(queue: Sequence[QueueItem]) -> dict[tuple[str, str], list[QueueItem]]:
    """(check, answer group) -> the items that gave that answer, where more than one did."""
    groups: dict[tuple[str, str], list[QueueItem]] = defaultdict(list)
    for it in queue:
        if it.answer_key:
            groups[(it.check_id, it.answer_key)].append(it)
    return {k: v for k, v in groups.items() if len(v) > 1}


def _excerpt(text: str, width: int = EXCERPT) -> str:
    flat = for_terminal(" ".join(text.split()), newlines=False)
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def format_queue(queue: Sequence[QueueItem], *, results_dir: Path, assignment: str) -> str:
    pending = sum(1 for it in queue if it.review is None)
    reviewed = len(queue) - pending
    head = f"{results_dir}: {assignment}: {pending} item(s) waiting for review"
    if reviewed:
        head += f", {reviewed} reviewed"
    suspended = sum(1 for it in queue if it.suspended is not None)
    if suspended:
        head += f" ({suspended} of them changed since a TA scored them: their scores are suspended)"
    lines = [head]
    same = same_answers(queue)
    for it in queue:
        who = it.student if it.student == it.submission else f"{it.student} ({it.submission})"
        who = for_terminal(who, newlines=False)
        state = "pending" if it.review is None else (
            f"reviewed: {it.review.score:g} by {it.review.by} at {it.review.at}"
            + (f": {_excerpt(it.review.comment, 60)}" if it.review.comment else ""))
        if it.suspended is not None and it.review is None:
            state = (f"pending: CHANGED since scored {it.suspended.score:g} by {it.suspended.by} at "
                     f"{it.suspended.at}; that score is suspended")
        lines.append("")
        lines.append(f"{who}  {it.check_id}  [0..{it.max_score:g}]  {state}")
        lines += _block("answer", it.text) if it.text.strip() else ["  answer: (no text)"]
        others = [o for o in same.get((it.check_id, it.answer_key), []) if o is not it]
        if others:
            names = ", ".join(o.student for o in others[:8]) + (f", ... ({len(others)} in all)" if len(others) > 8 else "")
            lines.append(f"  same answer as {len(others)} other(s): {names} (--same-answer scores them all at once)")
        if it.key:
            lines += _block("key", it.key)
    if not queue:
        lines.append("nothing to review")
    return "\n".join(for_terminal(line, newlines=False) for line in lines)  # each line stays one line


def _block(label: str, text: str) -> list[str]:
    """`text` whole, one indented line per line it has (a TA reads all of it; a pager
    scrolls it), blank runs kept to one."""
    out = [f"  {label}:"]
    blank = False
    for line in text.strip().splitlines():
        if not line.strip():
            if not blank:
                out.append("    ")  # indented too: whatever the student wrote stays under its label
            blank = True
            continue
        blank = False
        out.append("    " + line.rstrip())
    return out


STATUSES = ("pending", "reviewed", "changed", "all")


def filter_queue(queue: Sequence[QueueItem], *, question: str | None = None, student: str | None = None,
                 status: str = "pending") -> list[QueueItem]:
    """The items of one question or check (`problem1` or `problem1.q1_1.reason`), of one
    student (key or submission name), in one state: pending (not scored, changed ones
    included), reviewed, changed (scored, then the answer changed), or all."""
    def keep(it: QueueItem) -> bool:
        if question and not (it.check_id == question or it.check_id.startswith(question + ".")):
            return False
        if student and student not in (it.student, it.submission):
            return False
        if status == "pending":
            return it.review is None
        if status == "reviewed":
            return it.review is not None
        if status == "changed":
            return it.suspended is not None
        return True
    return [it for it in queue if keep(it)]


def format_history(rows: Sequence[OverrideRow]) -> str:
    """Every override ever recorded, oldest first; undos say what they withdrew."""
    from grader.classmode.gradebook import withdrawn_id

    lines = []
    for o in rows:
        who = o.student if o.submission is None else f"{o.student} ({o.submission})"
        if withdrawn_id(o) is not None:
            lines.append(f"#{o.id}  {o.at}  {o.by}: {o.comment}  [{who} {o.check_id}]")
        else:
            lines.append(f"#{o.id}  {o.at}  {o.by}: {who} {o.check_id} = {o.score:g}"
                         + (f": {' '.join(o.comment.split())}" if o.comment else ""))
    return "\n".join(for_terminal(line, newlines=False) for line in lines) or "no override recorded"


def _show(text: str, *, pager: bool) -> None:
    """Print, through a pager ($PAGER, else less) when a person reads a terminal."""
    if pager and sys.stdout.isatty():
        import pydoc

        pydoc.pager(text)
    else:
        print(text)


# --------------------------------------------------------------------------- validating


def checks_of(gb: Gradebook) -> dict[str, CheckInfo]:
    raw = gb.meta_json("checks") or []
    return {c[0]: CheckInfo(id=c[0], max_score=float(c[1]), kind=str(c[2])) for c in raw}


def _parse_score(text: Any, where: str, problems: list[str]) -> float | None:
    if isinstance(text, bool):
        problems.append(f"{where}: score {text!r} is not a number")
        return None
    try:
        value = float(text)
    except (TypeError, ValueError):
        problems.append(f"{where}: score {text!r} is not a number")
        return None
    if not math.isfinite(value):
        problems.append(f"{where}: score {text!r} is not a finite number")
        return None
    return value


def resolve_entries(entries: Sequence[dict[str, Any]], *, checks: dict[str, CheckInfo], items: Sequence[Effective],
                    default_by: str) -> list[dict[str, Any]]:
    """Validate raw entries ({student, check, score, comment, by, submission, where}) against the
    rubric's checks and the gradebook's students. Raises ReviewError listing every problem."""
    problems: list[str] = []
    by_student: dict[str, list[str]] = defaultdict(list)
    student_of_sub: dict[str, str] = {}
    for e in items:
        by_student[e.student].append(e.row.submission)
        student_of_sub[e.row.submission] = e.student
    out: list[dict[str, Any]] = []
    for ent in entries:
        where = ent.get("where", "override")
        n = len(problems)
        student = ent.get("student")
        sub = ent.get("submission")
        check = ent.get("check")
        if not isinstance(student, str) or not student.strip():
            problems.append(f"{where}: `student` is required (a student id or a submission name)")
        if sub is not None and not isinstance(sub, str):
            problems.append(f"{where}: `submission` must be a submission name")
        if not isinstance(check, str) or not check:
            problems.append(f"{where}: `check` is required (e.g. problem1.q1_1.reason)")
        elif check not in checks:
            q, _, _ = check.rpartition(".")
            siblings = sorted(c.rpartition(".")[2] for c in checks if c.rpartition(".")[0] == q)
            hint = (f"; the checks of {q} are: {', '.join(siblings)}" if siblings
                    else "; check ids are <question>.<check>, e.g. " + next(iter(checks), "problem1.q1_1.reason"))
            problems.append(f"{where}: unknown check {check!r}{hint}")
        score = _parse_score(ent.get("score"), where, problems) if "score" in ent else None
        if "score" not in ent:
            problems.append(f"{where}: `score` is required")
        if score is not None and isinstance(check, str) and check in checks:
            top = checks[check].max_score
            if not 0 <= score <= top:
                problems.append(f"{where}: score {score:g} for {check} is out of range: 0 to {top:g}")
        comment = ent.get("comment", "")
        if comment is None:
            comment = ""
        if not isinstance(comment, str):
            problems.append(f"{where}: `comment` must be text")
        by = ent.get("by") or default_by
        if not isinstance(by, str) or not by.strip():
            problems.append(f"{where}: `by` must name who scored it")
        if len(problems) > n or not isinstance(student, str):
            continue
        # who: a student key, or a submission name
        if student in by_student:
            subs = by_student[student]
            if sub is not None and sub not in subs:
                problems.append(f"{where}: student {student!r} has no submission {sub!r} (theirs: {', '.join(subs)})")
                continue
            if sub is None and len(subs) > 1:
                problems.append(f"{where}: student {student!r} has {len(subs)} submissions ({', '.join(subs)}): "
                                "name one with `submission`")
                continue
            target = sub if sub is not None else subs[0]
        elif student in student_of_sub and sub in (None, student):
            target = sub = student  # named by its submission: that submission is meant
            student = student_of_sub[target]
        else:
            known = sorted(by_student)
            shown = ", ".join(known[:8]) + (f", ... ({len(known)} in all)" if len(known) > 8 else "")
            problems.append(f"{where}: unknown student {student!r} (students in this gradebook: {shown or 'none'})")
            continue
        # the submission is stored only where it was named (or needed): an override follows
        # the student to a renamed submission
        out.append({"student": student, "submission": sub, "target": target, "check_id": check, "score": score,
                    "comment": comment.strip(), "by": by.strip()})
    if problems:
        raise ReviewError(problems)
    raw = {e.row.submission: _checks_by_id(SubmissionResult.from_json(e.row.result_json))
           for e in items if e.row.result_json is not None and e.row.submission in {o["target"] for o in out}}
    for o in out:  # what the TA scored: a later change of it suspends the score
        check = raw.get(o["target"], {}).get(o["check_id"])
        o["digest"] = evidence_digest(check) if check is not None else None
    return out


def parse_set(values: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for v in values:
        check, eq, score = v.partition("=")
        if not eq or not check.strip() or not score.strip():
            raise ReviewError([f"--set {v!r}: expected CHECK=SCORE, e.g. --set problem1.q1_1.reason=1"])
        out.append((check.strip(), score.strip()))
    return out


def load_overrides_file(path: Path) -> list[dict[str, Any]]:
    from grader.docio import DocumentError, load_document

    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ReviewError([f"{path}: cannot read: {err.strerror or err}"]) from None
    try:
        doc = load_document(raw, filename=str(path))
    except DocumentError as err:
        raise ReviewError([str(err)]) from None
    data = doc.data
    prefix: list[str | int] = []
    if isinstance(data, dict) and set(data) == {"overrides"}:
        data = data["overrides"]
        prefix = ["overrides"]
    if not isinstance(data, list):
        raise ReviewError([f"{path}: expected a list of overrides ({{student, check, score, comment, by}})"])
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    allowed = {"student", "check", "score", "comment", "by", "submission"}
    for i, item in enumerate(data):
        line = doc.line_of([*prefix, i])
        where = f"{path}:{line}" if line else f"{path} [{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: each override is a mapping with student, check, score")
            continue
        extra = sorted(set(item) - allowed)
        if extra:
            problems.append(f"{where}: unknown field(s) {', '.join(extra)} (known: {', '.join(sorted(allowed))})")
            continue
        entries.append({**item, "where": where})
    if problems:
        raise ReviewError(problems)
    return entries
