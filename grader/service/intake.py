"""Uploads: from what a client sent to one stored blob, or a 4xx with the reason.

What may be sent (multipart, one or more parts named ``files``):

- one archive (``.zip``, ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2``, ``.tar.xz``): kept as
  it is, under its name (so the result names the submission as ``grade NAME.zip`` does;
  characters outside ``A-Za-z0-9._-`` in the name become ``_``);
- one write-up (``.pdf``, ``.md``, ``.txt``): kept as it is, graded as ``grade report.pdf``;
- loose files (answers file, ``.py``, notebooks, figures; also a lone notebook): packed
  into one zip named after the student (``alice.zip``, graded as the folder ``alice/``
  holding them would be), with fixed timestamps so the same files give the same bytes.

The upload is then opened exactly as the grader will open it (``open_submission``, the
CLI's limits, and the upload limit as the archive limit): one that cannot be opened (not an
archive, corrupt, a bomb, too many entries, empty) or that holds entries the grader would
refuse (a path escaping the archive, a link, a device) is refused here, with the reason,
and nothing of it is kept. An accepted upload is stored once, by its SHA-256
(``uploads/<sha256>``): the same bytes sent twice are one file.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from grader import submission as submission_module
from grader.docio import format_size
from grader.submission import SubmissionError, open_submission

__all__ = ["Accepted", "UploadRejected", "accept_upload", "blob_path"]

# what the grader opens as an archive or as a lone write-up: the same lists, so a kind the
# grader learns to read is accepted here too
_ARCHIVE_SUFFIXES: tuple[str, ...] = submission_module.ARCHIVE_SUFFIXES
_WRITEUP_SUFFIXES: tuple[str, ...] = submission_module.WRITEUP_SUFFIXES
_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_MAX_NAME = 100
_CHUNK = 1 << 16
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class UploadRejected(Exception):
    """An upload refused, with the HTTP status and a message for the student (no paths of
    the grading machine)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Accepted:
    filename: str  # what the grader will open it as (its name is the submission's name)
    sha256: str
    size: int


def blob_path(uploads_dir: Path, sha256: str) -> Path:
    return uploads_dir / sha256


def plain_name(name: str) -> str:
    """A client's file name as one plain file name: the last path component, characters
    outside ``A-Za-z0-9._-`` made ``_``, at most 100 characters (suffix kept)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _NAME_CHARS.sub("_", base).lstrip(".") or "upload"
    if len(base) > _MAX_NAME:
        lower = base.lower()
        suffix = next((s for s in _ARCHIVE_SUFFIXES + _WRITEUP_SUFFIXES if lower.endswith(s)), "")
        base = base[: _MAX_NAME - len(suffix)] + suffix
    return base


def _relative_name(name: str) -> str:
    """A loose file's name inside the packed zip: a relative path of plain components."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts) or name.startswith(("/", "\\")):
        raise UploadRejected(400, f"{plain_name(name)}: a file name may not leave the submission folder")
    clean = [plain_name(p) for p in parts]
    return "/".join(clean)


def _copy_bounded(src: BinaryIO, dst: BinaryIO, *, budget: int, shown: str, max_bytes: int) -> int:
    """Copy at most ``budget`` bytes; more is the upload being too big (413)."""
    n = 0
    while chunk := src.read(_CHUNK):
        n += len(chunk)
        if n > budget:
            raise UploadRejected(413, f"{shown}: the upload is larger than the {format_size(max_bytes)} limit")
        dst.write(chunk)
    return n


def accept_upload(files: Sequence[tuple[str, BinaryIO]], *, student: str, uploads_dir: Path, max_bytes: int) -> Accepted:
    """Check and store one upload; see the module docstring. Raises :class:`UploadRejected`."""
    if not files:
        raise UploadRejected(400, "the upload holds no file: send an archive, your files, a notebook or a write-up")
    uploads_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="staging-", dir=uploads_dir))
    try:
        first = files[0][0] or "upload"
        lower = first.lower()
        if len(files) == 1 and lower.endswith(_ARCHIVE_SUFFIXES + _WRITEUP_SUFFIXES):
            name = plain_name(first)
            staged = staging / name
            with open(staged, "wb") as out:
                size = _copy_bounded(files[0][1], out, budget=max_bytes, shown=name, max_bytes=max_bytes)
        else:
            name = plain_name(f"{student}.zip")
            staged = staging / name
            size = _pack(files, staged, max_bytes=max_bytes)
        _check_opens(staged, name, max_bytes=max_bytes)
        digest = _sha256(staged)
        final = blob_path(uploads_dir, digest)
        if final.exists():
            staged.unlink()
        else:
            os.replace(staged, final)
        return Accepted(filename=name, sha256=digest, size=size)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _pack(files: Sequence[tuple[str, BinaryIO]], dest: Path, *, max_bytes: int) -> int:
    seen: set[str] = set()
    total = 0
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for raw_name, stream in sorted(files, key=lambda f: f[0]):
            rel = _relative_name(raw_name or "upload")
            if rel.lower().endswith(_ARCHIVE_SUFFIXES):
                raise UploadRejected(400, f"{rel}: send an archive alone, or loose files without archives")
            if rel in seen:
                raise UploadRejected(400, f"{rel}: sent twice")
            seen.add(rel)
            buf = io.BytesIO()
            total += _copy_bounded(stream, buf, budget=max_bytes - total, shown=rel, max_bytes=max_bytes)
            info = zipfile.ZipInfo(rel, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
    return dest.stat().st_size


def _check_opens(staged: Path, name: str, *, max_bytes: int) -> None:
    """Open the upload as grading will; refuse what cannot be opened or holds refused entries."""
    try:
        sub = open_submission(staged, max_archive_bytes=max_bytes)
    except SubmissionError as err:
        message = str(err).replace(str(staged), name).replace(str(staged.parent) + os.sep, "")
        raise UploadRejected(422, message) from None
    try:
        if sub.rejected:
            shown = "; ".join(f"{r.name}: {r.reason}" for r in sub.rejected[:5])
            more = f"; and {len(sub.rejected) - 5} more" if len(sub.rejected) > 5 else ""
            raise UploadRejected(422, f"{name}: holds entries the grader refuses ({shown}{more}); "
                                 "make the archive again from your files")
    finally:
        sub.close()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()
