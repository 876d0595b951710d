"""Helpers for the pack tests: a fresh skeleton pack (`grade new-assignment`'s) in a
temporary folder of packs, and rubric edits on a copy of it."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.packcmds import write_skeleton
from grader.packs import Pack

REPO = Path(__file__).resolve().parents[2]
HW1_PACK = REPO / "assignments" / "hw1"


def make_skeleton(root: Path, name: str = "toy-pack") -> Pack:
    """A new pack `name` in the folder of packs `root` (created)."""
    write_skeleton(root / name, name, title=f"The {name} assignment")
    return Pack(name, root / name)


def edited(pack: Pack, dest_root: Path, *pairs: tuple[str, str], file: str = "rubric.yaml") -> Pack:
    """A copy of `pack` under `dest_root` with `file`'s text edited (each old -> new once)."""
    dest = dest_root / pack.name
    shutil.copytree(pack.root, dest, ignore=shutil.ignore_patterns("__pycache__"))
    path = dest / file
    text = path.read_text()
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text)
    return Pack(pack.name, dest)


def line_of(path: Path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)
