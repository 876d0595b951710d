"""``grade PATH``: one submission (a folder or an archive) graded and its outputs written
(terminal summary, --json, --html, --gradescope, --junit); a class folder, or ``--out``,
goes to class mode (``grader.classmode.run``)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from grader.atomic import write_text_atomic
from grader.exits import EXIT_FAIL_UNDER, EXIT_OK, UsageError

if TYPE_CHECKING:
    from grader.results import SubmissionResult
    from grader.rubric import Plan

__all__ = ["cmd_grade", "load_plan_for", "write_outputs"]


def _grade_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="grade",
        description="Grade a student's submission (folder, .zip or .tar.gz) against a rubric.",
        epilog="Other commands: `grade schema` prints the rubric JSON Schema.",
    )
    p.add_argument("path", type=Path, help="submission folder or archive")
    p.add_argument("--assignment", default="hw1", help="rubric name in rubrics/ (default: hw1)")
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
                     help="HTML feedback for students (hidden checks show only points) or instructors")
    out.add_argument("--gradescope", type=Path, metavar="FILE", help="write Gradescope's results.json here")
    out.add_argument("--junit", type=Path, metavar="FILE", help="write JUnit XML here")
    batch = p.add_argument_group("class mode (PATH is a folder of submissions)")
    batch.add_argument("--out", type=Path, metavar="DIR", help="results folder: per-submission JSON/HTML, gradebook, report")
    batch.add_argument("--jobs", type=int, metavar="N", help="submissions graded at once (default: number of cores)")
    batch.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    p.add_argument("--isolation", default="auto", choices=["auto", "full", "basic"], help=argparse.SUPPRESS)
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return p


def load_plan_for(args: argparse.Namespace) -> Plan:
    from grader.rubric import find_rubric, load_plan

    path = args.rubric if args.rubric else find_rubric(args.assignment)
    if not path.is_file():
        raise UsageError(f"{path}: no such rubric file")
    return load_plan(path)


def _prestart(args: argparse.Namespace) -> None:
    """One submission: start the sandbox while the rubric is compiled (issue 20: a cold
    start close to a bare torch import). The device is guessed without importing torch
    (no NVIDIA device node: the CPU); a wrong guess only costs the sandbox started ahead."""

    from grader.engine import prestart
    from grader.rubric import find_rubric

    try:
        path = args.rubric if args.rubric else find_rubric(args.assignment)
    except Exception:  # noqa: BLE001 - reported by load_plan_for
        return
    if args.public or not path.is_file():
        return
    device = args.device if args.device != "auto" else ("cuda" if os.path.exists("/dev/nvidia0") else "cpu")
    prestart(path, device=device, isolation=args.isolation)


def cmd_grade(argv: Sequence[str]) -> int:
    args = _grade_parser().parse_args(argv)
    from grader.classmode.discover import is_class_folder
    from grader.device import resolve_device
    from grader.engine import Grader
    from grader.report.terminal import render_summary
    from grader.submission import open_submission

    if not args.path.exists():
        raise UsageError(f"{args.path}: no such file or directory")
    if args.out is None and not is_class_folder(args.path):
        _prestart(args)
    plan = load_plan_for(args)  # rubric errors surface before any student code runs
    if args.public:
        plan = plan.public_only()
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
    write_outputs(result, args, elapsed_s=elapsed)
    print(render_summary(result, quiet=args.quiet))
    if args.fail_under is not None and result.score < args.fail_under:
        print(f"score {result.score:g} is below --fail-under {args.fail_under:g}", file=sys.stderr)
        return EXIT_FAIL_UNDER
    return EXIT_OK


def write_outputs(result: SubmissionResult, args: argparse.Namespace, *, elapsed_s: float) -> None:
    """Every file output of a graded submission, each written atomically."""
    if args.json:
        write_text_atomic(args.json, result.to_json())
    if args.html:
        from grader.report.html import render_feedback

        write_text_atomic(args.html, render_feedback(result, audience=args.audience))
    if args.gradescope:
        from grader.report.gradescope import to_gradescope

        write_text_atomic(args.gradescope, json.dumps(to_gradescope(result, execution_time=elapsed_s), indent=2, sort_keys=True) + "\n")
    if args.junit:
        from grader.report.junit import to_junit

        write_text_atomic(args.junit, to_junit(result))
