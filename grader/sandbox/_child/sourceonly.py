"""Imports from the submission compile its source, never bytecode.

A submission may carry bytecode: a `__pycache__/lab1.cpython-311.pyc` compiled (with an
unchecked hash, which Python never compares with the .py) from a different lab1.py, or a
bytecode-only `helper.pyc`. Python's default finders would run that instead of the source
the TA reads and the content hash covers. In the child, the student's module and every
module imported from the submission's folder are compiled from their `.py` (nothing
else: no `.pyc`, no compiled extension) and no cache is read or written.

Runs in the child only; imported by the zygote (before any isolation), so that nothing
has to be read from the grader's folder once the child is sandboxed.
"""

from __future__ import annotations

import os
import sys
from importlib.machinery import SOURCE_SUFFIXES, FileFinder, SourceFileLoader
from types import CodeType
from typing import Any


class SourceOnlyLoader(SourceFileLoader):
    """A source loader that compiles the `.py` on every import: no bytecode cache is
    looked up (so a planted `.pyc` is never read) and none is written."""

    def get_code(self, fullname: str) -> CodeType:
        path = self.get_filename(fullname)
        return self.source_to_code(self.get_data(path), path)


def install(folder: str) -> None:
    """Import modules found under `folder` (the submission's working folder, and any
    package inside it) from source only; other folders keep Python's usual finders."""
    source_only = FileFinder.path_hook((SourceOnlyLoader, SOURCE_SUFFIXES))
    prefix = folder.rstrip("/") + "/"

    def hook(path: str) -> Any:
        if path == folder or path.startswith(prefix):
            return source_only(path)
        raise ImportError("not the submission's folder")  # the next hook takes it

    sys.path_hooks.insert(0, hook)
    for path in list(sys.path_importer_cache):
        if path == folder or path.startswith(prefix) or not os.path.isabs(path):
            del sys.path_importer_cache[path]
    sys.dont_write_bytecode = True
