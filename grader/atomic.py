"""Files written whole or not at all: every output the grader writes (results JSON, feedback
pages, grades.csv, the class report) goes through `write_text_atomic`."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["write_text_atomic"]


def write_text_atomic(path: Path, text: str) -> bool:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename, so a reader
    sees the old file or the whole new one. The temporary has a unique name
    (``.<name>.<random>.tmp``): two writers never share one, and no file of the user's is
    touched. False when the file already held exactly these bytes (then left untouched)."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return True
