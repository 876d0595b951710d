"""The `grade` command: a thin layer over the Python API.

    grade PATH [--assignment NAME] [--json FILE] [--device auto|cpu|cuda] [--fail-under N] [--quiet]
    grade schema [--assignment NAME]   print the rubric JSON Schema
    grade validate NAME                check an assignment pack and grade its examples
    grade new-assignment NAME          create an assignment pack that validates at once

The assignment is never a silent default: --rubric, --assignment, the submission's answers
file (`assignment: NAME`) or the only assignment installed (grader.packs.choose_rubric).

Exit codes: 0 grading completed (whatever the score), 3 --fail-under not met, 2 usage,
submission-path or rubric errors, 1 internal error (one-line cause; traceback with --debug),
4 class mode completed but some submission could not be graded (see grader.batch).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Callable, Sequence

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_FAIL_UNDER = 3


class UsageError(Exception):
    """A problem with what the user asked for: shown as one line, exit code 2."""


def _grade_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="grade",
        description="Grade a student's submission (folder, .zip or .tar.gz) against a rubric.",
        epilog="Other commands: `grade schema` prints the rubric JSON Schema.",
    )
    p.add_argument("path", type=Path, help="submission folder or archive")
    p.add_argument("--assignment", metavar="NAME", help="the assignment (a pack in assignments/); default: the one the "
                   "answers file names (`assignment: NAME`), or the only one installed")
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


def load_plan_for(args: argparse.Namespace):  # -> Plan
    from grader.packs import choose_rubric
    from grader.rubric import load_plan

    path = choose_rubric(assignment=args.assignment, rubric=args.rubric, submission=None)
    if not path.is_file():
        raise UsageError(f"{path}: no such rubric file")
    return load_plan(path)


def _prestart(args: argparse.Namespace) -> None:
    """One submission: start the sandbox while the rubric is compiled (issue 20: a cold
    start close to a bare torch import). The device is guessed without importing torch
    (no NVIDIA device node: the CPU); a wrong guess only costs the sandbox started ahead."""
    import os

    from grader.engine import prestart
    from grader.packs import choose_rubric

    try:
        path = choose_rubric(assignment=args.assignment, rubric=args.rubric, submission=None)
    except Exception:  # noqa: BLE001 - reported by load_plan_for
        return
    if args.public or not path.is_file():
        return
    device = args.device if args.device != "auto" else ("cuda" if os.path.exists("/dev/nvidia0") else "cpu")
    prestart(path, device=device, isolation=args.isolation)


def cmd_grade(argv: Sequence[str]) -> int:
    args = _grade_parser().parse_args(argv)
    from grader.device import resolve_device
    from grader.engine import Grader
    from grader.report.terminal import render_summary
    from grader.submission import open_submission

    if not args.path.exists():
        raise UsageError(f"{args.path}: no such file or directory")
    from grader.packs import choose_rubric

    # the assignment, once: from the flags, the submission itself or the only one installed
    args.rubric = choose_rubric(assignment=args.assignment, rubric=args.rubric,
                                submission=None if _is_class_folder(args.path) else args.path)
    if args.out is None and not _is_class_folder(args.path):
        _prestart(args)
    plan = load_plan_for(args)  # rubric errors surface before any student code runs
    if args.public:
        plan = plan.public_only()
    device = resolve_device(args.device)
    if args.out is not None or _is_class_folder(args.path):
        from grader.batch import run_batch

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


def write_outputs(result, args: argparse.Namespace, *, elapsed_s: float) -> None:
    """Every file output of a graded submission, each written atomically."""
    if args.json:
        _write_atomic(args.json, result.to_json())
    if args.html:
        from grader.report.html import render_feedback

        _write_atomic(args.html, render_feedback(result, audience=args.audience))
    if args.gradescope:
        from grader.report.gradescope import to_gradescope

        _write_atomic(args.gradescope, json.dumps(to_gradescope(result, execution_time=elapsed_s), indent=2, sort_keys=True) + "\n")
    if args.junit:
        from grader.report.junit import to_junit

        _write_atomic(args.junit, to_junit(result))


def _is_class_folder(path: Path) -> bool:
    """A folder of submissions: no answers or code files of its own, but folders/archives."""
    if not path.is_dir():
        return False
    names = [p.name for p in path.iterdir() if not p.name.startswith(".")]
    own = [n for n in names if n.startswith("answers.") or n.endswith((".py", ".ipynb", ".pdf", ".md", ".txt"))]
    subs = [n for n in names if (path / n).is_dir() or n.endswith((".zip", ".tar.gz", ".tgz", ".tar"))]
    return not own and len(subs) >= 2


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _lazy(module: str, name: str) -> Callable[[Sequence[str]], int]:
    """A command whose module is imported only when the command runs."""
    return lambda argv: getattr(importlib.import_module(module), name)(argv)


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "schema": _lazy("grader.packcmds", "cmd_schema"),
    "student-kit": _lazy("grader.kit", "cmd_student_kit"),
    "gradescope-package": _lazy("grader.kit", "cmd_gradescope_package"),
    "review": _lazy("grader.review", "cmd_review"),
    "export": _lazy("grader.export", "cmd_export"),
    "extract": _lazy("grader.writeup.command", "cmd_extract"),
    "validate": _lazy("grader.packcmds", "cmd_validate"),
    "new-assignment": _lazy("grader.packcmds", "cmd_new_assignment"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command with stdout and stderr escaped for a terminal (see
    ``grader.report.terminal``): whatever a submission holds, nothing it names or writes
    reaches the TA's terminal as a control sequence."""
    from grader.report.terminal import TerminalStream

    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = TerminalStream(out), TerminalStream(err)  # type: ignore[assignment]
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    from grader.device import DeviceError
    from grader.packs import PackError
    from grader.rubric import RubricError
    from grader.submission import SubmissionError

    try:
        if argv and argv[0] in COMMANDS and not Path(argv[0]).exists():
            return COMMANDS[argv[0]](argv[1:])
        return cmd_grade(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage errors (2)
        return int(exc.code or 0)
    except RubricError as err:
        print("rubric error:\n  " + "\n  ".join(err.problems), file=sys.stderr)
        return EXIT_USAGE
    except (SubmissionError, UsageError, DeviceError, PackError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - the last resort: one line, traceback on --debug
        if debug:
            traceback.print_exc()
        print(f"internal error: {type(err).__name__}: {err} (run with --debug for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    raise SystemExit(main())
