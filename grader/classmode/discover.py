"""Which entries of a class folder are submissions: the one rule, for `grade DIR` (is it a
class?) and for class mode (which entries to grade).

A submission is a folder or an archive (any of ``grader.submission.ARCHIVE_SUFFIXES``:
.zip, .tar, .tar.gz/.tgz, .tar.bz2/.tbz2, .tar.xz/.txz, in any case). A folder is one
student's submission, not a class, when it holds a submission file of its own: an answers
file or code (.py, .ipynb). Without ``--out`` (`is_class_folder`: is PATH a class at all?)
a write-up counts too (.pdf, .md, .markdown, .txt; README, LICENSE and the like do not),
so a report handed in with a figures/ folder is one submission; with ``--out`` the TA has
asked for class mode, and a roster.txt beside the submissions is listed and ignored.
Hidden entries, ``__MACOSX``, ``__pycache__`` and a results folder (one holding a
gradebook) are never submissions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from grader.classmode.gradebook import FILENAME
from grader.submission import ARCHIVE_SUFFIXES, WRITEUP_SUFFIXES, is_archive_name

__all__ = ["Task", "discover", "is_class_folder", "submission_name"]

_SUBMISSION_FILES = re.compile(r"^(answers\.(ya?ml|json|toml)|.+\.(py|ipynb))$", re.IGNORECASE)
_NOT_WRITEUPS = ("readme", "license", "licence", "requirements", "changelog")
_JUNK = frozenset({"__MACOSX", "__pycache__"})


@dataclass(frozen=True)
class Task:
    """One entry of the class folder."""

    name: str  # the submission name: folder name, or archive name without its suffix
    path: Path
    problem: str | None = None  # set when it cannot be graded before even opening it


def submission_name(path: Path) -> str:
    """The folder's name, or the archive's without its suffix (``alice.tar.xz``: ``alice``)."""
    if path.is_dir():
        return path.resolve().name
    lower = path.name.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return path.name[: -len(suffix)]
    return path.name


def _own_submission_file(name: str, *, writeups: bool) -> bool:
    """A file that makes its folder one student's submission: an answers file or code; with
    ``writeups``, a write-up too (README, LICENSE and the like never count)."""
    low = name.lower()
    if _SUBMISSION_FILES.match(name):
        return True
    return writeups and low.endswith(WRITEUP_SUFFIXES) and not low.startswith(_NOT_WRITEUPS)


def _is_single_submission(path: Path, *, writeups: bool) -> bool:
    try:
        return any(_own_submission_file(p.name, writeups=writeups) and p.is_file() for p in path.iterdir())
    except OSError:
        return False


def is_class_folder(path: Path) -> bool:
    """`grade PATH` without ``--out``: is PATH a class (grade every submission in it) rather
    than one submission? A folder with no submission file of its own and at least two
    entries that are submissions (folders, archives). With ``--out``, `discover` decides."""
    if not path.is_dir() or _is_single_submission(path, writeups=True):
        return False
    try:
        entries = [p for p in path.iterdir() if not p.name.startswith(".") and p.name not in _JUNK]
    except OSError:
        return False
    return sum(1 for p in entries if p.is_dir() or (p.is_file() and is_archive_name(p.name))) >= 2


def discover(path: Path, *, out_dir: Path) -> tuple[list[Task], list[str]]:
    """The submissions under ``path`` (sorted by name) and notes on what was left out."""
    if path.is_file() or _is_single_submission(path, writeups=False):
        return [Task(name=submission_name(path), path=path)], []
    out_real = out_dir.resolve()
    tasks: list[Task] = []
    ignored: list[str] = []
    for child in sorted(path.iterdir(), key=lambda p: p.name):
        if child.name.startswith(".") or child.name in _JUNK or child.resolve() == out_real:
            continue
        if child.is_dir():
            if (child / FILENAME).exists():
                ignored.append(f"{child.name}/ (a results folder)")
                continue
            tasks.append(Task(name=submission_name(child), path=child))
        elif child.is_file() and is_archive_name(child.name):
            tasks.append(Task(name=submission_name(child), path=child))
        else:
            ignored.append(child.name)
    seen: dict[str, Task] = {}
    out: list[Task] = []
    for t in tasks:
        first = seen.get(t.name)
        if first is None:
            seen[t.name] = t
            out.append(t)
        else:  # two entries, one name (alice/ and alice.zip): grade the first, flag the second
            out.append(Task(name=t.path.name, path=t.path,
                            problem=f"{t.path.name}: another submission is also named {t.name!r} ({first.path.name}); "
                                    "rename one of them"))
    notes = [f"ignored {len(ignored)} entr{'y' if len(ignored) == 1 else 'ies'} that are neither submission folders "
             f"nor archives: {', '.join(ignored[:10])}{' ...' if len(ignored) > 10 else ''}"] if ignored else []
    return out, notes
