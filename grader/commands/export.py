"""``grade export RESULTS --csv FILE [--jsonl FILE] [--assignment A]``: the class's grades
with TA overrides applied (the formats are described in ``grader.classmode.export``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from grader.atomic import write_text_atomic
from grader.classmode.export import STATUS_FAILED, class_export, render_csv, render_jsonl
from grader.classmode.gradebook import Gradebook, GradebookError
from grader.exits import EXIT_OK, EXIT_USAGE

__all__ = ["cmd_export"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grade export", description="Export the grades of a results folder "
                                "(TA overrides applied): a CSV gradebook and/or JSON Lines.")
    p.add_argument("results", type=Path, help="results folder of a class run (holds gradebook.sqlite)")
    p.add_argument("--csv", type=Path, metavar="FILE", help="write the CSV here (one row per student)")
    p.add_argument("--jsonl", type=Path, metavar="FILE", help="write JSON Lines here (one object per student)")
    p.add_argument("--assignment", help="assignment in the gradebook (default: the one it was graded for)")
    p.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    return p


def cmd_export(argv: Sequence[str]) -> int:
    args = _parser().parse_args(argv)
    if args.csv is None and args.jsonl is None:
        print("error: nothing to export: give --csv FILE and/or --jsonl FILE", file=sys.stderr)
        return EXIT_USAGE
    if not args.results.is_dir():
        print(f"error: {args.results}: no such results folder", file=sys.stderr)
        return EXIT_USAGE
    try:
        with Gradebook.open(args.results, create=False, exclusive=False) as gb:
            assignment = args.assignment or gb.meta("assignment")
            if assignment is None:
                print(f"error: {gb.path}: no submission has been graded into it yet", file=sys.stderr)
                return EXIT_USAGE
            rows, qids = class_export(gb, assignment)
    except GradebookError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_USAGE
    if args.csv is not None:
        write_text_atomic(args.csv, render_csv(rows, question_ids=qids))
    if args.jsonl is not None:
        write_text_atomic(args.jsonl, render_jsonl(rows, question_ids=qids))
    failed = sum(r.status == STATUS_FAILED for r in rows)
    written = " and ".join(str(p) for p in (args.csv, args.jsonl) if p is not None)
    print(f"exported {len(rows)} submission(s) of {assignment} ({failed} failed) to {written}")
    return EXIT_OK
