"""The `grade` command: a thin layer over the Python API.

    grade PATH [--assignment hw1] [--json FILE] [--device auto|cpu|cuda] [--fail-under N] [--quiet]
    grade schema                  print the rubric JSON Schema

Exit codes: 0 grading completed (whatever the score), 3 --fail-under not met, 2 usage,
submission-path or rubric errors, 1 internal error (one-line cause; traceback with --debug),
4 class mode completed but some submission could not be graded (see grader.batch).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
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
        epilog=_commands_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("path", type=Path, help="submission folder or archive")
    p.add_argument("--assignment", help="rubric name in rubrics/ (default: the only rubric in PATH/rubrics or "
                   "./rubrics, else hw1)")
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
    batch.add_argument("--late", type=Path, metavar="FILE",
                       help="course file with a `late:` policy (deadline, grace_minutes, per_day, cap, extensions); "
                            "wins over the rubric's")
    batch.add_argument("--submitted-at", type=Path, metavar="CSV",
                       help="when each submission was handed in (submission,time ISO 8601); default: its modification time")
    p.add_argument("--isolation", default="auto", choices=["auto", "full", "basic"], help=argparse.SUPPRESS)
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return p


def rubric_path(args: argparse.Namespace) -> Path:
    """The rubric to grade with: --rubric; else rubrics/<--assignment>.yaml in the working
    folder, in the submission folder (a student kit graded from its parent folder) or beside
    the grader; without --assignment, the only rubric in the submission's or the working
    folder's rubrics/, else hw1."""
    from grader.rubric import find_rubric

    if args.rubric:
        return Path(args.rubric)
    here = Path(args.path) if getattr(args, "path", None) is not None and Path(args.path).is_dir() else None
    roots = [Path.cwd() / "rubrics", *([here / "rubrics"] if here is not None else []),
             Path(__file__).resolve().parent.parent / "rubrics"]
    assignment = getattr(args, "assignment", None)
    if assignment is None:
        for root in roots[:-1][::-1]:  # the submission's own first (a kit), then the working folder's
            found = sorted(root.glob("*.yaml")) if root.is_dir() else []
            if len(found) == 1:
                return found[0]
        assignment = "hw1"
    return find_rubric(assignment, search=roots)


COMMAND_HELP = {
    "schema": "print the JSON Schema of rubric files",
    "student-kit": "build a student kit (public checks, stubs, CI workflow)",
    "gradescope-package": "build Gradescope's autograder zip",
    "review": "the manual-review queue; record, undo and list TA scores",
    "export": "write the class's grades as CSV / JSON Lines",
    "extract": "print the answers extracted from a write-up",
}


def _commands_epilog() -> str:
    """`grade --help` lists every sub-command (each has its own --help)."""
    width = max(map(len, COMMANDS))
    rows = "\n".join(f"  grade {name:<{width}}  {COMMAND_HELP.get(name, '')}".rstrip() for name in COMMANDS)
    return f"commands (grade COMMAND --help for each):\n{rows}"


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


def load_plan_for(args: argparse.Namespace):  # -> Plan
    from grader.rubric import load_plan

    path = rubric_path(args)
    if not path.is_file():
        raise UsageError(f"{path}: no such rubric file")
    return load_plan(path)


def scope_line(plan, public: bool) -> str | None:  # (Plan, bool) -> str | None
    """Why the total is not the assignment's: public checks only (a student kit, --public)."""
    course = plan.rubric.course_total
    if course is not None and abs(course - plan.max_score) > 1e-9:
        return (f"public checks only: the course grades out of {course:g}, with hidden checks and inputs "
                "that are not in this kit")
    if public:
        return "public checks only: hidden checks are left out"
    return None


def _prestart(args: argparse.Namespace) -> None:
    """One submission: start the sandbox while the rubric is compiled (issue 20: a cold
    start close to a bare torch import). The device is guessed without importing torch
    (no NVIDIA device node: the CPU); a wrong guess only costs the sandbox started ahead."""
    import os

    from grader.engine import prestart

    try:
        path = rubric_path(args)
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
    check_writable(args.json, args.html, args.gradescope, args.junit, args.summary_md)  # before any grading
    if args.out is None and not _is_class_folder(args.path):
        _prestart(args)
    plan = load_plan_for(args)  # rubric errors surface before any student code runs
    full_total = plan.max_score
    if args.public:
        plan = plan.public_only()
    scope = scope_line(plan, public=args.public and plan.max_score < full_total)
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
    write_outputs(result, args, elapsed_s=elapsed, gradescope=plan.rubric.gradescope, scope=scope)
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None  # a log or a pipe: never cut
    print(render_summary(result, quiet=args.quiet, audience=args.audience, width=width, scope=scope))
    if args.fail_under is not None and result.score < args.fail_under:
        print(f"score {result.score:g} is below --fail-under {args.fail_under:g}", file=sys.stderr)
        return EXIT_FAIL_UNDER
    return EXIT_OK


def write_outputs(result, args: argparse.Namespace, *, elapsed_s: float, gradescope=None,
                  scope: str | None = None) -> None:
    """Every file output of a graded submission, each written atomically. `gradescope`:
    the rubric's GradescopeSettings (what students see before release); `scope`: why the
    total is not the assignment's (the Markdown summary says it)."""
    if getattr(args, "summary_md", None):
        from grader.report.terminal import render_markdown

        _write_atomic(args.summary_md, render_markdown(result, scope=scope))
    if args.json:
        _write_atomic(args.json, result.to_json())
    if args.html:
        from grader.report.html import render_feedback

        _write_atomic(args.html, render_feedback(result, audience=args.audience))
    if args.gradescope:
        from grader.report.gradescope import to_gradescope

        settings = {} if gradescope is None else {"hidden_visibility": gradescope.hidden_visibility,
                                                   "total_before_release": gradescope.total_before_release}
        doc = to_gradescope(result, execution_time=elapsed_s, released=bool(getattr(args, "released", False)), **settings)
        _write_atomic(args.gradescope, json.dumps(doc, indent=2, sort_keys=True) + "\n")
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


def cmd_schema(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="grade schema", description="Print the JSON Schema of rubric files.")
    p.parse_args(argv)
    from grader.rubric import json_schema

    print(json.dumps(json_schema(), indent=2, sort_keys=True))
    return EXIT_OK


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _lazy(module: str, name: str) -> Callable[[Sequence[str]], int]:
    """A command whose module is imported only when the command runs."""
    return lambda argv: getattr(importlib.import_module(module), name)(argv)


COMMANDS: dict[str, Callable[[Sequence[str]], int]] = {
    "schema": cmd_schema,
    "student-kit": _lazy("grader.kit", "cmd_student_kit"),
    "gradescope-package": _lazy("grader.kit", "cmd_gradescope_package"),
    "review": _lazy("grader.review", "cmd_review"),
    "export": _lazy("grader.export", "cmd_export"),
    "extract": _lazy("grader.writeup.command", "cmd_extract"),
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
    from grader.late import LateError
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
    except (SubmissionError, UsageError, DeviceError, LateError) as err:
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
