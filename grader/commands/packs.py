"""The commands about assignments themselves (not about a submission):

    grade schema [--assignment NAME | --rubric FILE]   the JSON Schema of rubric files
    grade validate NAME [--rubric FILE]                check a pack, grade its examples
    grade new-assignment NAME [--into DIR]             a pack skeleton that validates at once
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from grader.exits import EXIT_OK, EXIT_USAGE

EXIT_MISMATCH = 1  # `grade validate`: a problem or an example scoring other than recorded


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


def cmd_validate(argv: Sequence[str]) -> int:
    """Check an assignment pack as it loads (rubric, reference, probes, outputs) and grade
    its example submissions against examples.yaml: exit 0 when all is as recorded, 1 on a
    problem or a mismatch, 2 when there is no such assignment."""
    p = argparse.ArgumentParser(prog="grade validate",
                                description="Check an assignment pack and grade its examples against examples.yaml.")
    p.add_argument("assignment", metavar="NAME", help="the assignment (a pack folder's name, or a path to the pack)")
    p.add_argument("--device", default="cpu", choices=["auto", "cpu", "cuda"])
    p.add_argument("--isolation", default="auto", choices=["auto", "full", "basic"], help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    from grader.device import resolve_device
    from grader.packs import Pack, PackError, find_pack
    from grader.packcheck import validate_pack

    as_path = Path(args.assignment)
    if as_path.is_dir() and any((as_path / n).is_file() for n in ("rubric.yaml", "rubric.yml")):
        pack = Pack(as_path.resolve().name, as_path)
    else:
        try:
            pack = find_pack(args.assignment)
        except PackError as err:
            print(f"error: {err}", file=sys.stderr)
            return EXIT_USAGE
    report = validate_pack(pack, device=resolve_device(args.device), isolation=args.isolation)
    print(report.render())
    return EXIT_OK if report.ok else EXIT_MISMATCH


def cmd_new_assignment(argv: Sequence[str]) -> int:
    """Write a new pack from grader/pack_template: a rubric with a code check, a hidden
    check, an answers check of the pack's own kind and a manual one; a reference, probes,
    two examples and a test. It validates and grades its examples as it is."""
    p = argparse.ArgumentParser(prog="grade new-assignment",
                                description="Create an assignment pack that validates and grades its own examples.")
    p.add_argument("name", metavar="NAME", help="the assignment's name: lowercase letters, digits, - and _")
    p.add_argument("--into", type=Path, default=Path("assignments"), metavar="DIR",
                   help="the folder of packs to create it in (default: ./assignments)")
    p.add_argument("--title", help="the assignment's title (default: the name)")
    args = p.parse_args(argv)
    from grader.packs import NAME_RE

    if not NAME_RE.fullmatch(args.name):
        print(f"error: assignment name {args.name!r}: use lowercase letters, digits, - and _ (starting with a letter)",
              file=sys.stderr)
        return EXIT_USAGE
    dest = args.into / args.name
    if not TEMPLATE.is_dir():
        print("error: this installation has no template of new assignments (grader/pack_template)", file=sys.stderr)
        return EXIT_USAGE
    if dest.exists():
        print(f"error: {dest} exists: choose another name, or remove it first", file=sys.stderr)
        return EXIT_USAGE
    files = write_skeleton(dest, args.name, title=args.title or args.name)
    print(f"assignment {args.name}: {len(files)} files in {dest}")
    print(f"next: grade validate {args.name if args.into == Path('assignments') else dest}; "
          f"then edit {dest / 'rubric.yaml'} (docs/authoring.md)")
    return EXIT_OK


TEMPLATE = Path(__file__).resolve().parent.parent / "pack_template"  # grader/pack_template


def write_skeleton(dest: Path, name: str, *, title: str) -> list[Path]:
    """Copy the pack template into `dest` with @@NAME@@, @@SLUG@@ and @@TITLE@@ filled;
    `tests/test_pack.py` becomes `tests/test_<slug>_pack.py` (test file names are unique
    across the repository)."""
    slug = name.replace("-", "_")
    title_text = title.replace('"', "'").replace("\\", "/")
    written: list[Path] = []
    for src in sorted(TEMPLATE.rglob("*.tmpl")):
        rel = src.relative_to(TEMPLATE).as_posix().removesuffix(".tmpl")
        if rel == "tests/test_pack.py":
            rel = f"tests/test_{slug}_pack.py"
        text = src.read_text(encoding="utf-8")
        text = text.replace("@@NAME@@", name).replace("@@SLUG@@", slug).replace("@@TITLE@@", title_text)
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        written.append(out)
    return written
