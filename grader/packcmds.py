"""The commands about assignments themselves (not about a submission):

    grade schema [--assignment NAME | --rubric FILE]   the JSON Schema of rubric files
    grade validate NAME [--rubric FILE]                check a pack, grade its examples
    grade new-assignment NAME [--into DIR]             a pack skeleton that validates at once
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Sequence

EXIT_OK = 0
EXIT_MISMATCH = 1
EXIT_USAGE = 2


def cmd_schema(argv: Sequence[str]) -> int:
    """Print the JSON Schema of rubric files: the engine's kinds, plus an assignment's own
    kinds when one is named (what its rubric.yaml may hold)."""
    p = argparse.ArgumentParser(prog="grade schema", description="Print the JSON Schema of rubric files.")
    p.add_argument("--assignment", metavar="NAME", help="include the check kinds of this assignment's pack")
    p.add_argument("--rubric", type=Path, metavar="FILE", help="include the check kinds this rubric file names")
    args = p.parse_args(argv)
    from grader.rubric import find_rubric, json_schema, rubric_kinds

    path = args.rubric if args.rubric else find_rubric(args.assignment) if args.assignment else None
    extra = rubric_kinds(path) if path is not None else ()
    print(json.dumps(json_schema(extra), indent=2, sort_keys=True))
    return EXIT_OK
