"""Open a student's submission (a folder, or a .zip / .tar / .tar.gz archive) safely.

An archive is extracted member by member into a private temporary folder; nothing
is extracted that could land outside it or that is not a regular file or a folder:
absolute paths, ``..``, symbolic and hard links, devices, fifos and names with
control characters are refused and listed in ``Submission.rejected``. Sizes are
counted while the bytes are written, never taken from the archive's headers:

- ``max_files``: more entries than this in the archive (or files in the folder) is
  an error: such a submission is a mistake (a virtualenv, a data set) or an attack.
- ``max_total_bytes``: the extracted files adding up to more is an error; for an
  archive, every byte decompressed counts, kept or rejected, which bounds the work.
- ``max_file_bytes``: a file larger than this is rejected; the others are kept.
- ``max_ratio``: an entry that expands more than this many times (beyond its first
  MiB) is rejected, as is any entry once the whole archive has expanded more than
  this many times the compressed bytes read so far (overlapping zip entries).
- ``max_archive_bytes`` (default ``max_total_bytes``): a larger archive is refused
  before a byte of it is parsed.

An archive is sized before it is parsed. A zip's entry count is read from its end
record (ZIP64's where there is one) and its central directory is walked header by
header, counting, before ``zipfile`` builds an object per entry: too many entries, or a
directory over 1 KiB per allowed entry, is refused in a few reads. A tar (plain, .gz,
.bz2, .xz, told apart by content) is streamed: entries are counted as they come, a
header larger than 1 MiB (a long name, pax data) is refused before it is read, and
every decompressed byte counts, skipped entries included (``max_total_bytes`` plus
4 MiB for headers).

A folder is read in place: its symbolic links are rejected, never followed.

A folder whose only content is one archive (``alice/submission.zip``, as Gradescope and
LMS downloads deliver it; junk aside) is that archive, under the folder's name; an
archive beside other files is not unpacked, and a note says so.

A submission made of a single top folder (``week3/...``) is the content of that
folder, for archives and folders alike; ``__MACOSX/``, ``.DS_Store``, ``Thumbs.db``,
AppleDouble ``._*`` files, ``__pycache__/``, ``.git/`` and ``.ipynb_checkpoints/``
are ignored: not extracted, not in ``Submission.files``, so neither hashed nor staged
into the sandbox (the engine stages exactly ``files``: what runs is what was graded).
"""

from __future__ import annotations

import _compression
import bz2
import dataclasses
import gzip
import hashlib
import io
import lzma
import os
import re
import shutil
import stat
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, BinaryIO, cast

from grader.docio import format_size, size_over_limit

__all__ = ["ARCHIVE_SUFFIXES", "WRITEUP_SUFFIXES", "Rejected", "Submission", "SubmissionError", "content_hash", "is_archive_name",
           "open_submission"]

_CHUNK = 1 << 16
_RATIO_FLOOR = 1 << 20  # ratios are judged only once an entry has produced this many bytes
_JUNK_DIRS = frozenset({"__MACOSX", "__pycache__", ".git", ".ipynb_checkpoints"})
_JUNK_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
# What is an archive, by name (case-insensitive): the one list, used by class-folder discovery too.
ARCHIVE_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".txz", ".tar", ".zip")
WRITEUP_SUFFIXES = (".pdf", ".md", ".markdown", ".txt", ".docx")  # a report handed in alone, graded by grader.writeup


def is_archive_name(name: str) -> bool:
    """``alice.tar.xz``, ``BOB.ZIP``: a name this module opens as an archive."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


class SubmissionError(Exception):
    """A submission that cannot be opened at all; the message is one line naming the path."""


@dataclass(frozen=True)
class Rejected:
    """An entry that was not extracted (or, in a folder, is not used), and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Submission:
    """The files of one submission, ready to be read; ``close()`` removes temporary files."""

    name: str
    root: Path
    files: tuple[str, ...]
    rejected: tuple[Rejected, ...] = ()
    notes: tuple[str, ...] = ()
    _tmpdir: Path | None = field(default=None, repr=False, compare=False)

    def read_bytes(self, rel: str, *, max_bytes: int) -> bytes:
        """The content of file ``rel`` (relative POSIX path); refuses links and paths outside root."""
        with self._open(rel) as f:
            size = os.fstat(f.fileno()).st_size
            if size > max_bytes:
                raise SubmissionError(f"{rel}: {size_over_limit(size, max_bytes)}")
            data = f.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise SubmissionError(f"{rel}: {size_over_limit(len(data), max_bytes)}")
        return data

    def _open(self, rel: str) -> BinaryIO:
        parts = _safe_parts(rel)
        if isinstance(parts, str):
            raise SubmissionError(f"{rel}: {parts}")
        root = os.path.realpath(self.root)
        full = os.path.join(root, *parts)
        parent = os.path.realpath(os.path.dirname(full))
        if os.path.commonpath([root, parent]) != root or parent != os.path.dirname(full):
            raise SubmissionError(f"{rel}: path escapes the submission (through a link)")
        try:
            fd = os.open(full, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            raise SubmissionError(f"{rel}: no such file in the submission") from None
        except OSError as e:
            reason = "symbolic link" if os.path.islink(full) else (e.strerror or str(e))
            raise SubmissionError(f"{rel}: cannot be read ({reason})") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise SubmissionError(f"{rel}: not a regular file")
        return os.fdopen(fd, "rb")

    def close(self) -> None:
        """Remove the temporary folder of an extracted archive (a folder is left alone)."""
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> Submission:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def content_hash(sub: Submission) -> str:
    """sha256 over the sorted (path, content) of the files: the same for a folder and its archive."""
    h = hashlib.sha256()
    for rel in sorted(sub.files):
        with sub._open(rel) as f:
            size = os.fstat(f.fileno()).st_size
            name = rel.encode("utf-8", "surrogateescape")
            h.update(len(name).to_bytes(8, "big") + name + size.to_bytes(8, "big"))
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    return h.hexdigest()


def open_submission(
    path: Path,
    *,
    max_files: int = 2000,
    max_total_bytes: int = 256 * 2**20,
    max_file_bytes: int = 64 * 2**20,
    max_ratio: float = 200.0,
    max_archive_bytes: int | None = None,
) -> Submission:
    """Open a folder or archive; raises :class:`SubmissionError` when nothing usable is there.

    ``max_archive_bytes`` (default: ``max_total_bytes``) caps an archive's own size,
    checked before a byte of it is parsed.
    """
    path = Path(path)
    archive_cap = max_total_bytes if max_archive_bytes is None else max_archive_bytes
    limits = _Limits(max_files, max_total_bytes, max_file_bytes, max_ratio, archive_cap)
    if not os.path.lexists(path):
        raise SubmissionError(f"{path}: no such file or directory")
    if path.is_dir():
        return _open_folder(path, limits)
    if not path.is_file():
        raise SubmissionError(f"{path}: not a folder or an archive")
    if path.name.lower().endswith(WRITEUP_SUFFIXES):
        return _open_writeup(path, limits)
    return _open_archive(path, limits)


def _open_writeup(path: Path, limits: _Limits) -> Submission:
    """A write-up handed in alone (report.pdf, .md, .txt): a submission of that one file,
    copied into a private folder (so nothing beside it is ever seen)."""
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise SubmissionError(f"{path}: {size_over_limit(size, limits.max_file_bytes)}")
    tmpdir = Path(tempfile.mkdtemp(prefix="grader-submission-"))
    try:
        (tmpdir / "files").mkdir()
        shutil.copyfile(path, tmpdir / "files" / path.name)
    except OSError as e:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise SubmissionError(f"{path}: cannot be read ({_reason(e)})") from None
    return Submission(name=path.stem, root=tmpdir / "files", files=(path.name,), _tmpdir=tmpdir)


# --------------------------------------------------------------------------- common


@dataclass(frozen=True)
class _Limits:
    max_files: int
    max_total_bytes: int
    max_file_bytes: int
    max_ratio: float
    max_archive_bytes: int


def _safe_parts(name: str) -> list[str] | str:
    """The path components of an entry name, or the reason it is refused."""
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "name contains control characters"
    posix = name.replace("\\", "/")
    parts = [p for p in posix.split("/") if p not in ("", ".")]
    if posix.startswith("/") or (parts and re.match(r"[A-Za-z]:", parts[0])):
        return "absolute path"
    if ".." in parts:
        return "path escapes the submission"
    return parts


def _is_junk(parts: list[str]) -> bool:
    return any(p in _JUNK_DIRS for p in parts[:-1]) or parts[-1] in _JUNK_FILES or parts[-1].startswith("._")


def _descend(files: list[str]) -> tuple[str, list[str]]:
    """Strip single top folders: returns (prefix like "week3/", files relative to it)."""
    prefix = ""
    while files and all("/" in f for f in files):
        tops = {f.split("/", 1)[0] for f in files}
        if len(tops) != 1:
            break
        top = tops.pop()
        prefix += top + "/"
        files = [f.split("/", 1)[1] for f in files]
    return prefix, files


def _finish(
    display: str,
    name: str,
    base: Path,
    files: list[str],
    rejected: list[Rejected],
    junk: set[str],
    tmpdir: Path | None,
    what: str,
) -> Submission:
    if not files:
        reason = f"the {what} is empty" if not rejected else f"the {what} has no usable files"
        if rejected:
            shown = "; ".join(f"{r.name}: {r.reason}" for r in rejected[:5])
            more = f"; and {len(rejected) - 5} more" if len(rejected) > 5 else ""
            reason += f" ({len(rejected)} rejected: {shown}{more})"
        raise SubmissionError(f"{display}: {reason}")
    prefix, files = _descend(sorted(files))
    notes: list[str] = []
    if prefix:
        notes.insert(0, f"descended into the single top folder {prefix}")
    if junk:
        notes.append("ignored " + ", ".join(sorted(junk)))
    return Submission(
        name=name,
        root=base / prefix if prefix else base,
        files=tuple(sorted(files)),
        rejected=tuple(rejected),
        notes=tuple(notes),
        _tmpdir=tmpdir,
    )


def _junk_label(parts: list[str]) -> str:
    for p in parts[:-1]:
        if p in _JUNK_DIRS:
            return p + "/"
    return "._* files" if parts[-1].startswith("._") else parts[-1]


# --------------------------------------------------------------------------- folders


def _open_folder(path: Path, limits: _Limits) -> Submission:
    display = str(path).rstrip("/") + "/"
    files: list[str] = []
    rejected: list[Rejected] = []
    junk: set[str] = set()
    total = 0
    for rel, st in _walk_files(path, display, junk):
        parts = rel.split("/")
        if _is_junk(parts):
            junk.add(_junk_label(parts))
            continue
        reason = _folder_entry_problem(rel, st)
        if reason is None and st.st_size > limits.max_file_bytes:
            reason = f"{size_over_limit(st.st_size, limits.max_file_bytes)} per file"
        if reason is None and not os.access(path / rel, os.R_OK):
            reason = "cannot be read (permission denied)"
        if reason is not None:
            rejected.append(Rejected(rel, reason))
            continue
        files.append(rel)
        total += st.st_size
        if len(files) > limits.max_files:
            raise SubmissionError(f"{display}: more than {limits.max_files} files, the limit")
        if total > limits.max_total_bytes:
            raise SubmissionError(
                f"{display}: the files add up to more than {format_size(limits.max_total_bytes)}, the limit"
            )
    prefix, inner = _descend(sorted(files))
    if len(inner) == 1 and inner[0].lower().endswith(ARCHIVE_SUFFIXES):
        return _open_lone_archive(path, display, prefix + inner[0], rejected, junk, limits)
    sub = _finish(display, path.resolve().name, path, files, rejected, junk, None, "folder")
    archives = [f for f in sub.files if f.lower().endswith(ARCHIVE_SUFFIXES)]
    if archives:
        note = (f"not unpacked: {', '.join(archives)} "
                "(an archive is opened only when it is the folder's only content)")
        sub = dataclasses.replace(sub, notes=(*sub.notes, note))
    return sub


def _open_lone_archive(
    path: Path, display: str, rel: str, rejected: list[Rejected], junk: set[str], limits: _Limits
) -> Submission:
    """A folder whose only content is one archive (``alice/submission.zip``, as Gradescope
    and LMS downloads deliver it) is that archive, under the folder's name; the folder's
    junk and rejected entries are reported with the archive's own."""
    sub = _open_archive(path / rel, limits, display=f"{display}{rel}", name=path.resolve().name)
    notes = [f"the folder holds only {rel}: graded what it contains"]
    if junk:
        notes.append("ignored " + ", ".join(sorted(junk)))
    return dataclasses.replace(sub, rejected=(*rejected, *sub.rejected), notes=(*notes, *sub.notes))


def _walk_files(root: Path, display: str, junk: set[str]) -> Iterator[tuple[str, os.stat_result]]:
    """(relative path, lstat) of every non-folder entry, never following links; junk folders skipped."""
    pending = [""]
    while pending:
        rel_dir = pending.pop()
        try:
            with os.scandir(root / rel_dir if rel_dir else root) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as e:
            raise SubmissionError(f"{display}{rel_dir}: cannot be read ({e.strerror or e})") from None
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            st = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(st.st_mode):
                if entry.name in _JUNK_DIRS:
                    junk.add(entry.name + "/")
                else:
                    pending.append(rel)
                continue
            yield rel, st


def _folder_entry_problem(rel: str, st: os.stat_result) -> str | None:
    mode = st.st_mode
    if stat.S_ISLNK(mode):
        return "symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device file"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if not stat.S_ISREG(mode):
        return "not a regular file"
    if isinstance(_safe_parts(rel), str):
        return "name contains control characters"
    return None


# --------------------------------------------------------------------------- archives


def _archive_name(path: Path) -> tuple[str, str]:
    """(submission name, archive kind for messages)."""
    lower = path.name.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lower.endswith(suffix) and len(lower) > len(suffix):
            kind = "zip" if suffix == ".zip" else "tar"
            return path.name[: -len(suffix)], kind
    return path.stem, ""


class _Extractor:
    """Writes entries into a private folder, counting bytes as they are written."""

    def __init__(self, display: str, dest: Path, limits: _Limits, archive_size: int) -> None:
        self.display = display
        self.dest = dest
        self.dest_real = os.path.realpath(dest)
        self.limits = limits
        self.archive_size = max(archive_size, 1)
        self.files: list[str] = []
        self._seen: set[str] = set()
        self.rejected: list[Rejected] = []
        self.junk: set[str] = set()
        self.total = 0  # bytes of the files kept
        self.expanded = 0  # bytes decompressed, kept or not: bounds the work a hostile archive causes
        self.entries = 0

    def count_entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_files:
            raise SubmissionError(f"{self.display}: more than {self.limits.max_files} entries, the limit")

    def admit(self, name: str) -> list[str] | None:
        """The entry's path parts if it may be extracted; otherwise records why not."""
        parts = _safe_parts(name)
        if isinstance(parts, str):
            self.rejected.append(Rejected(name, parts))
            return None
        if not parts:
            return None
        if _is_junk(parts):
            self.junk.add(_junk_label(parts))
            return None
        return parts

    def reject(self, name: str, reason: str) -> None:
        self.rejected.append(Rejected(name, reason))

    def make_dir(self, name: str, parts: list[str]) -> None:
        try:
            target = self._target(parts)
            os.makedirs(target, mode=0o755, exist_ok=True)
        except (OSError, ValueError) as e:
            self.reject(name, f"cannot be created ({_reason(e)})")

    def write(
        self, name: str, parts: list[str], source: IO[bytes], *, packed: int | None, consumed: Callable[[], int]
    ) -> None:
        """Stream one file. ``packed``: its compressed size if known; ``consumed()``: archive bytes read so far."""
        rel = "/".join(parts)
        if rel in self._seen:
            self.reject(name, "duplicate entry (an earlier entry has the same path)")
            return
        try:
            target = self._target(parts)
            os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except (OSError, ValueError) as e:
            self.reject(name, f"cannot be extracted ({_reason(e)})")
            return
        lim = self.limits
        written = 0
        problem: str | None = None
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := source.read(_CHUNK):
                    written += len(chunk)
                    self.expanded += len(chunk)
                    if self.expanded > lim.max_total_bytes:
                        raise SubmissionError(
                            f"{self.display}: the files add up to more than "
                            f"{format_size(lim.max_total_bytes)}, the limit"
                        )
                    if written > lim.max_file_bytes:
                        problem = f"larger than {format_size(lim.max_file_bytes)}, the per-file limit"
                        break
                    if written > _RATIO_FLOOR and self._ratio(written, packed, consumed()) > lim.max_ratio:
                        problem = self._ratio_problem(source, written, packed, consumed)
                        break
                    out.write(chunk)
        except (OSError, EOFError, RuntimeError, NotImplementedError, zipfile.BadZipFile, tarfile.TarError) as e:
            problem = f"cannot be extracted ({_reason(e)})"
        except (zlib.error, lzma.LZMAError) as e:
            problem = f"corrupt data ({_reason(e)})"
        if problem is not None:
            os.unlink(target)
            self.reject(name, problem)
            return
        self.total += written
        self.files.append(rel)
        self._seen.add(rel)

    def _ratio(self, written: int, packed: int | None, consumed: int) -> float:
        """The larger of this entry's ratio (when its compressed size is known) and the archive's so far."""
        ratio = (self.total + written) / max(consumed, 1)
        if packed is not None:
            ratio = max(ratio, written / max(min(packed, self.archive_size), 1))
        return ratio

    def _ratio_problem(self, source: IO[bytes], written: int, packed: int | None, consumed: Callable[[], int]) -> str:
        """Reads on, without writing, to report the entry's actual ratio.

        Up to the per-file limit and within the archive's budget of decompressed bytes;
        beyond either, the ratio is reported as a lower bound.
        """
        lim = self.limits
        capped = True
        while written <= lim.max_file_bytes and self.expanded + _CHUNK <= lim.max_total_bytes:
            chunk = source.read(_CHUNK)
            if not chunk:
                capped = False
                break
            written += len(chunk)
            self.expanded += len(chunk)
        ratio = self._ratio(written, packed, consumed())
        at_least = "at least " if capped else ""
        return f"compression ratio {at_least}{ratio:.0f}:1 over the limit of {self.limits.max_ratio:g}:1"

    def _target(self, parts: list[str]) -> str:
        target = os.path.join(self.dest_real, *parts)
        parent = os.path.realpath(os.path.dirname(target))
        if os.path.commonpath([self.dest_real, parent]) != self.dest_real:
            raise ValueError("path escapes the submission")
        return target


def _reason(e: BaseException) -> str:
    if isinstance(e, OSError) and e.strerror:
        return e.strerror
    return " ".join(str(e).split()) or type(e).__name__


def _open_archive(path: Path, limits: _Limits, *, display: str | None = None, name: str | None = None) -> Submission:
    """Extract an archive; sized before it is parsed: its bytes against ``max_archive_bytes``,
    a zip's entry count and directory size from its end record (:func:`_check_zip_directory`),
    a tar's headers and decompressed bytes while it streams (:class:`_TarSource`)."""
    display = display or str(path)
    archive_name, kind = _archive_name(path)
    name = name or archive_name
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(6)
    except OSError as e:
        raise SubmissionError(f"{display}: cannot be read ({_reason(e)})") from None
    if size > limits.max_archive_bytes:
        raise SubmissionError(
            f"{display}: the archive is {format_size(size)}, more than the {format_size(limits.max_archive_bytes)} limit"
        )
    try:
        is_zip = zipfile.is_zipfile(path)  # reads the end record only
    except (OSError, EOFError):
        is_zip = False
    tmpdir = Path(tempfile.mkdtemp(prefix="grader-submission-"))
    dest = tmpdir / "files"
    dest.mkdir()
    try:
        ex = _Extractor(display, dest, limits, size)
        if is_zip:
            _check_zip_directory(path, ex)
            _extract_zip(path, ex)
        elif not _extract_tar(path, head, ex):
            if not kind:
                raise SubmissionError(f"{display}: not a folder or a .zip, .tar, .tar.gz or .tgz archive")
            raise SubmissionError(f"{display}: not a valid {kind} archive")
        return _finish(display, name, dest, ex.files, ex.rejected, ex.junk, tmpdir, "archive")
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise


_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")  # zipfile.structCentralDir
_MIN_DIRECTORY_CAP = 1 << 20
_DIRECTORY_BYTES_PER_ENTRY = 1024


def _check_zip_directory(path: Path, ex: _Extractor) -> None:
    """Refuse a zip whose central directory is too big to parse, before ``zipfile`` reads it.

    ``zipfile.ZipFile`` reads the whole directory and makes an object per entry: a
    million-entry directory cost 2.2 GB. Here the end record's entry count (ZIP64's where
    there is one) is checked first (a few bytes); then the directory's byte size (at most
    :data:`_DIRECTORY_BYTES_PER_ENTRY` per allowed entry, at least 1 MiB); then its entries
    are counted header by header, exactly as ``zipfile`` will walk them, so a forged low
    count cannot let a long directory through. Nothing is kept but counters.
    """
    lim = ex.limits
    cap = max(_MIN_DIRECTORY_CAP, lim.max_files * _DIRECTORY_BYTES_PER_ENTRY)
    with open(path, "rb") as f:
        try:
            end = zipfile._EndRecData(f)  # type: ignore[attr-defined]  # what ZipFile itself reads
        except (OSError, EOFError, struct.error):
            end = None
        if not end:
            raise SubmissionError(f"{ex.display}: not a valid zip archive")
        declared = end[zipfile._ECD_ENTRIES_TOTAL]  # type: ignore[attr-defined]
        if declared > lim.max_files:
            raise SubmissionError(
                f"{ex.display}: more than {lim.max_files} entries, the limit (the archive says it has {declared})"
            )
        size_cd = end[zipfile._ECD_SIZE]  # type: ignore[attr-defined]
        if size_cd > cap:
            raise SubmissionError(
                f"{ex.display}: the archive's list of entries is {format_size(size_cd)}, "
                f"more than the {format_size(cap)} limit"
            )
        start = end[zipfile._ECD_LOCATION] - size_cd  # type: ignore[attr-defined]
        if end[zipfile._ECD_SIGNATURE] == zipfile.stringEndArchive64:  # type: ignore[attr-defined]
            start -= zipfile.sizeEndCentDir64 + zipfile.sizeEndCentDir64Locator  # type: ignore[attr-defined]
        if start < 0:
            return  # zipfile reports the bad offset
        f.seek(start)
        total = entries = 0
        while total < size_cd:
            header = f.read(_CENTRAL_HEADER.size)
            if len(header) != _CENTRAL_HEADER.size or header[:4] != b"PK\x01\x02":
                return  # a damaged directory: zipfile says so
            fields = _CENTRAL_HEADER.unpack(header)
            rest = fields[12] + fields[13] + fields[14]  # name, extra field and comment lengths
            total += _CENTRAL_HEADER.size + rest
            entries += 1
            if entries > lim.max_files:
                raise SubmissionError(f"{ex.display}: more than {lim.max_files} entries, the limit")
            f.seek(rest, os.SEEK_CUR)


def _extract_zip(path: Path, ex: _Extractor) -> None:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as e:
        raise SubmissionError(f"{ex.display}: not a valid zip archive ({_reason(e)})") from None
    with zf:
        for info in zf.infolist():
            ex.count_entry()
            parts = ex.admit(info.filename)
            if parts is None:
                continue
            mode = info.external_attr >> 16
            fmt = stat.S_IFMT(mode)
            if fmt == stat.S_IFLNK:
                ex.reject(info.filename, "symbolic link")
            elif fmt in (stat.S_IFCHR, stat.S_IFBLK):
                ex.reject(info.filename, "device file")
            elif fmt in (stat.S_IFIFO, stat.S_IFSOCK):
                ex.reject(info.filename, "fifo" if fmt == stat.S_IFIFO else "socket")
            elif info.is_dir() or fmt == stat.S_IFDIR:
                ex.make_dir(info.filename, parts)
            elif info.flag_bits & 0x1:
                ex.reject(info.filename, "encrypted (password-protected) entry")
            else:
                try:
                    source = zf.open(info)
                except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError, OSError) as e:
                    ex.reject(info.filename, f"cannot be extracted ({_reason(e)})")
                    continue
                with source:
                    ex.write(info.filename, parts, source, packed=info.compress_size, consumed=lambda: ex.archive_size)


_MAX_HEADER_BYTES = 1 << 20  # a long name or pax header bigger than this is no student's file
_HEADER_ROOM = 4 << 20  # decompressed bytes allowed beyond max_total_bytes: headers and padding
_TAR_COMPRESSIONS: tuple[tuple[bytes, Callable[[BinaryIO], IO[bytes]]], ...] = (
    (b"\x1f\x8b", lambda raw: cast("IO[bytes]", gzip.GzipFile(fileobj=raw, mode="rb"))),
    (b"BZh", lambda raw: cast("IO[bytes]", bz2.BZ2File(raw, mode="rb"))),
    (b"\xfd7zXZ\x00", lambda raw: _xz_reader(raw)),
)
_XZ_MEMORY = 96 << 20  # xz -9 needs 65 MiB to decompress; a header may ask for up to 4 GiB


def _xz_reader(raw: BinaryIO) -> IO[bytes]:
    """An .xz stream decompressed with a memory limit (``LZMAFile`` has none)."""
    reader = _compression.DecompressReader(
        raw, lzma.LZMADecompressor, trailing_error=lzma.LZMAError, memlimit=_XZ_MEMORY
    )
    return io.BufferedReader(reader)


class _TarSource:
    """The tar's (decompressed) bytes as ``tarfile`` reads them, counted and forward only.

    Every byte decompressed counts, headers and skipped entries included (``tarfile``
    seeks past an entry it does not extract, which in a compressed stream means
    decompressing it), up to ``max_total_bytes`` plus :data:`_HEADER_ROOM`. A single
    read larger than :data:`_MAX_HEADER_BYTES` is a header (entry data is read in small
    chunks) that ``tarfile`` would hold whole in memory: it is refused before reading.
    """

    def __init__(self, stream: IO[bytes], ex: _Extractor) -> None:
        self._stream = stream
        self._display = ex.display
        self._budget = ex.limits.max_total_bytes + _HEADER_ROOM
        self._pos = 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0 or n > _MAX_HEADER_BYTES:
            shown = "of unknown size" if n is None or n < 0 else format_size(n)
            raise SubmissionError(
                f"{self._display}: an entry's header is {shown}, more than the {format_size(_MAX_HEADER_BYTES)} limit"
            )
        if self._pos + n > self._budget:
            n = max(self._budget - self._pos + 1, 0)
        data = self._stream.read(n)
        self._pos += len(data)
        if self._pos > self._budget:
            raise SubmissionError(f"{self._display}: expands to more than {format_size(self._budget)}, the limit")
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        target = offset if whence == os.SEEK_SET else self._pos + offset
        if whence not in (os.SEEK_SET, os.SEEK_CUR) or target < self._pos:
            raise OSError("the archive cannot be read backwards")
        while self._pos < target:
            if not self.read(min(target - self._pos, _CHUNK)):
                break
        return self._pos

    def tell(self) -> int:
        return self._pos


def _extract_tar(path: Path, head: bytes, ex: _Extractor) -> bool:
    """Extract a tar (plain, .gz, .bz2 or .xz, by content); False when it is not a tar at all."""
    with open(path, "rb") as raw:
        opener = next((open_ for magic, open_ in _TAR_COMPRESSIONS if head.startswith(magic)), None)
        try:
            stream: IO[bytes] = opener(raw) if opener is not None else raw
            tf = tarfile.open(fileobj=_TarSource(stream, ex), mode="r:")  # type: ignore[call-overload]
        except SubmissionError:
            raise
        except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError, ValueError):
            return False
        with tf:
            try:
                for member in tf:
                    _extract_member(tf, member, raw, ex)
            except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as e:
                raise SubmissionError(f"{ex.display}: corrupt archive ({_reason(e)})") from None
    return True


def _extract_member(tf: tarfile.TarFile, member: tarfile.TarInfo, raw: BinaryIO, ex: _Extractor) -> None:
    ex.count_entry()
    parts = ex.admit(member.name)
    if parts is None:
        return
    if member.issym():
        ex.reject(member.name, "symbolic link")
    elif member.islnk():
        ex.reject(member.name, "hard link")
    elif member.ischr() or member.isblk():
        ex.reject(member.name, "device file")
    elif member.isfifo():
        ex.reject(member.name, "fifo")
    elif member.isdir():
        ex.make_dir(member.name, parts)
    elif member.isreg():
        source = tf.extractfile(member)
        if source is None:  # pragma: no cover - isreg() members always have data
            ex.reject(member.name, "no data")
            return
        with source:
            ex.write(member.name, parts, source, packed=None, consumed=raw.tell)
    else:
        ex.reject(member.name, "not a regular file")
