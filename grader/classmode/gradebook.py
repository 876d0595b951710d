"""The gradebook: every graded submission of a results folder, in one SQLite file
(``results/gradebook.sqlite``), the record of truth of a class run.

The schema, the student key, the grading key, durability, locking and what is refused are
described in docs/gradebook.md; `SCHEMA_VERSION` and `_SCHEMA` below are the source.
"""

from __future__ import annotations

import datetime as _dt
import errno
import fcntl
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Iterable

__all__ = [
    "FILENAME",
    "SCHEMA_VERSION",
    "Gradebook",
    "GradebookError",
    "OverrideRow",
    "ResultRow",
    "utc_now",
]

FILENAME = "gradebook.sqlite"
SCHEMA_VERSION = 2
_READABLE_VERSIONS = ("1", "2")  # 1: no overrides.digest (upgraded when opened for writing)
_APP_TAG = "dl-grader gradebook"
_BUSY_TIMEOUT_S = 5.0

_SCHEMA = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE results (
    id           INTEGER PRIMARY KEY,
    assignment   TEXT NOT NULL,
    student      TEXT NOT NULL,
    submission   TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    rubric_hash  TEXT NOT NULL,
    grading_key  TEXT NOT NULL,
    outcome      TEXT NOT NULL CHECK (outcome IN ('graded', 'failed')),
    score        REAL,
    max_score    REAL,
    result_json  TEXT,
    failure      TEXT,
    source       TEXT NOT NULL,
    wall_s       REAL,
    graded_at    TEXT NOT NULL,
    UNIQUE (assignment, submission, content_hash, grading_key),
    CHECK ((outcome = 'graded') = (result_json IS NOT NULL))
);
CREATE INDEX results_by_student ON results (assignment, student);
CREATE TABLE current (
    assignment TEXT NOT NULL,
    submission TEXT NOT NULL,
    result_id  INTEGER NOT NULL REFERENCES results (id),
    PRIMARY KEY (assignment, submission)
);
CREATE TABLE overrides (
    id         INTEGER PRIMARY KEY,
    assignment TEXT NOT NULL,
    student    TEXT NOT NULL,
    submission TEXT,
    check_id   TEXT NOT NULL,
    score      REAL NOT NULL,
    comment    TEXT NOT NULL,
    by         TEXT NOT NULL,
    at         TEXT NOT NULL,
    digest     TEXT
);
CREATE INDEX overrides_by_student ON overrides (assignment, student);
"""
_TABLES = frozenset({"meta", "results", "current", "overrides"})


# The `failure` of a graded row whose result is not final: a call was stopped by class
# mode's shorter first-try limit; the next run grades the submission with the full limits.
PROVISIONAL = "provisional: "


class GradebookError(Exception):
    """A gradebook that cannot be used as asked (corrupt, foreign, other version, in use)."""


@dataclass(frozen=True)
class ResultRow:
    """One stored outcome: a graded result, or the reason a submission could not be graded."""

    id: int
    assignment: str
    student: str
    submission: str
    content_hash: str
    rubric_hash: str
    grading_key: str
    outcome: str  # "graded" | "failed"
    score: float | None
    max_score: float | None
    result_json: str | None
    failure: str | None
    source: str
    wall_s: float | None
    graded_at: str


@dataclass(frozen=True)
class OverrideRow:
    """A TA's score for one check of one student's submission."""

    id: int
    assignment: str
    student: str
    submission: str | None  # None: every submission of the student
    check_id: str  # "<question id>.<check id>", e.g. "problem1.q1_1.reason"
    score: float
    comment: str
    by: str
    at: str
    digest: str | None = None  # what it scored (grader.classmode.review.evidence_digest); None: not known

    def applies_to(self, *, student: str, submission: str) -> bool:
        return self.student == student and (self.submission is None or self.submission == submission)


WITHDRAWN = "withdrawn:"  # the digest of a row that undoes the override whose id follows


def withdrawn_id(row: OverrideRow) -> int | None:
    """The id of the override `row` withdraws (an undo), or None for a score."""
    if row.digest and row.digest.startswith(WITHDRAWN):
        tail = row.digest[len(WITHDRAWN):]
        return int(tail) if tail.isdigit() else -1  # malformed: withdraws nothing, scores nothing
    return None


def utc_now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


class Gradebook:
    """An open gradebook. Use from one thread (the batch's main thread)."""

    def __init__(self, path: Path, conn: sqlite3.Connection, lock_fd: int | None) -> None:
        self.path = path
        self._conn = conn
        self._lock_fd = lock_fd
        cols = {r[1] for r in conn.execute("PRAGMA table_info(overrides)")}
        self._digest = "digest" if "digest" in cols else "NULL"

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, results_dir: Path, *, create: bool, exclusive: bool) -> "Gradebook":
        """Open ``results_dir/gradebook.sqlite``.

        ``create``: make a new gradebook when there is none (else a missing one is an error).
        ``exclusive``: hold the writer lock until :meth:`close` (a batch, a review that writes).
        """
        path = Path(results_dir) / FILENAME
        if not path.exists() and not create:
            raise GradebookError(f"{path}: no gradebook here (run `grade SUBMISSIONS --out {results_dir}` first)")
        if path.exists() and not path.is_file():
            raise GradebookError(f"{path}: not a file")
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        lock_fd = _lock(path) if exclusive else None
        try:
            conn = _connect(path, readonly=not create and not exclusive)
            try:
                _validate_or_init(conn, path, create=create, writable=exclusive)
            except BaseException:
                conn.close()
                raise
        except BaseException:
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        return cls(path, conn, lock_fd)

    def close(self) -> None:
        self._conn.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> "Gradebook":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # ------------------------------------------------------------------ meta

    def meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def meta_json(self, key: str) -> Any:
        value = self.meta(key)
        return None if value is None else json.loads(value)

    def set_meta(self, values: dict[str, str]) -> None:
        with self._transaction():
            self._conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?) "
                                   "ON CONFLICT (key) DO UPDATE SET value = excluded.value", sorted(values.items()))

    # ------------------------------------------------------------------ results

    def graded_results(self, assignment: str, grading_key: str) -> dict[tuple[str, str], tuple[int, str]]:
        """(submission, content hash) -> (row id, result JSON) of every content graded for
        good under this key (a provisional result is graded again: see `provisional_results`)."""
        rows = self._conn.execute(
            "SELECT submission, content_hash, id, result_json FROM results "
            "WHERE assignment = ? AND grading_key = ? AND outcome = 'graded' "
            "AND (failure IS NULL OR substr(failure, 1, ?) != ?)",
            (assignment, grading_key, len(PROVISIONAL), PROVISIONAL))
        return {(r[0], r[1]): (int(r[2]), str(r[3])) for r in rows}

    def provisional_results(self, assignment: str, grading_key: str) -> set[tuple[str, str]]:
        """(submission, content hash) of every result graded on class mode's first try with
        a call stopped early (its `failure` starts with PROVISIONAL): the next run grades
        these again, with the rubric's full limits."""
        rows = self._conn.execute(
            "SELECT submission, content_hash FROM results WHERE assignment = ? AND grading_key = ? "
            "AND outcome = 'graded' AND substr(failure, 1, ?) = ?",
            (assignment, grading_key, len(PROVISIONAL), PROVISIONAL))
        return {(str(r[0]), str(r[1])) for r in rows}

    def current_ids(self, assignment: str) -> dict[str, int]:
        """submission -> id of its current row."""
        rows = self._conn.execute("SELECT submission, result_id FROM current WHERE assignment = ?", (assignment,))
        return {r[0]: int(r[1]) for r in rows}

    def record(self, *, assignment: str, student: str, submission: str, content_hash: str, rubric_hash: str,
               grading_key: str, source: str, wall_s: float | None, result_json: str | None = None,
               score: float | None = None, max_score: float | None = None, failure: str | None = None) -> int:
        """Store one outcome and make it the submission's current one, in one transaction."""
        outcome = "graded" if result_json is not None else "failed"
        if result_json is None and failure is None:
            raise ValueError("record(): give result_json, failure, or both (a not-submitted result and why)")
        with self._transaction():
            cur = self._conn.execute(
                "INSERT INTO results (assignment, student, submission, content_hash, rubric_hash, grading_key, outcome,"
                " score, max_score, result_json, failure, source, wall_s, graded_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (assignment, submission, content_hash, grading_key) DO UPDATE SET"
                " student = excluded.student, rubric_hash = excluded.rubric_hash, outcome = excluded.outcome,"
                " score = excluded.score, max_score = excluded.max_score, result_json = excluded.result_json,"
                " failure = excluded.failure, source = excluded.source, wall_s = excluded.wall_s,"
                " graded_at = excluded.graded_at"
                " RETURNING id",
                (assignment, student, submission, content_hash, rubric_hash, grading_key, outcome, score, max_score,
                 result_json, failure, source, wall_s, utc_now()))
            row_id = int(cur.fetchone()[0])
            self._set_current(assignment, submission, row_id)
        return row_id

    def make_current(self, *, assignment: str, submission: str, row_id: int) -> None:
        """A stored result stands for the submission again (it was found unchanged)."""
        with self._transaction():
            self._set_current(assignment, submission, row_id)

    def _set_current(self, assignment: str, submission: str, row_id: int) -> None:
        self._conn.execute("INSERT INTO current (assignment, submission, result_id) VALUES (?, ?, ?) "
                           "ON CONFLICT (assignment, submission) DO UPDATE SET result_id = excluded.result_id",
                           (assignment, submission, row_id))

    def current(self, assignment: str) -> list[ResultRow]:
        """The current outcome of every submission of the assignment, by submission name."""
        rows = self._conn.execute(
            f"SELECT {_RESULT_COLUMNS} FROM current c JOIN results r ON r.id = c.result_id "
            "WHERE c.assignment = ? ORDER BY r.submission", (assignment,))
        return [ResultRow(*r) for r in rows]

    def rows(self, assignment: str) -> list[ResultRow]:
        """Every stored outcome (history included), oldest first."""
        rows = self._conn.execute(f"SELECT {_RESULT_COLUMNS} FROM results r WHERE assignment = ? ORDER BY id",
                                  (assignment,))
        return [ResultRow(*r) for r in rows]

    # ------------------------------------------------------------------ overrides

    def add_overrides(self, assignment: str, items: Iterable[dict[str, Any]]) -> list[OverrideRow]:
        """Store TA scores (each a dict with student, submission, check_id, score, comment, by)
        in one transaction: all of them or none."""
        at = utc_now()
        out: list[OverrideRow] = []
        with self._transaction():
            for it in items:
                cur = self._conn.execute(
                    "INSERT INTO overrides (assignment, student, submission, check_id, score, comment, by, at, digest)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                    (assignment, it["student"], it.get("submission"), it["check_id"], float(it["score"]),
                     it.get("comment") or "", it["by"], at, it.get("digest")))
                out.append(OverrideRow(int(cur.fetchone()[0]), assignment, it["student"], it.get("submission"),
                                       it["check_id"], float(it["score"]), it.get("comment") or "", it["by"], at,
                                       it.get("digest")))
        return out

    def overrides(self, assignment: str) -> list[OverrideRow]:
        """The effective overrides: per (student, submission, check), the newest one not
        withdrawn (`withdraw_override`: an undo), in id order. Undoing the newest score of a
        check brings back the one before it, if any."""
        stacks: dict[tuple[str, str | None, str], list[OverrideRow]] = {}
        for row in self.override_history(assignment):
            stack = stacks.setdefault((row.student, row.submission, row.check_id), [])
            target = withdrawn_id(row)
            if target is None:
                stack.append(row)
            elif stack and stack[-1].id == target:
                stack.pop()
        return sorted((stack[-1] for stack in stacks.values() if stack), key=lambda o: o.id)

    def withdraw_override(self, assignment: str, row: OverrideRow, *, by: str) -> OverrideRow:
        """Undo `row` (an effective override): a new row records who withdrew it and when,
        so the history keeps both; the check's score is then the one before it, or none."""
        (out,) = self.add_overrides(assignment, [{
            "student": row.student, "submission": row.submission, "check_id": row.check_id, "score": row.score,
            "comment": f"undo of #{row.id} ({row.score:g} by {row.by})", "by": by, "digest": f"{WITHDRAWN}{row.id}"}])
        return out

    def override_history(self, assignment: str) -> list[OverrideRow]:
        rows = self._conn.execute(
            f"SELECT id, assignment, student, submission, check_id, score, comment, by, at, {self._digest} "
            "FROM overrides WHERE assignment = ? ORDER BY id", (assignment,))
        return [OverrideRow(*r) for r in rows]

    def remove_submission(self, assignment: str, submission: str) -> tuple[list[ResultRow], int]:
        """Take a submission out of the gradebook, in one transaction: its stored results
        (history included) and the overrides recorded for it by name. Overrides recorded
        for the student without a submission name stay (they follow the student). Returns
        the rows removed and how many overrides went with them."""
        with self._transaction():
            gone = [ResultRow(*r) for r in self._conn.execute(
                f"SELECT {_RESULT_COLUMNS} FROM results r WHERE assignment = ? AND submission = ? ORDER BY id",
                (assignment, submission))]
            self._conn.execute("DELETE FROM current WHERE assignment = ? AND submission = ?", (assignment, submission))
            self._conn.execute("DELETE FROM results WHERE assignment = ? AND submission = ?", (assignment, submission))
            n = self._conn.execute("DELETE FROM overrides WHERE assignment = ? AND submission = ?",
                                   (assignment, submission)).rowcount
        return gone, int(n)

    # ------------------------------------------------------------------ internals

    def _transaction(self) -> "_Txn":
        return _Txn(self._conn, self.path)


_RESULT_COLUMNS = ("r.id, r.assignment, r.student, r.submission, r.content_hash, r.rubric_hash, r.grading_key, "
                   "r.outcome, r.score, r.max_score, r.result_json, r.failure, r.source, r.wall_s, r.graded_at")


class _Txn:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception; SQLite errors become GradebookError."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self._path = path

    def __enter__(self) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            raise GradebookError(_busy_message(self._path, err)) from None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc_type is None:
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error as err:
                self._conn.execute("ROLLBACK")
                raise GradebookError(f"{self._path}: could not save: {err}") from None
        else:
            self._conn.execute("ROLLBACK")


def _busy_message(path: Path, err: sqlite3.Error) -> str:
    if "locked" in str(err) or "busy" in str(err):
        return f"{path}: the gradebook is locked by another program (SQLite: {err}); try again when it has finished"
    return f"{path}: {err}"


def _lock(path: Path) -> int:
    """Take the exclusive writer lock (flock on <gradebook>.lock, holding our pid)."""
    lock_path = path.with_name(path.name + ".lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as err:
        holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        if err.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise GradebookError(f"{path}: in use by another running batch or review (pid {holder}); "
                                 "wait for it to finish, or use another --out folder") from None
        raise GradebookError(f"{lock_path}: cannot take the lock: {err.strerror or err}") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return fd


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    try:
        if readonly:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT_S,
                                   isolation_level=None)
        else:
            conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as err:
        raise GradebookError(f"{path}: cannot open the gradebook: {err}") from None
    return conn


def _validate_or_init(conn: sqlite3.Connection, path: Path, *, create: bool, writable: bool = False) -> None:
    """Refuse anything that is not an intact gradebook of our schema version; create the
    tables in a new (empty) database. Nothing is written before the checks pass."""
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables:
            problems = [r[0] for r in conn.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                shown = "; ".join(" ".join(str(p).split()) for p in problems[:3])
                raise GradebookError(f"{path}: the gradebook is damaged (SQLite integrity check: {shown}); "
                                     "it was left as it is: restore it from a backup, or move it away to grade afresh")
    except sqlite3.DatabaseError as err:
        if "locked" in str(err) or "busy" in str(err):
            raise GradebookError(_busy_message(path, err)) from None
        raise GradebookError(f"{path}: not a readable gradebook ({err}); it was left as it is: "
                             "restore it from a backup, or move it away to grade afresh") from None
    if not tables:
        if not create:
            raise GradebookError(f"{path}: the gradebook is empty")
        _init(conn, path)
        return
    if "meta" not in tables or not _TABLES <= tables:
        raise GradebookError(f"{path}: a SQLite database, but not a grader gradebook (tables: {', '.join(sorted(tables))}); "
                             "it was left as it is: use another --out folder")
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("application") != _APP_TAG:
        raise GradebookError(f"{path}: a SQLite database, but not a grader gradebook; it was left as it is")
    version = meta.get("schema_version")
    if version not in _READABLE_VERSIONS:
        raise GradebookError(f"{path}: gradebook schema version {version}, but this grader reads versions "
                             f"{', '.join(_READABLE_VERSIONS)}; it was left as it is: use the grader version that "
                             "wrote it, or another --out folder")
    if create:
        _set_pragmas(conn, path)
    if version != str(SCHEMA_VERSION) and (create or writable):
        _upgrade(conn, path)


def _upgrade(conn: sqlite3.Connection, path: Path) -> None:
    """Version 1 -> 2: overrides gain their digest column (NULL for the old ones)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        cols = {r[1] for r in conn.execute("PRAGMA table_info(overrides)")}
        if "digest" not in cols:
            conn.execute("ALTER TABLE overrides ADD COLUMN digest TEXT")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))
        conn.execute("COMMIT")
    except sqlite3.Error as err:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise GradebookError(f"{path}: cannot upgrade the gradebook to version {SCHEMA_VERSION}: {err}") from None


def _set_pragmas(conn: sqlite3.Connection, path: Path) -> None:
    try:
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.OperationalError as err:
        raise GradebookError(_busy_message(path, err)) from None
    if str(mode).lower() != "wal":
        raise GradebookError(f"{path}: SQLite refused WAL mode (journal mode is {mode}); is the folder on a network file system?")


def _init(conn: sqlite3.Connection, path: Path) -> None:
    _set_pragmas(conn, path)
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as err:
        raise GradebookError(_busy_message(path, err)) from None
    try:
        if conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
            conn.execute("ROLLBACK")  # created by someone else meanwhile: validate what they made
            _validate_or_init(conn, path, create=True)
            return
        for stmt in _SCHEMA.split(";"):
            if stmt.strip():
                conn.execute(stmt)
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                         [("application", _APP_TAG), ("schema_version", str(SCHEMA_VERSION)), ("created_at", utc_now())])
        conn.execute("COMMIT")
    except sqlite3.Error as err:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise GradebookError(f"{path}: cannot create the gradebook: {err}") from None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 16):
            h.update(chunk)
    return h.hexdigest()
