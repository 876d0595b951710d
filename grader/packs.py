"""Assignment packs: one folder per assignment, found by name, imported under a private name.

A pack is `assignments/<name>/` (layout in docs/authoring.md):

    rubric.yaml      the rubric (`grade schema` describes it)
    reference/       the instructor's solutions, a Python package folder
    probes.py        the probes (trusted code run on both sides; loaded in the sandbox by path)
    oracles.py       optional: derive graded values on the grader's side
    mistakes.py      optional: known mistakes, variants of the reference
    kinds/           optional: the pack's own check kinds, one module per kind
    support/         files the student's code sees (scaffold, data)
    examples/<ex>/   example submissions; examples.yaml says what each should score
    tests/           the pack's tests (pytest collects `assignments`)

The engine names no assignment: it finds packs in the folders of `search_roots()` and
imports a pack's Python files as a package of its own under a synthetic name
(`_grader_pack_<name>_<digest>`; pack names may hold '-', which Python names cannot, and
two folders holding a pack of one name must not share modules). So `reference/lab2.py`
imports its pack's support file as `from ..support.scaffold import CONV`, and the oracles
import the probes as `from . import probes`.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import os
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PACKS_ENV = "GRADER_ASSIGNMENTS"  # extra folders of packs, os.pathsep-separated, searched first
PACKS_FOLDER = "assignments"
RUBRIC_NAMES = ("rubric.yaml", "rubric.yml")
EXAMPLES_FILE = "examples.yaml"
NAME_RE = re.compile(r"[a-z][a-z0-9_-]*")
_PREFIX = "_grader_pack_"


class PackError(Exception):
    """An assignment that cannot be found or chosen: one line for the user (exit 2)."""


@dataclass(frozen=True)
class Pack:
    """An assignment pack found on disk."""

    name: str
    root: Path

    @property
    def rubric_path(self) -> Path:
        for n in RUBRIC_NAMES:
            if (self.root / n).is_file():
                return self.root / n
        return self.root / RUBRIC_NAMES[0]

    @property
    def examples_file(self) -> Path:
        return self.root / EXAMPLES_FILE

    @property
    def examples_dir(self) -> Path:
        return self.root / "examples"

    @property
    def package(self) -> str:
        """The pack's folder imported as a package (`folder_package`)."""
        return folder_package(self.root)

    def module(self, dotted: str) -> types.ModuleType:
        """A module of the pack, in this (the grader's) process: `pack.module("reference.lab1")`,
        `pack.module("probes")`, `pack.module("kinds.threshold_unit")`."""
        return importlib.import_module(f"{self.package}.{dotted}")

    @classmethod
    def at(cls, path: str | Path) -> Pack:
        """The pack holding `path` (a pack's test file: `Pack.at(__file__)`): the nearest
        enclosing folder with a rubric.yaml."""
        p = Path(path).resolve()
        for d in (p, *p.parents) if p.is_dir() else p.parents:
            if any((d / n).is_file() for n in RUBRIC_NAMES):
                return cls(d.name, d)
        raise PackError(f"{path} is not inside an assignment pack (no rubric.yaml above it)")


def search_roots() -> list[Path]:
    """Folders holding packs, first match wins: $GRADER_ASSIGNMENTS, ./assignments, and
    the `assignments` folder beside the installed engine (a source checkout)."""
    roots: list[Path] = [Path(p) for p in os.environ.get(PACKS_ENV, "").split(os.pathsep) if p]
    roots += [Path.cwd() / PACKS_FOLDER, Path(__file__).resolve().parent.parent / PACKS_FOLDER]
    seen: set[Path] = set()
    out = []
    for r in roots:
        key = r.resolve()
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


def discover(roots: list[Path] | None = None) -> dict[str, Pack]:
    """Every pack in `roots` (default `search_roots()`), by name; a folder without a
    rubric is not a pack, and a name found twice is the first root's."""
    packs: dict[str, Pack] = {}
    for root in roots if roots is not None else search_roots():
        if not root.is_dir():
            continue
        for d in sorted(root.iterdir()):
            if d.is_dir() and NAME_RE.fullmatch(d.name) and any((d / n).is_file() for n in RUBRIC_NAMES):
                packs.setdefault(d.name, Pack(d.name, d))
    return packs


def find_pack(name: str, roots: list[Path] | None = None) -> Pack:
    """The pack called `name`; PackError naming the packs there are."""
    if not NAME_RE.fullmatch(name):
        raise PackError(f"assignment name {name!r}: use lowercase letters, digits, - and _ (starting with a letter)")
    packs = discover(roots)
    if name in packs:
        return packs[name]
    where = ", ".join(str(r) for r in (roots if roots is not None else search_roots()))
    raise PackError(f"no assignment {name!r} (looked in {where}); {describe_packs(packs)}")


def describe_packs(packs: dict[str, Pack]) -> str:
    """'assignments installed: a, b' or 'no assignment is installed'."""
    if not packs:
        return "no assignment is installed (create one with `grade new-assignment NAME`)"
    return "assignments installed: " + ", ".join(sorted(packs))


def pack_of(path: Path) -> Pack | None:
    """The pack whose rubric is `path` (a file named rubric.yaml in a pack-named folder),
    or None for a rubric file of another kind (a student kit's)."""
    p = path.resolve()
    if p.name in RUBRIC_NAMES and NAME_RE.fullmatch(p.parent.name):
        return Pack(p.parent.name, p.parent)
    return None


class _ProbekitFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """`import probekit` (what a pack's probes, reference or kinds write) gives
    `grader.sandbox.probekit`, imported then, not before: it imports torch (over a second),
    which reading a rubric (its kinds) does not need. `grade` on one submission reads the
    rubric to configure its sandbox's zygote before it compiles the rubric (issue 20): an
    eager import there held the zygote's configuration back by as much."""

    _own_spec: importlib.machinery.ModuleSpec | None = None

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "probekit":
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        from grader.sandbox import probekit  # registers itself as sys.modules["probekit"]

        self._own_spec = probekit.__spec__
        return probekit

    def exec_module(self, module: types.ModuleType) -> None:
        module.__spec__ = self._own_spec  # the import system set ours: it stays grader.sandbox.probekit


def _provide_probekit() -> None:
    """Make `import probekit` work in this process (once), lazily (`_ProbekitFinder`)."""
    if "probekit" in sys.modules or any(isinstance(f, _ProbekitFinder) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _ProbekitFinder())


def folder_package(folder: Path) -> str:
    """Import `folder` as a package of its own and return its (synthetic) name: its
    Python files are then `<name>.probes`, `<name>.reference.lab1`, `<name>.kinds.x`.

    The name holds a digest of the folder's path: one folder is always one package (its
    modules are imported once), two folders never share one."""
    _provide_probekit()
    root = folder.resolve()
    safe = re.sub(r"\W", "_", root.name) or "pack"
    name = f"{_PREFIX}{safe}_{hashlib.sha256(str(root).encode()).hexdigest()[:10]}"
    if name not in sys.modules:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(root)]
        module = types.ModuleType(name, f"assignment files in {root}")
        module.__spec__ = spec
        module.__path__ = [str(root)]
        module.__package__ = name
        sys.modules[name] = module
        importlib.invalidate_caches()
    return name


def module_name(package: str, file: str) -> str:
    """`<package>.<dotted>` for a file of the package ('probes.py' -> probes, 'sub/x.py'
    -> sub.x)."""
    rel = file.removesuffix(".py").strip("/").replace("/", ".")
    return f"{package}.{rel}"


def forget(folder: Path) -> None:
    """Drop a folder's package and its modules from this process (a test that rewrites a
    pack's files imports them afresh)."""
    name = folder_package(folder)
    for m in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[m]


# --------------------------------------------------------------------------- which assignment

ASSIGNMENT_KEY = "assignment"  # the answers file's key naming the assignment it answers


def kit_rubrics(folder: Path) -> list[Path]:
    """The rubric files of a student kit in `folder` (its rubrics/*.yaml, sorted); none
    when it has no rubrics/ folder."""
    kit = folder / "rubrics"
    if not kit.is_dir():
        return []
    return sorted(p for p in kit.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def installed(roots: list[Path] | None = None) -> dict[str, Path]:
    """Every assignment one can grade here, name -> rubric file: a student kit's
    rubrics/<name>.yaml in the working directory first (the kit the student is in), then
    the packs of `search_roots()`."""
    found: dict[str, Path] = {}
    if roots is None:
        for p in kit_rubrics(Path.cwd()):
            if NAME_RE.fullmatch(p.stem):
                found.setdefault(p.stem, p)
    for name, pack in discover(roots).items():
        found.setdefault(name, pack.rubric_path)
    return found


def _list(found: dict[str, Path]) -> str:
    if not found:
        return "no assignment is installed (create one with `grade new-assignment NAME`)"
    return "assignments installed: " + ", ".join(sorted(found))


def declared_assignment(path: Path) -> tuple[str, str] | None:
    """(assignment, where) when a submission names its assignment: the top-level
    `assignment:` key of its answers file (the student kit's template has it). None when
    it names none or cannot be read (grading reports an unreadable answers file)."""
    from grader.answers import load_answers
    from grader.submission import SubmissionError, open_submission

    try:
        sub = open_submission(path)
    except (SubmissionError, OSError):
        return None
    try:
        answers = load_answers(sub, known_paths=())
    finally:
        sub.close()
    data = answers.data
    value = data.get(ASSIGNMENT_KEY) if isinstance(data, dict) else None
    if value is None:
        return None
    line = answers.document.line_of([ASSIGNMENT_KEY]) if answers.document is not None else None
    where = f"{answers.filename}:{line}" if line else str(answers.filename)
    if not isinstance(value, str) or not NAME_RE.fullmatch(value.strip()):
        shown = str(value)[:40]
        raise PackError(f"{where}: `{ASSIGNMENT_KEY}: {shown}` is not an assignment name")
    return value.strip(), where


def choose_rubric(*, assignment: str | None, rubric: Path | None, submission: Path | None,
                  roots: list[Path] | None = None) -> Path:
    """The rubric to grade with, never a silent default: `rubric` (--rubric), else
    `assignment` (--assignment), else the assignment the submission names, else the only
    one installed. PackError (a usage error, exit 2) naming the assignments installed when
    none of these decides, when the one asked for is not installed, or when --assignment
    and the submission disagree."""
    if rubric is not None:
        return rubric
    declared = declared_assignment(submission) if submission is not None and submission.exists() else None
    found = installed(roots)
    name = assignment
    if name is not None and name not in found:
        where = ", ".join(str(r) for r in (roots if roots is not None else search_roots()))
        raise PackError(f"no assignment {name!r} (looked in {where}); {_list(found)}")
    if name is not None and declared is not None and declared[0] != name:
        raise PackError(f"the submission is for assignment {declared[0]!r} ({declared[1]}), not {name!r} "
                        f"as --assignment says; {_list(found)}")
    if name is None and declared is not None:
        name = declared[0]
    if name is None:
        if len(found) == 1:
            return next(iter(found.values()))
        raise PackError(f"which assignment? give --assignment NAME (or `{ASSIGNMENT_KEY}: NAME` in the answers file); "
                        f"{_list(found)}")
    if not NAME_RE.fullmatch(name):
        raise PackError(f"assignment name {name!r}: use lowercase letters, digits, - and _ (starting with a letter)")
    if name not in found:
        where = ", ".join(str(r) for r in (roots if roots is not None else search_roots()))
        said = f" (named by {declared[1]})" if declared is not None and assignment is None else ""
        raise PackError(f"no assignment {name!r}{said} (looked in {where}); {_list(found)}")
    return found[name]
