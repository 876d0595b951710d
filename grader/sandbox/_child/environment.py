"""The students' environment as the assignment declares it: an import of a top-level
package that the course does not provide fails in the student's own file with a message
that names it ("the course environment has no `plotly`; ask your instructor"), whether or
not the grading machine happens to have it installed.

Only imports made by student code are judged (the importing frame is a file of the
submission or one of its notebook cells): a library's own imports are its business.
Installed in the child only, before any student code runs.
"""

from __future__ import annotations

import importlib.abc
import os
import sys
from collections.abc import Iterable, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any


def message(name: str) -> str:
    return f"the course environment has no `{name}`; ask your instructor"


class CourseEnvironment(importlib.abc.MetaPathFinder):
    """A finder placed first: refuses student imports of undeclared top-level packages and
    lets everything else through to Python's own finders."""

    def __init__(self, packages: Iterable[str], workdir: str, extra: Iterable[str] = ()) -> None:
        self.allowed = frozenset(packages) | frozenset(extra) | frozenset(sys.stdlib_module_names) | frozenset(sys.builtin_module_names)
        self.workdir = workdir.rstrip("/") + "/"

    def _from_student(self) -> bool:
        frame: Any = sys._getframe(2)
        depth = 0
        while frame is not None and depth < 50:
            filename = frame.f_code.co_filename
            if not (filename.startswith("<frozen importlib") or "/importlib/" in filename):
                return type(filename) is str and filename.startswith(self.workdir)
            frame = frame.f_back
            depth += 1
        return False

    def find_spec(self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None) -> ModuleSpec | None:
        if "." in fullname or fullname in self.allowed or fullname in sys.modules:
            return None
        if os.path.exists(os.path.join(self.workdir, fullname + ".py")) or os.path.isdir(os.path.join(self.workdir, fullname)):
            return None  # the student's own module
        if self._from_student():
            raise ModuleNotFoundError(message(fullname), name=fullname)
        return None


def install(packages: Iterable[str] | None, workdir: str, extra: Iterable[str] = ()) -> None:
    """Judge the student's imports against `packages` (None: the course declared no
    environment, and anything installed may be imported, as before)."""
    if packages is None:
        return
    sys.meta_path.insert(0, CourseEnvironment(packages, workdir, extra))
