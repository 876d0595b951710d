"""Keys for what a stored output depends on (a gradebook row, a cached reference output):
a SHA-256 over length-prefixed parts, so no two different part lists give the same bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path


class KeyDigest:
    def __init__(self) -> None:
        self._h = hashlib.sha256()

    def feed(self, part: str | bytes) -> None:
        data = part.encode("utf-8") if isinstance(part, str) else part
        self._h.update(len(data).to_bytes(8, "big") + data)

    def feed_tree(self, root: Path, pattern: str = "*", skip: tuple[str, ...] = ()) -> None:
        """Every file below `root` whose name matches `pattern`, by relative path and bytes,
        in sorted order; compiled bytecode (`__pycache__`, `.pyc`) left out, and the
        top-level folders named in `skip` (a pack's examples and tests grade nothing)."""
        for p in sorted(root.rglob(pattern)):
            if p.is_file() and "__pycache__" not in p.parts and not p.name.endswith(".pyc") \
                    and p.relative_to(root).parts[0] not in skip:
                self.feed(p.relative_to(root).as_posix())
                self.feed(p.read_bytes())

    def hexdigest(self) -> str:
        return self._h.hexdigest()
