"""``grade PATH``: one submission (a folder or an archive) graded and its outputs written
(terminal summary, --json, --html, --gradescope, --junit); a class folder, or ``--out``,
goes to class mode (``grader.classmode.run``)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from grader.atomic import write_text_atomic
from grader.commands import COMMAND_HELP
from grader.exits import EXIT_FAIL_UNDER, EXIT_OK, UsageError

if TYPE_CHECKING:
    from grader.results import SubmissionResult
    from grader.rubric import GradescopeSettings, Plan

__all__ = ["cmd_grade", "load_plan_for", "write_outputs"]


def _grade_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="grade",
        description="Grade a student's submission (folder, .zip or .tar.gz) against a rubric.",
        epilog=_commands_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("path", type=Path, help="submission folder or archive")
    p.add_argument("--assignment", metavar="NAME", help="the assignment (a pack in assignments/); default: the one the "
                   "answers file names (`assignment: NAME`), a student kit's own, or the only one installed")
    p.add_argument("--rubric", type=Path, help="rubric file (overrides --assignment)")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the result JSON here")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--fail-under", type=float, metavar="N", help="exit 3 when the total is below N")
    p.add_argument("--quiet", action="store_true", help="print only the total")
    p.add_argument("--timings", action="store_true", help="record timings in the JSON (not reproducible)")
    p.add_argument("--public", action="store_true", help="grade only the public checks (what students can run)")
    out = p.add_argument_group("outputs")
    out.add_argument("--html", type=Path, metavar="FILE", help="write HTML feedback here")
    out.add_argument("--audience", default="student", choices=["student", "instructor"],
                     help="who reads the summary and the HTML feedback: students (hidden checks show only "
                          "points, no grading-machine details) or instructors (default: student)")
    out.add_argument("--gradescope", type=Path, metavar="FILE", help="write Gradescope's results.json here")
    out.add_argument("--released", action="store_true",
                     help="--gradescope: grades are published (every check and the total shown, whatever the rubric's "
                          "gradescope.total_before_release)")
    out.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    out.add_argument("--summary-md", type=Path, metavar="FILE",
                     help="write the summary as Markdown (e.g. for a CI job summary: whole messages, nothing cut)")
    batch = p.add_argument_group("class mode (PATH is a folder of submissions)")
    batch.add_argument("--out", type=Path, metavar="DIR", help="results folder: per-submission JSON/HTML, gradebook, report")
    batch.add_argument("--jobs", type=int, metavar="N", help="submissions graded at once (default: number of cores)")
    batch.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    batch.add_argument("--full-limits", action="store_true",
                       help="give every call the rubric's full wall-clock limit at once (default: a first try of "
                            "limits.first_try_s, and a submission with a call still running then is graded again "
                            "with the full limit by the next run)")
    batch.add_argument("--late", type=Path, metavar="FILE",
                       help="course file with a `late:` policy (deadline, grace_minutes, per_day, cap, extensions); "
                            "wins over the rubric's")
    batch.add_argument("--submitted-at", type=Path, metavar="CSV",
                       help="when each submission was handed in (submission,time ISO 8601); default: its modification time")
    p.add_argument("--isolation", default="auto", choices=["auto", "full", "basic"], help=argparse.SUPPRESS)
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return p


def _commands_epilog() -> str:
    """`grade --help` lists every sub-command (each has its own --help)."""
    width = max(map(len, COMMAND_HELP))
    rows = "\n".join(f"  grade {name:<{width}}  {text}".rstrip() for name, text in COMMAND_HELP.items())
    return f"commands (grade COMMAND --help for each):\n{rows}"


def rubric_path(args: argparse.Namespace) -> Path:
    """The rubric to grade with, never a silent default: --rubric; a student kit graded from
    its parent folder (PATH/rubrics/ holds the kit's one rubric, and --assignment, if given,
    names it); else grader.packs.choose_rubric: --assignment, the assignment the
    submission's answers file names, or the only one installed."""
    from grader.classmode.discover import is_class_folder
    from grader.packs import PackError, choose_rubric, kit_rubrics

    if args.rubric:
        return Path(args.rubric)
    path = Path(args.path) if getattr(args, "path", None) is not None else None
    assignment = getattr(args, "assignment", None)
    kit = path / "rubrics" if path is not None and path.is_dir() else None
    found = kit_rubrics(path) if kit is not None and path is not None else []
    if len(found) == 1 and assignment in (None, found[0].stem):
        return found[0]
    if path is not None and (getattr(args, "out", None) is not None or is_class_folder(path)):
        if assignment is None:
            # what the submissions name first (a results folder of another assignment is then refused
            # by class mode, never mixed); else what the results folder was graded for (a re-run)
            assignment = _class_assignment(path, out=getattr(args, "out", None)) or _graded_for(getattr(args, "out", None))
        return choose_rubric(assignment=assignment, rubric=None, submission=None)
    try:
        return choose_rubric(assignment=assignment, rubric=None, submission=path)
    except PackError as err:
        if kit is not None and kit.is_dir():  # a student kit: say what it holds too
            held = ", ".join(p.stem for p in found) or "no rubric"
            raise PackError(f"{err}; the kit's {kit} holds: {held}") from None
        raise


def _graded_for(out: Path | None) -> str | None:
    """A results folder graded before: the assignment its gradebook was graded for."""
    from grader.classmode.gradebook import Gradebook, GradebookError

    if out is None or not (out / "gradebook.sqlite").is_file():
        return None
    try:
        with Gradebook.open(out, create=False, exclusive=False) as gb:
            return gb.meta("assignment")
    except GradebookError:
        return None  # class mode says what is wrong with it


CLASS_SAMPLE = 30  # submissions of a class read for the assignment they name


def _class_assignment(path: Path, *, out: Path | None) -> str | None:
    """A class graded without --assignment: the assignment its submissions' answers files
    name, when the first CLASS_SAMPLE that name one all name the same; else None (then the
    only one installed, or a usage error listing them)."""
    from grader.classmode.discover import discover
    from grader.packs import PackError, declared_assignment

    tasks, _ = discover(path, out_dir=out if out is not None else path / ".results")
    if not tasks:  # said before the assignment question: there is nothing to grade
        raise UsageError(f"{path}: no submissions (folders or archives) in it")
    named: set[str] = set()
    for task in tasks[:CLASS_SAMPLE]:
        try:
            declared = declared_assignment(task.path)
        except PackError:
            continue
        if declared is not None:
            named.add(declared[0])
    return next(iter(named)) if len(named) == 1 else None


def check_writable(*paths: Path | None) -> None:
    """Refuse, before any grading, an output path that cannot be written: a folder, a
    parent that is a file, or a folder without write permission (exit 2, naming it)."""
    for path in paths:
        if path is None:
            continue
        if path.is_dir():
            raise UsageError(f"{path}: is a folder; give a file name to write")
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise UsageError(f"{path}: cannot be written ({parent} is not a folder)")
        if not os.access(parent, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise UsageError(f"{path}: cannot be written (no permission in {parent})")


def scope_line(plan: Plan, public: bool) -> str | None:
    """Why the total is not the assignment's: public checks only (a student kit, --public)."""
    course = plan.rubric.course_total
    if course is not None and abs(course - plan.max_score) > 1e-9:
        return (f"public checks only: the course grades out of {course:g}, with hidden checks and inputs "
                "that are not in this kit")
    if public:
        return "public checks only: hidden checks are left out"
    return None


def load_plan_for(args: argparse.Namespace) -> Plan:
    from grader.rubric import load_plan

    path = rubric_path(args)
    if not path.is_file():
        raise UsageError(f"{path}: no such rubric file")
    return load_plan(path)


def _guessed_device(args: argparse.Namespace) -> str:
    """The device a grade will use, guessed without importing torch (no NVIDIA device
    node: the CPU); a wrong guess only costs what was started ahead for it."""
    return str(args.device) if args.device != "auto" else ("cuda" if os.path.exists("/dev/nvidia0") else "cpu")


def _prespawn(args: argparse.Namespace) -> bool:
    """One submission: start the sandbox's zygote process first of all, before this
    process imports the rubric's models or reads the rubric (issue 20: a cold start close
    to a bare torch import); the sandbox started later takes it over (grader.sandbox.prespawn).
    Whether one was started."""
    from grader.sandbox import prespawn

    try:
        prespawn(device=_guessed_device(args))
    except Exception:  # noqa: BLE001 - best effort: the sandbox then starts its own, and reports
        return False
    return True


def _prestart(args: argparse.Namespace) -> None:
    """One submission: start the sandbox while the rubric is compiled (issue 20: a cold
    start close to a bare torch import)."""

    from grader.engine import prestart

    try:
        path = rubric_path(args)
    except Exception:  # noqa: BLE001 - reported by load_plan_for
        return
    if args.public or not path.is_file():
        return
    prestart(path, device=_guessed_device(args), isolation=args.isolation)


def cmd_grade(argv: Sequence[str]) -> int:
    args = _grade_parser().parse_args(argv)
    # first of all, before the imports below; a class folder stops it again
    spawned = args.out is None and not args.public and args.path.exists() and _prespawn(args)
    from grader.classmode.discover import is_class_folder

    single = args.out is None and args.path.exists() and not is_class_folder(args.path)
    if spawned and not single:
        from grader.sandbox import discard_prespawned

        discard_prespawned()
    from grader.device import resolve_device
    from grader.packs import PackError
    from grader.engine import Grader
    from grader.report.terminal import render_summary
    from grader.submission import open_submission

    if not args.path.exists():
        raise UsageError(f"{args.path}: no such file or directory")
    check_writable(args.json, args.html, args.gradescope, args.junit, args.summary_md)  # before any grading
    try:  # the assignment, once: the flags, the submission itself or the only one installed
        args.rubric = rubric_path(args)
    except PackError:
        if args.out is None and not is_class_folder(args.path):
            open_submission(args.path).close()  # a submission that cannot be read says so first (empty, corrupt)
        raise
    if single:
        _prestart(args)
    plan = load_plan_for(args)  # rubric errors surface before any student code runs
    full_total = plan.max_score
    if args.public:
        plan = plan.public_only()
    scope = scope_line(plan, public=args.public and plan.max_score < full_total)
    device = resolve_device(args.device)
    if args.out is not None or is_class_folder(args.path):
        from grader.classmode.run import run_batch

        return run_batch(args, plan=plan, device=device)
    t0 = time.perf_counter()
    sub = open_submission(args.path)
    try:
        with Grader.create(plan, device=device, isolation=args.isolation) as grader:
            result = grader.grade(sub, timings=args.timings)
    finally:
        sub.close()
    elapsed = time.perf_counter() - t0
    write_outputs(result, args, elapsed_s=elapsed, gradescope=plan.rubric.gradescope, scope=scope)
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None  # a log or a pipe: never cut
    print(render_summary(result, quiet=args.quiet, audience=args.audience, width=width, scope=scope))
    if args.fail_under is not None and result.score < args.fail_under:
        print(f"score {result.score:g} is below --fail-under {args.fail_under:g}", file=sys.stderr)
        return EXIT_FAIL_UNDER
    return EXIT_OK


def write_outputs(result: SubmissionResult, args: argparse.Namespace, *, elapsed_s: float,
                  gradescope: GradescopeSettings | None = None, scope: str | None = None) -> None:
    """Every file output of a graded submission, each written atomically. `gradescope`:
    the rubric's GradescopeSettings (what students see before release); `scope`: why the
    total is not the assignment's (the Markdown summary says it)."""
    if getattr(args, "summary_md", None):
        from grader.report.terminal import render_markdown

        write_text_atomic(args.summary_md, render_markdown(result, scope=scope))
    if args.json:
        write_text_atomic(args.json, result.to_json())
    if args.html:
        from grader.report.html import render_feedback

        write_text_atomic(args.html, render_feedback(result, audience=args.audience))
    if args.gradescope:
        from grader.report.gradescope import to_gradescope

        released = bool(getattr(args, "released", False))
        doc = (to_gradescope(result, execution_time=elapsed_s, released=released) if gradescope is None else
               to_gradescope(result, execution_time=elapsed_s, released=released,
                             hidden_visibility=gradescope.hidden_visibility,
                             total_before_release=gradescope.total_before_release))
        write_text_atomic(args.gradescope, json.dumps(doc, indent=2, sort_keys=True) + "\n")
    if args.junit:
        from grader.report.junit import to_junit

        write_text_atomic(args.junit, to_junit(result))
