"""Class mode: grade a folder of submissions into a results folder, in parallel, resumably.

    grade SUBMISSIONS/ --out results/ [--jobs N] [--force] [--json SUMMARY] [--quiet]

SUBMISSIONS is a folder whose entries are submissions: folders, and archives (.zip,
.tar.gz, .tgz, .tar, .tar.bz2, .tar.xz); hidden entries, ``__MACOSX`` and any folder
holding a gradebook are skipped, other files are listed and ignored. A single submission
(a folder with an answers file or code of its own, or one archive) is a class of one.
Without ``--out`` the results go to ``./results``.

What lands in the results folder:

- ``gradebook.sqlite``: the record of truth (see ``grader.classmode.gradebook``).
- ``<submission>.json``: the result, the same bytes as ``grade <submission> --json``
  (plus TA overrides where there are some; see ``grader.classmode.review``), and
  ``<submission>.html``, its feedback page. A name that is not a plain file name
  (characters outside ``A-Za-z0-9._-``, or ``report``/``grades``/``gradebook``/``summary``)
  is made one and given a short hash suffix.
- ``grades.csv`` (``grader.classmode.export``) and ``report.html``, the class report.

All of them are rewritten from the gradebook on every run (a file is only touched when
its bytes change), so whatever was on disk when a run was killed is repaired by the next.

How a run goes: the reference outputs are computed once (``Grader.create``) and shared by
``--jobs`` worker threads (default: the number of usable cores) that each open a
submission, hash its content and either reuse the stored result (same content, same
grading key: "unchanged") or grade it through the one shared sandbox, whose zygote forks a
child per submission. Threads, not processes: the parent's share of the work (loading
answers, comparing, rendering) is small next to the student code run in the sandbox
children, which is where the cores go; one process keeps one copy of torch, of the
reference outputs and of the zygote. The main thread alone writes the gradebook: one
transaction per submission as soon as it is done, then its files.

First try: every call gets its first-try wall-clock limit (the rubric's
``limits.first_try_s``, else a fifth of the call's ``wall_s``, at least 2 s: see
``grader.engine.first_try_limit``) instead of its full ``wall_s``, so that a student's
endless loop holds a worker for seconds, not for the whole limit. A submission with a call
still running then is recorded as graded but provisional (``failure`` starting with
``PROVISIONAL``; Status ``provisional`` in grades.csv; a warning in its result) and the next
run grades it again with the full limits (``--full-limits``: full limits from the start).

A submission that cannot be opened (corrupt archive, unsafe or empty) is graded as not
submitted: every check 0 and ``missing``, "not submitted: <reason>", so it has its row
with 0 in grades.csv (Status ``not submitted``) and a TA can still score it in review. One
that hits an internal error is recorded as failed with its reason (an empty Total). Either
way the batch goes on, and both are tried again on every run.

Exit status: 0 when every submission was graded (whatever the scores); 4
(``EXIT_UNGRADED``) when the batch completed but some submission could not be graded (not
submitted: empty or unreadable; or failed) or has a provisional result, so that CI notices; 2 for usage errors
(including a gradebook that cannot be used, or one that belongs to another assignment or
submissions folder); 130 when interrupted. Ctrl-C stops at once: what was recorded stays, the
submissions in flight are dropped (and graded by the next run), the class files are
brought up to date.

Progress: on a terminal, one line redrawn (done/total, rate, ETA, failures so far);
otherwise one log line per submission. ``--quiet`` prints only the summary.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import queue
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping, Sequence

from grader.digest import KeyDigest
from grader.exits import EXIT_INTERRUPTED, EXIT_OK, EXIT_UNGRADED, EXIT_USAGE
from grader.report.terminal import for_terminal
from grader.classmode.discover import Task, discover
from grader.classmode.gradebook import PROVISIONAL, Gradebook, GradebookError, OverrideRow, sha256_file
from grader.results import SubmissionResult
from grader.classmode.progress import Progress
from grader.classmode.publish import (
    Rendered,
    _audience,
    _clean_temporaries,
    _html_renderer,
    _write,
    output_stem,
    publish,
    render_submission,
    write_submission_files,
)
from grader.rubric import Plan

if TYPE_CHECKING:
    from grader.engine import Grader, Stopped
    from grader.report.html import HtmlRenderer

__all__ = ["TaskOutcome", "grading_key", "run_batch"]

DEFAULT_OUT = Path("results")


# --------------------------------------------------------------------------- grading key


PACK_EXTRAS = ("examples", "tests")  # folders of a pack that grade nothing: not in the keys


def grading_key(plan: Plan, *, device: str, timings: bool) -> str:
    """What a stored result depends on besides the submission (see ``grader.classmode.gradebook``)."""
    key = KeyDigest()
    key.feed(plan.rubric_hash)
    key.feed(json.dumps([[q.id, q.points, [c.spec.id for c in q.checks]] for q in plan.questions]))
    key.feed_tree(plan.package_dir, skip=PACK_EXTRAS)
    frozen = getattr(plan, "frozen_file", None)
    key.feed(frozen.read_bytes() if frozen is not None and frozen.is_file() else b"")
    key.feed(device)
    key.feed("timings" if timings else "")
    try:
        key.feed(importlib.metadata.version("dl-grader"))
    except importlib.metadata.PackageNotFoundError:
        key.feed("unknown")
    # the grader's own code (check kinds, comparison, answers loading): a fix that changes
    # how a check scores (e.g. a figure now waits for a TA) must regrade, not reuse old results
    key.feed_tree(Path(__file__).resolve().parents[1], "*.py")  # the whole grader package
    return key.hexdigest()


# --------------------------------------------------------------------------- one submission


@dataclass(frozen=True)
class TaskOutcome:
    task: Task
    kind: Literal["graded", "skipped", "failed", "aborted"]  # aborted: no grader (see `error`)
    wall_s: float
    content_hash: str = ""
    result_json: str | None = None  # graded: as graded, before overrides
    student: str = ""  # the student key
    score: float | None = None  # as graded, before overrides
    max_score: float | None = None
    row_id: int | None = None  # skipped: the stored row reused
    rendered: Rendered | None = None
    failure: str | None = None
    failure_kind: Literal["rejected", "error"] = "error"
    traceback: str | None = None
    error: BaseException | None = None
    not_submitted: str | None = None  # graded as "not submitted" (every check 0) for this reason
    provisional: str | None = None  # graded on the first try with a call stopped early: why it is graded again


def not_submitted_result(plan: Plan, name: str, reason: str) -> SubmissionResult:
    """The result of a submission that could not be opened (empty, unreadable, unsafe):
    every check 0 and ``missing`` with "not submitted" and the reason, so that it has a
    row with 0 in grades.csv (the contract: what is not submitted scores 0) and a TA can
    still score its checks in review. Deterministic: the same reason, the same bytes."""
    from grader.results import CheckResult, QuestionResult, Status, question_status, round_score

    message = f"not submitted: {reason}"
    questions = []
    for q in plan.questions:
        checks = [CheckResult(id=c.spec.id, status=Status.MISSING, score=0.0, max_score=c.spec.points, message=message,
                              visibility=c.spec.visibility, hint=None, source=c.spec.source_label) for c in q.checks]
        counted = [c for c in checks if c.max_score > 0] or checks
        questions.append(QuestionResult(id=q.id, title=q.title, score=0.0, max_score=q.points,
                                        status=question_status(counted), checks=checks))
    return SubmissionResult(assignment=plan.rubric.assignment, submission=name, student={}, score=0.0,
                            max_score=round_score(plan.max_score), questions=questions,
                            warnings=[f"{name}: could not be graded, scored as not submitted: {reason}"])


class GraderUnavailable(Exception):
    """The shared grader could not be created (e.g. the reference fails a probe)."""

    def __init__(self, error: BaseException) -> None:
        self.error = error
        super().__init__(str(error))


class LazyGrader:
    """The run's one Grader (reference outputs and sandbox), created by the first worker that
    has something to grade: a re-run where nothing changed starts no sandbox at all."""

    def __init__(self, factory: Callable[[], Grader]) -> None:
        self._factory = factory
        self._lock = threading.Lock()
        self._grader: Grader | None = None
        self._error: BaseException | None = None

    def get(self) -> Grader:
        with self._lock:
            if self._error is not None:
                raise GraderUnavailable(self._error)
            if self._grader is None:
                try:
                    self._grader = self._factory()
                except Exception as err:  # noqa: BLE001 - handed to the main thread, which re-raises it
                    self._error = err
                    raise GraderUnavailable(err) from err
                _freeze_startup_objects()
            return self._grader

    def staff_notes(self) -> list[str]:
        """The grader's notes for the course staff (reduced sandbox isolation), if it started."""
        with self._lock:
            return list(getattr(self._grader, "staff_notes", None) or [])

    def close(self) -> None:
        with self._lock:
            if self._grader is not None:
                self._grader.close()
                self._grader = None


def _freeze_startup_objects() -> None:
    """Move everything alive once the grader is up (torch, numpy, the rubric, the reference
    outputs: about a million objects, none of which will be garbage) out of the cyclic
    garbage collector's reach (`gc.freeze`), after one collection of the start-up's own
    garbage. Each full collection during the class otherwise walked all of them again:
    about 0.1 s each, ten in a class of 300, a second of the grader's CPU."""
    import gc

    gc.collect()
    gc.freeze()


@dataclass(frozen=True)
class _Shared:
    """What every worker reads; nothing in it changes during the run."""

    grader: LazyGrader
    plan: Plan
    known: Mapping[tuple[str, str], tuple[int, str]]
    overrides: tuple[OverrideRow, ...]
    force: bool
    timings: bool
    audience: str
    html: bool
    late: Any = None  # grader.late.LateBook, when a late policy applies
    first_try: bool = False  # each call gets its first-try wall-clock limit (grader.engine.first_try_limit) first
    retry: frozenset[tuple[str, str]] = frozenset()  # (submission, content hash) provisional before: full limits now


def _raw_hash(path: Path) -> str:
    try:
        return "file:" + sha256_file(path) if path.is_file() else ""
    except OSError:
        return ""


def grade_task(task: Task, shared: _Shared, renderer: HtmlRenderer | None) -> TaskOutcome:
    """Open, hash, then reuse or grade one submission. Never raises for the submission's sake."""
    from grader.submission import SubmissionError, content_hash, open_submission

    t0 = time.perf_counter()
    provisional: str | None = None

    def failed(reason: str, kind: Literal["rejected", "error"], chash: str, tb: str | None = None) -> TaskOutcome:
        if kind == "rejected":  # nothing gradable in it: every question 0, "not submitted", with the reason
            # named from the class folder, not by the grader's absolute path: the student reads it too, and
            # the result stays the same bytes wherever the class folder is
            reason = reason.replace(str(task.path.parent) + os.sep, "")
            try:
                result = not_submitted_result(shared.plan, task.name, reason)
                raw = result.to_json()
                rendered = render_submission(result, raw, name=task.name, overrides=shared.overrides,
                                             renderer=renderer, audience=shared.audience, late=shared.late)
            except Exception:  # noqa: BLE001 - then it stays a plain failure, with its reason
                pass
            else:
                return TaskOutcome(task=task, kind="graded", wall_s=time.perf_counter() - t0, content_hash=chash,
                               result_json=raw, student=rendered.student, score=result.score,
                               max_score=result.max_score, rendered=rendered, failure=reason, failure_kind=kind,
                               not_submitted=reason)
        return TaskOutcome(task=task, kind="failed", wall_s=time.perf_counter() - t0, content_hash=chash,
                       failure=reason, failure_kind=kind, traceback=tb)

    if task.problem is not None:
        return failed(task.problem, "rejected", _raw_hash(task.path))
    try:
        sub = open_submission(task.path)
    except SubmissionError as err:
        return failed(str(err), "rejected", _raw_hash(task.path))
    except Exception as err:  # noqa: BLE001 - one submission's internal error must not stop the class
        return failed(f"internal error while opening: {type(err).__name__}: {err}", "error", _raw_hash(task.path),
                      traceback.format_exc())
    try:
        chash = content_hash(sub)
        cached = None if shared.force else shared.known.get((task.name, chash))
        if cached is not None:
            row_id, raw = cached
            result = SubmissionResult.from_json(raw)
            kind: Literal["graded", "skipped"] = "skipped"
        else:
            row_id = None
            t_wait = time.perf_counter()
            grader = shared.grader.get()
            t0 += time.perf_counter() - t_wait  # the run's one-off start-up is not this submission's time
            first_try = shared.first_try and (task.name, chash) not in shared.retry
            result, stopped = grader.grade_first_try(sub, first_try=first_try, timings=shared.timings)
            if stopped:
                provisional = provisional_reason(stopped)
                result = result.model_copy(update={"warnings": [provisional_warning(stopped), *result.warnings]})
            raw = result.to_json()
            kind = "graded"
        rendered = render_submission(result, raw, name=task.name, overrides=shared.overrides, renderer=renderer,
                                     audience=shared.audience, late=shared.late)
    except GraderUnavailable as err:
        return TaskOutcome(task=task, kind="aborted", wall_s=time.perf_counter() - t0, error=err.error)
    except SubmissionError as err:
        return failed(str(err), "rejected", _raw_hash(task.path))
    except Exception as err:  # noqa: BLE001 - recorded as this submission's failure, the batch goes on
        return failed(f"internal error: {type(err).__name__}: {err}", "error", "", traceback.format_exc())
    finally:
        sub.close()
    return TaskOutcome(task=task, kind=kind, wall_s=time.perf_counter() - t0, content_hash=chash,
                   result_json=raw if kind == "graded" else None, student=rendered.student, score=result.score,
                   max_score=result.max_score, row_id=row_id, rendered=rendered, provisional=provisional)


def provisional_reason(stopped: Sequence[Stopped]) -> str:
    """For the staff (grades.csv, the gradebook): why a result is not final."""
    s = stopped[0]
    more = f" (and {len(stopped) - 1} more call(s))" if len(stopped) > 1 else ""
    return (f"{PROVISIONAL}{s.probe} on {s.module} was still running after the first try's {s.first_try:g} s{more}; "
            f"the next run of the same command grades it again with the full {s.full:g} s")


def provisional_warning(stopped: Sequence[Stopped]) -> str:
    """For the student, in plain words: this result is not the final one."""
    s = stopped[0]
    return (f"these results are not final: your {s.probe} in {s.module} was still running after {s.first_try:g} s, "
            f"so it will be run again with the full {s.full:g} s allowed before your grade is final")


# --------------------------------------------------------------------------- the run


class _Usage(Exception):
    pass


def _check_args(args: argparse.Namespace) -> None:
    for opt, name in (("fail_under", "--fail-under"), ("html", "--html"), ("gradescope", "--gradescope"),
                      ("junit", "--junit")):
        if getattr(args, opt, None) is not None:
            raise _Usage(f"{name} is for one submission; in class mode every output goes to the --out folder")
    jobs = getattr(args, "jobs", None)
    if jobs is not None and jobs < 1:
        raise _Usage(f"--jobs must be at least 1, not {jobs}")


def _default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def make_late_book(args: argparse.Namespace, plan: Plan, tasks: Sequence[Task]) -> Any:
    """The run's LateBook: the course file's policy (--late) or the rubric's, each student's
    extension, each submission's time (--submitted-at, else its modification time)."""
    from grader.late import LateBook, load_policy_file, read_extensions, read_times, submission_time

    late_file = getattr(args, "late", None)
    if late_file is not None:
        policy, base = load_policy_file(Path(late_file))
    elif plan.rubric.late is not None:
        policy, base = plan.rubric.late, Path(plan.rubric_path).parent
    else:
        return None
    deadlines = read_extensions(base / policy.extensions, policy.deadline) if policy.extensions else {}
    given = getattr(args, "submitted_at", None)
    listed = read_times(Path(given)) if given is not None else {}
    times = {t.name: listed[t.name] if t.name in listed else submission_time(t.path) for t in tasks}
    return LateBook(policy=policy, deadlines=deadlines, times=times)


def _plan_meta(plan: Plan, *, audience: str) -> dict[str, str]:
    checks = [[f"{q.id}.{c.spec.id}", c.spec.points, getattr(c.spec, "kind", "")] for q in plan.questions
              for c in q.checks]
    return {
        "assignment": plan.rubric.assignment,
        "rubric_path": plan.rubric_path,
        "rubric_hash": plan.rubric_hash,
        "questions": json.dumps([[q.id, q.title, q.points] for q in plan.questions]),
        "checks": json.dumps(checks),
        "audience": audience,
    }


def run_batch(args: argparse.Namespace, *, plan: Plan, device: str) -> int:
    """`grade PATH --out DIR ...`: see the module docstring. Returns the exit status."""
    try:
        _check_args(args)
    except _Usage as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    out_dir: Path = args.out if args.out is not None else DEFAULT_OUT
    if out_dir.exists() and not out_dir.is_dir():
        print(f"error: --out {out_dir}: not a folder", file=sys.stderr)
        return EXIT_USAGE
    tasks, notes = discover(args.path, out_dir=out_dir)
    if not tasks:
        print(f"error: {args.path}: no submissions (folders or archives) in it", file=sys.stderr)
        return EXIT_USAGE
    assignment = plan.rubric.assignment
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        gb = Gradebook.open(out_dir, create=True, exclusive=True)
    except GradebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:
        print(f"error: --out {out_dir}: {err.strerror or err}", file=sys.stderr)
        return EXIT_USAGE
    try:
        source = str(Path(args.path).resolve())
        refusal = _ownership_problem(gb, out_dir=out_dir, assignment=assignment, source=source)
        if refusal is not None:
            print(f"error: {refusal}", file=sys.stderr)
            return EXIT_USAGE
        gone = sorted(set(gb.current_ids(assignment)) - {t.name for t in tasks})
        if gone:
            notes.append(f"{len(gone)} submission(s) in the gradebook are no longer in {args.path}: "
                         f"{', '.join(gone[:10])}{' ...' if len(gone) > 10 else ''} (kept; remove one with "
                         f"`grade review {out_dir} --remove NAME`)")
        return _run(args, plan=plan, device=device, gb=gb, out_dir=out_dir, tasks=tasks, notes=notes,
                    source=source)
    except GradebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        gb.close()


def _ownership_problem(gb: Gradebook, *, out_dir: Path, assignment: str, source: str) -> str | None:
    """Why this run may not write into this gradebook, or None. A results folder belongs to
    one assignment and one submissions folder (``meta.submissions``, the resolved path): a
    run of another class would mix its submissions (and apply TA scores by student id) into
    this one's grades. The folder is the same when its path is, or when its path relative
    to the results folder is (``meta.submissions_relative``: the two were moved or copied
    together). A gradebook written before the folder was recorded is claimed when every
    stored submission was read from inside ``source``."""
    held = gb.meta("assignment")
    held_source = gb.meta("submissions")
    if held is not None and held != assignment:
        where = f" (the submissions in {held_source})" if held_source else ""
        return f"{out_dir}/ holds results of {held}, not {assignment}{where}: use another --out folder"
    moved_together = gb.meta("submissions_relative") == _relative(source, out_dir)
    if held_source is not None and held_source != source and not moved_together:
        return (f"{out_dir}/ holds the results of the submissions in {held_source}, not {source}: a results "
                "folder belongs to one submissions folder; use another --out folder (or the same path as before)")
    if held_source is None and held is not None:
        root = Path(source)
        foreign = sorted({r.source for r in gb.current(held) if not _inside(Path(r.source), root)})
        if foreign:
            other = Path(foreign[0]).resolve().parent
            return (f"{out_dir}/ holds the results of the submissions in {other} (e.g. {foreign[0]}), not {source}: "
                    "a results folder belongs to one submissions folder; use another --out folder")
    return None


def _relative(source: str, out_dir: Path) -> str:
    """The submissions folder as seen from the results folder: the same when both were
    moved or copied together (``course/submissions`` and ``course/results``)."""
    return os.path.relpath(source, out_dir.resolve())


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve() == root or path.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        return False


def _run(args: argparse.Namespace, *, plan: Plan, device: str, gb: Gradebook, out_dir: Path, tasks: list[Task],
         notes: list[str], source: str) -> int:
    from grader.engine import Grader

    assignment = plan.rubric.assignment
    quiet = bool(getattr(args, "quiet", False))
    timings = bool(getattr(args, "timings", False))
    audience = getattr(args, "audience", None) or "student"
    jobs = min(args.jobs or _default_jobs(), len(tasks))
    key = grading_key(plan, device=device, timings=timings)
    late = make_late_book(args, plan, tasks)
    late_json = late.to_json() if late is not None else ""
    late_changed = (gb.meta("late") or "") != late_json  # then every file is written again at the end
    gb.set_meta({**_plan_meta(plan, audience=audience), "submissions": source,
                 "submissions_relative": _relative(source, out_dir), "late": late_json})
    _clean_temporaries(out_dir)
    renderer_probe = _html_renderer()
    if not quiet:
        for n in notes:
            print(f"note: {for_terminal(n)}")
        print(f"grading {len(tasks)} submission(s) of {assignment} into {out_dir}/ with {jobs} job(s)"
              + ("" if renderer_probe is not None else " (JSON only: grader.report.html is not available)"), flush=True)
    t_start = time.monotonic()
    isolation = getattr(args, "isolation", "auto")
    grader = LazyGrader(lambda: Grader.create(plan, device=device, isolation=isolation, many=True))
    stop = threading.Event()
    try:
        shared = _Shared(grader=grader, plan=plan, known=gb.graded_results(assignment, key), overrides=tuple(gb.overrides(assignment)),
                         force=bool(getattr(args, "force", False)), timings=timings, audience=audience,
                         html=renderer_probe is not None, late=late,
                         first_try=not getattr(args, "full_limits", False),
                         retry=frozenset(gb.provisional_results(assignment, key)))
        current = gb.current_ids(assignment)
        todo: queue.Queue[Task] = queue.Queue()
        for t in tasks:
            todo.put(t)
        done: queue.Queue[TaskOutcome] = queue.Queue()
        workers = [threading.Thread(target=_worker, args=(todo, done, stop, shared), name=f"grade-{i}", daemon=True)
                   for i in range(jobs)]
        tty = sys.stdout.isatty()
        progress = Progress(len(tasks), stream=sys.stdout, tty=tty, quiet=quiet)
        html_error: str | None = None
        outcomes: list[TaskOutcome] = []
        pages: list[TaskOutcome] = []  # whose feedback page to render once grading is over
        interrupted = False
        try:
            for w in workers:
                w.start()
            while len(outcomes) < len(tasks):
                try:
                    o = done.get(timeout=0.2)
                except queue.Empty:
                    progress.draw()
                    continue
                if o.kind == "aborted":
                    stop.set()
                    progress.close()
                    assert o.error is not None
                    raise o.error
                _store(gb, o, assignment=assignment, rubric_hash=plan.rubric_hash, key=key, current=current)
                json_changed = write_submission_files(out_dir, o.task.name, o.rendered)
                if o.rendered is not None and renderer_probe is not None and (
                        json_changed or not (out_dir / f"{output_stem(o.task.name)}.html").is_file()):
                    pages.append(o)
                outcomes.append(o)
                progress.add(o)
                if o.traceback and getattr(args, "debug", False):
                    print(o.traceback, file=sys.stderr)
        except KeyboardInterrupt:
            interrupted = True
            stop.set()  # submissions in flight are dropped: a signal may have reached their sandbox
        progress.close()
    finally:
        stop.set()
        staff = grader.staff_notes()
        grader.close()
    for n in staff:  # the instructor's log: what the sandbox could not put in place, once per run
        print(f"note: {for_terminal(n, newlines=False)}", file=sys.stderr)
    elapsed = time.monotonic() - t_start
    # The feedback pages and the class report are rendered here, after grading (not on each
    # submission's path, where they cost CPU the sandbox could use): a page only where its
    # JSON changed or the page is missing, so a re-run where nothing changed renders none.
    if renderer_probe is not None:
        html_error = _render_pages(out_dir, pages, renderer_probe, audience) or html_error
    report = publish(out_dir, gb, assignment, only=None if late_changed else [], renderer=renderer_probe,
                     audience=audience)
    html_error = html_error or report.html_error
    for warning in report.warnings:
        print(f"warning: {for_terminal(warning, newlines=False)}", file=sys.stderr)
    if html_error:
        print(f"warning: HTML pages were not written ({html_error}); the JSON results and grades.csv are complete",
              file=sys.stderr)
    unread = [o for o in outcomes if o.not_submitted is not None]
    provisional = [o for o in outcomes if o.provisional is not None]
    graded = sum(o.kind == "graded" and o.not_submitted is None for o in outcomes)
    skipped = sum(o.kind == "skipped" for o in outcomes)
    failed = [o for o in outcomes if o.kind == "failed"]
    if getattr(args, "json", None) is not None:
        _write(args.json, _summary_json(outcomes, assignment=assignment, total=len(tasks), interrupted=interrupted))
    rate = len(outcomes) / elapsed if elapsed > 0 else 0.0
    summary = (f"{graded} graded, {skipped} unchanged, "
               + (f"{len(unread)} not submitted (empty or unreadable), " if unread else "")
               + (f"{len(provisional)} provisional (graded again by the next run), " if provisional else "")
               + f"{len(failed)} failed of {len(tasks)} in {elapsed:.1f} s "
               f"({rate:.1f}/s); results in {out_dir}/ (grades.csv"
               + (", report.html)" if renderer_probe is not None else ")"))
    if interrupted:
        print(f"interrupted: {summary}; {len(tasks) - len(outcomes)} not recorded: run the same command again to "
              "grade them", file=sys.stderr)
        return EXIT_INTERRUPTED
    if (failed or unread) and not quiet:
        print(f"{len(failed) + len(unread)} submission(s) could not be graded:")
        for o in sorted(failed + unread, key=lambda o: o.task.name):
            how = "scored 0 as not submitted: " if o.not_submitted is not None else ""
            print(f"  {for_terminal(o.task.name, newlines=False)}: {how}{for_terminal(o.failure, newlines=False)}")
    if provisional and not quiet:
        print(f"{len(provisional)} submission(s) had a call still running after the first try "
              "(a fifth of the call's limit, at least 2 s, or the rubric's first_try_s): their results are provisional "
              "(Status 'provisional' in grades.csv). Run the same command again to grade them with the full limits:")
        for o in sorted(provisional, key=lambda o: o.task.name):
            print(f"  {for_terminal(o.task.name, newlines=False)}: {for_terminal(o.provisional or '', newlines=False)}")
    print(f"done: {summary}")
    if provisional:
        print(f"exit status {EXIT_UNGRADED}: {len(provisional)} result(s) are provisional: run the same command again "
              "to grade them with the rubric's full limits", file=sys.stderr)
    if failed or unread:
        print(f"exit status {EXIT_UNGRADED}: {len(failed) + len(unread)} submission(s) could not be graded "
              "(see above, and the Status and Reason columns of grades.csv)", file=sys.stderr)
    return EXIT_UNGRADED if failed or unread or provisional else EXIT_OK


def _render_pages(out_dir: Path, outcomes: Sequence[TaskOutcome], renderer: HtmlRenderer, audience: str) -> str | None:
    """The feedback page of each outcome, from the JSON just written (overrides applied);
    the first error, if a page could not be rendered."""
    error = None
    for o in outcomes:
        assert o.rendered is not None
        try:
            text = renderer.feedback(SubmissionResult.from_json(o.rendered.json_text), audience=_audience(audience))
        except Exception as err:  # noqa: BLE001 - reported once by the batch; the JSON is complete
            error = error or f"{type(err).__name__}: {err}"
            continue
        _write(out_dir / f"{output_stem(o.task.name)}.html", text)
    return error


def _worker(todo: "queue.Queue[Task]", done: "queue.Queue[TaskOutcome]", stop: threading.Event, shared: _Shared) -> None:
    renderer = None  # the feedback pages are rendered after grading (see _run)
    while not stop.is_set():
        try:
            task = todo.get_nowait()
        except queue.Empty:
            return
        try:
            outcome = grade_task(task, shared, renderer)
        except BaseException as err:  # noqa: BLE001 - a grader bug: the main thread re-raises it
            outcome = TaskOutcome(task=task, kind="aborted", wall_s=0.0, error=err)
        if stop.is_set():
            return
        done.put(outcome)


def _store(gb: Gradebook, o: TaskOutcome, *, assignment: str, rubric_hash: str, key: str, current: dict[str, int]) -> None:
    name = o.task.name
    if o.kind == "skipped":
        assert o.row_id is not None
        if current.get(name) != o.row_id:
            gb.make_current(assignment=assignment, submission=name, row_id=o.row_id)
            current[name] = o.row_id
        return
    if o.kind == "graded":
        assert o.result_json is not None
        current[name] = gb.record(assignment=assignment, student=o.student, submission=name,
                                  content_hash=o.content_hash, rubric_hash=rubric_hash, grading_key=key,
                                  source=str(o.task.path), wall_s=o.wall_s, result_json=o.result_json,
                                  score=o.score, max_score=o.max_score, failure=o.not_submitted or o.provisional)
        return
    current[name] = gb.record(assignment=assignment, student=name, submission=name, content_hash=o.content_hash,
                              rubric_hash=rubric_hash, grading_key=key, source=str(o.task.path), wall_s=o.wall_s,
                              failure=o.failure or "not graded")


def _summary_json(outcomes: Sequence[TaskOutcome], *, assignment: str, total: int, interrupted: bool) -> str:
    subs = []
    for o in sorted(outcomes, key=lambda o: o.task.name):
        r = o.rendered
        subs.append({"submission": o.task.name, "outcome": "not_submitted" if o.not_submitted is not None else o.kind,
                     "student": r.student if r else o.task.name,
                     "score": r.score if r else None, "max_score": r.max_score if r else None,
                     "reason": o.failure})
    data = {"assignment": assignment, "total": total, "interrupted": interrupted,
            "graded": sum(o.kind == "graded" and o.not_submitted is None for o in outcomes),
            "not_submitted": sum(o.not_submitted is not None for o in outcomes), "unchanged": sum(o.kind == "skipped" for o in outcomes),
            "failed": sum(o.kind == "failed" for o in outcomes), "submissions": subs}
    return json.dumps(data, indent=2, sort_keys=True) + "\n"

