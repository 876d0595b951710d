"""`grade extract PATH`: print what a write-up yields, as an answers.yaml to check and fix.

    grade extract report.pdf                 the answers.yaml, with page/line and confidence per answer
    grade extract report.pdf --out fixed/    also write it, and the code found (lab2.py), into fixed/

PATH is a write-up (.pdf, .md, .txt) or a submission folder or archive holding one.
A TA fixes the file where the extraction went wrong and grades the folder: an answers
file always takes precedence over the write-up.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

__all__ = ["cmd_extract"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="grade extract",
        description="Print the answers a write-up (report.pdf, .md, .txt, .docx, report.ipynb) yields, as an answers.yaml with the "
        "page/line and confidence of each answer, so a TA can check, fix and re-grade it.",
    )
    p.add_argument("path", type=Path, help="a write-up, or a submission folder/archive holding one")
    p.add_argument("--assignment", metavar="NAME", help="the assignment (default: as `grade` chooses it: the one the "
                   "submission names, or the only one installed)")
    p.add_argument("--rubric", type=Path, help="rubric file (overrides --assignment)")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="also write answers.yaml and the extracted code modules here (a folder to fix and grade)")
    return p


def cmd_extract(argv: Sequence[str]) -> int:
    from grader.exits import EXIT_OK, UsageError
    from grader.packs import choose_rubric
    from grader.rubric import load_plan
    from grader.submission import open_submission
    from grader.writeup.loader import choose_writeup, find_writeups, read_writeup
    from grader.writeup.render import render_yaml
    from grader.writeup.source import WriteupError

    args = _parser().parse_args(argv)
    if not args.path.exists():
        raise UsageError(f"{args.path}: no such file or directory")
    with open_submission(args.path) as sub:
        found = find_writeups(sub.files)
        if not found:
            raise UsageError(f"{args.path}: no write-up (.pdf, .md, .txt, .docx or report notebook) at the top "
                             "of the submission")
        # the assignment as `grade` chooses it: --rubric, --assignment, the submission's own, the only one installed
        plan = load_plan(choose_rubric(assignment=args.assignment, rubric=args.rubric, submission=args.path))
        name, ignored, rule = choose_writeup(found, lambda f: (sub.root / f).lstat().st_size)
        if ignored:
            print(f"{name} is read as the report ({rule}); ignored: {', '.join(ignored)}", file=sys.stderr)
        try:
            ex = read_writeup(sub, name, plan=plan)
        except WriteupError as err:
            raise UsageError(str(err)) from None
    text = render_yaml(ex, assignment=plan.rubric.assignment, review_below=plan.rubric.writeup.review_below)
    files = {"answers.yaml": text, **{m.filename: m.source for m in ex.modules}}
    if args.out is not None:
        clash = [name for name in files if (args.out / name).exists()]
        if clash:
            raise UsageError(f"{args.out}: {', '.join(clash)} already there; nothing written (choose another folder)")
    sys.stdout.write(text)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (args.out / name).write_text(content, encoding="utf-8")
        print(f"wrote {', '.join(files)} to {args.out}", file=sys.stderr)
    return EXIT_OK
