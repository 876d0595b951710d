"""`grade student-kit` and `grade gradescope-package`: build the two products from a pack's
rubric; what cannot be built is one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence

from grader.gradescope_package import build_gradescope_package, gradescope_outline
from grader.kit import build_student_kit
from grader.packaging import KitError
from grader.rubric import Plan


def _plan_and_rubric(args: argparse.Namespace) -> tuple[Plan, Path]:
    from grader.packs import PackError, choose_rubric
    from grader.rubric import load_plan

    try:
        path = choose_rubric(assignment=args.assignment, rubric=args.rubric, submission=None)
    except PackError as err:
        raise KitError(str(err)) from None
    if not path.is_file():
        raise KitError(f"{path}: no such rubric file")
    return load_plan(path), path


def _run(fn: Callable[[], None]) -> int:
    from grader.exits import EXIT_OK, EXIT_USAGE

    try:
        fn()
    except KitError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def cmd_student_kit(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="grade student-kit",
                                description="Build a student kit: submission template, public checks, grader, CI workflow.")
    p.add_argument("--assignment", metavar="NAME", help="the assignment (a pack in assignments/; default: the only one installed)")
    p.add_argument("--rubric", type=Path, help="rubric file (overrides --assignment)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder to write the kit into (new or empty)")
    p.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    args = p.parse_args(argv)

    def build() -> None:
        if args.out.exists() and (not args.out.is_dir() or (any(args.out.iterdir()) and not args.force)):
            raise KitError(f"{args.out}: exists and is not an empty folder (use --force to write into it)")
        plan, _ = _plan_and_rubric(args)
        kit = build_student_kit(plan, args.out)
        print(f"student kit for {plan.rubric.assignment}: {len(kit.files)} files in {args.out}")

    return _run(build)


def cmd_gradescope_package(argv: Sequence[str]) -> int:
    p = argparse.ArgumentParser(prog="grade gradescope-package",
                                description="Build the autograder zip that Gradescope accepts (setup.sh, run_autograder, grader, reference, rubric).")
    p.add_argument("--assignment", metavar="NAME", help="the assignment (a pack in assignments/; default: the only one installed)")
    p.add_argument("--rubric", type=Path, help="rubric file (overrides --assignment)")
    p.add_argument("--out", type=Path, required=True, metavar="ZIP", help="the zip to write, e.g. autograder.zip")
    p.add_argument("--wheels", type=Path, metavar="DIR",
                   help="bundle the .whl files of DIR (e.g. from `pip download`): setup.sh installs from them first")
    p.add_argument("--released", action="store_true",
                   help="grades are published: results show every check and the total (rubric gradescope.total_before_release)")
    args = p.parse_args(argv)

    def build() -> None:
        plan, rubric_file = _plan_and_rubric(args)
        names = build_gradescope_package(plan, rubric_file, args.out, wheels=args.wheels, released=args.released)
        print(f"Gradescope autograder for {plan.rubric.assignment}: {len(names)} files in {args.out}")
        print(gradescope_outline(plan).text(plan.rubric.assignment, released=args.released,
                                            total_before_release=plan.rubric.gradescope.total_before_release), end="")

    return _run(build)
