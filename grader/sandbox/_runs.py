"""A run's bookkeeping in the parent: the calls prepared for the child, which files of a
submission are staged and what staging copied, and what each child did for the modules
it was given."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._types import CallResult, Limits, ProbeCall


@dataclass
class _Prepared:
    call: ProbeCall
    limits: Limits
    tree: Any
    arrays: list[bytes]


@dataclass
class _Staged:
    """What a run's staging copied: bytes, and inodes (files and folders) of the working
    folder, which size the child's /sandbox tmpfs."""

    bytes: int
    inodes: int


def _submission_files(source: Path, files: Sequence[str] | None) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(path, relative parts) of the files to stage: those of `files` that are plain
    relative paths inside `source` reached through no link, or every file under `source`
    (links to folders not followed)."""
    if files is None:
        for dirpath, dirnames, filenames in os.walk(source):
            rel = Path(dirpath).relative_to(source).parts
            dirnames[:] = sorted(d for d in dirnames if stat.S_ISDIR(os.lstat(os.path.join(dirpath, d)).st_mode))
            for name in sorted(filenames):
                yield os.path.join(dirpath, name), (*rel, name)
        return
    root = os.path.realpath(source)
    for name in files:
        parts = tuple(p for p in str(name).split("/") if p not in ("", "."))
        path = os.path.join(root, *parts)
        # never staged: a path that leaves the folder, or one reached through a link
        if not parts or ".." in parts or "\0" in str(name) or os.path.realpath(os.path.dirname(path)) != os.path.dirname(path):
            continue
        yield path, parts


@dataclass
class _ModuleRun:
    """What a child did for one module of a submission: its calls' results, or the import
    that failed, or that it died."""

    results: dict[str, CallResult] = field(default_factory=dict)
    import_failure: CallResult | None = None
    died: bool = False
    clean: bool = False
    import_tail: str = ""  # what the import printed, shown with the first call

    def complete(self, calls: int) -> bool:
        return self.import_failure is not None or self.died or len(self.results) == calls


@dataclass
class _Unit:
    """One module's calls still to run in a submission, and how often they killed a child."""

    module: str
    file: str
    calls: list[_Prepared]
    deaths: int = 0


@dataclass
class _Batch:
    """What one child did for the modules it was given (one `_ModuleRun` per module)."""

    outcomes: list[_ModuleRun]
    stopped: int | None = None  # the module during which the child ended early
    retired: bool = False  # it ended between two modules, by its own choice (nothing was lost)
    clean: bool = False
