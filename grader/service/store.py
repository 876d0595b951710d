"""The service's record: tokens, jobs and the release flag, in ``<results>/service.sqlite``.

Kept apart from the class-mode gradebook (``gradebook.sqlite``, which the service also
writes, one transaction per graded job) because it holds what class mode has no notion of:
who may submit, what was accepted and not yet graded, and whether grades are released.

Schema::

    meta(key, value)                       application, schema_version, assignment, released
    tokens(hash PRIMARY KEY, who, role,    sha256 of the token (the token itself is printed once
           created_at)                     and never stored); role 'student' | 'instructor'
    jobs(seq INTEGER PRIMARY KEY,          submission order
         id UNIQUE, student, filename,     what the client named it (the result's submission name)
         sha256, size, submitted_at, late,
         state, attempts,                  'queued' | 'running' | 'done' | 'failed'
         started_at, finished_at, wall_s,
         score, max_score, result_json,    the result exactly as graded (grader.result/v1 bytes)
         failure)                          why it could not be graded

Durability: WAL with ``synchronous=FULL`` here (a job the client was told about must
survive a power cut, not only a ``kill -9``). Every statement runs under one lock on one
connection: the API's threads, the dispatchers and the commands share it.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["FILENAME", "JobRow", "ServiceStore", "StoreError", "TokenRow", "hash_token", "utc_now"]

FILENAME = "service.sqlite"
SCHEMA_VERSION = "1"
_APP_TAG = "dl-grader service"
Role = Literal["student", "instructor"]
JobState = Literal["queued", "running", "done", "failed"]

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    who        TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('student', 'instructor')),
    created_at TEXT NOT NULL
);
CREATE INDEX tokens_by_who ON tokens (who, role);
CREATE TABLE jobs (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    student      TEXT NOT NULL,
    filename     TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         INTEGER NOT NULL,
    submitted_at TEXT NOT NULL,
    late         INTEGER NOT NULL DEFAULT 0,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    started_at   TEXT,
    finished_at  TEXT,
    wall_s       REAL,
    score        REAL,
    max_score    REAL,
    result_json  TEXT,
    failure      TEXT
);
CREATE INDEX jobs_by_student ON jobs (student, submitted_at);
CREATE INDEX jobs_by_state ON jobs (state, seq);
"""


class StoreError(Exception):
    """The service's file cannot be used (another program's database, another assignment)."""


@dataclass(frozen=True)
class TokenRow:
    who: str
    role: Role


@dataclass(frozen=True)
class JobRow:
    seq: int
    id: str
    student: str
    filename: str
    sha256: str
    size: int
    submitted_at: str
    late: bool
    state: JobState
    attempts: int
    started_at: str | None
    finished_at: str | None
    wall_s: float | None
    score: float | None
    max_score: float | None
    result_json: str | None
    failure: str | None


_JOB_COLUMNS = ("seq, id, student, filename, sha256, size, submitted_at, late, state, attempts, started_at, "
                "finished_at, wall_s, score, max_score, result_json, failure")


def _job(row: tuple[Any, ...]) -> JobRow:
    values = list(row)
    values[7] = bool(values[7])
    return JobRow(*values)


def utc_now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256 (tokens are 192 random bits: no salt needed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


class ServiceStore:
    """The open ``service.sqlite`` of a results folder; safe to share between threads."""

    def __init__(self, results_dir: Path, *, assignment: str) -> None:
        self.path = Path(results_dir) / FILENAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
            self._init(assignment)
        except sqlite3.DatabaseError as err:
            raise StoreError(f"{self.path}: not a usable service database ({err}); it was left as it is") from None

    def _init(self, assignment: str) -> None:
        with self._lock:
            tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and not {"meta", "tokens", "jobs"} <= tables:
                raise StoreError(f"{self.path}: a SQLite database, but not the grader service's; it was left as it is")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = FULL")
            if not tables:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    if not self._conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                        for stmt in _SCHEMA.split(";"):
                            if stmt.strip():
                                self._conn.execute(stmt)
                        self._conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [
                            ("application", _APP_TAG), ("schema_version", SCHEMA_VERSION),
                            ("assignment", assignment), ("released", "0"), ("created_at", utc_now())])
                    self._conn.execute("COMMIT")
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
            meta = dict(self._conn.execute("SELECT key, value FROM meta").fetchall())
            if meta.get("application") != _APP_TAG:
                raise StoreError(f"{self.path}: a SQLite database, but not the grader service's; it was left as it is")
            if meta.get("schema_version") != SCHEMA_VERSION:
                raise StoreError(f"{self.path}: service database version {meta.get('schema_version')}, this grader "
                                 f"reads {SCHEMA_VERSION}")
            if meta.get("assignment") != assignment:
                raise StoreError(f"{self.path.parent}/ serves {meta.get('assignment')}, not {assignment}: "
                                 "use another results folder")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _write(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._conn.execute(sql, params)

    # ------------------------------------------------------------------ meta

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._write("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value))

    @property
    def released(self) -> bool:
        return self.meta("released") == "1"

    # ------------------------------------------------------------------ tokens

    def issue_tokens(self, people: list[str], *, role: Role) -> dict[str, str]:
        """A new token for each person (their earlier tokens of that role stop working), in
        one transaction. Returns person -> token: the only time the tokens exist in clear."""
        issued = {who: secrets.token_urlsafe(24) for who in people}
        now = utc_now()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for who, token in issued.items():
                    self._conn.execute("DELETE FROM tokens WHERE who = ? AND role = ?", (who, role))
                    self._conn.execute("INSERT INTO tokens (hash, who, role, created_at) VALUES (?, ?, ?, ?)",
                                       (hash_token(token), who, role, now))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return issued

    def who(self, token: str) -> TokenRow | None:
        with self._lock:
            row = self._conn.execute("SELECT who, role FROM tokens WHERE hash = ?", (hash_token(token),)).fetchone()
        return None if row is None else TokenRow(who=str(row[0]), role=row[1])

    # ------------------------------------------------------------------ jobs

    def add_job(self, *, student: str, filename: str, sha256: str, size: int, late: bool) -> JobRow:
        """Commit an accepted submission (queued); only then may the client be told 202."""
        job_id = secrets.token_hex(12)
        with self._lock:
            self._conn.execute(
                "INSERT INTO jobs (id, student, filename, sha256, size, submitted_at, late, state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'queued')", (job_id, student, filename, sha256, size, utc_now(), int(late)))
            job = self.job(job_id)
        assert job is not None
        return job

    def job(self, job_id: str) -> JobRow | None:
        with self._lock:
            row = self._conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return None if row is None else _job(row)

    def jobs(self, *, student: str | None = None, limit: int = 1000) -> list[JobRow]:
        """Newest first."""
        with self._lock:
            if student is None:
                rows = self._conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs ORDER BY seq DESC LIMIT ?", (limit,))
            else:
                rows = self._conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE student = ? ORDER BY seq DESC LIMIT ?",
                                          (student, limit))
            return [_job(r) for r in rows]

    def unfinished(self) -> list[JobRow]:
        """Jobs accepted and not finished (a restart queues them again), in submission order."""
        with self._lock:
            rows = self._conn.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE state IN ('queued', 'running') ORDER BY seq")
            return [_job(r) for r in rows]

    def submitted_since(self, student: str, since: str) -> list[str]:
        """When the student's submissions at or after ``since`` were made, oldest first."""
        with self._lock:
            rows = self._conn.execute("SELECT submitted_at FROM jobs WHERE student = ? AND submitted_at >= ? "
                                      "ORDER BY submitted_at", (student, since))
            return [str(r[0]) for r in rows]

    def start_job(self, job_id: str) -> None:
        self._write("UPDATE jobs SET state = 'running', attempts = attempts + 1, started_at = ? WHERE id = ?",
                    (utc_now(), job_id))

    def finish_job(self, job_id: str, *, result_json: str | None, score: float | None, max_score: float | None,
                   failure: str | None, wall_s: float) -> None:
        state = "done" if result_json is not None else "failed"
        self._write("UPDATE jobs SET state = ?, finished_at = ?, wall_s = ?, score = ?, max_score = ?, result_json = ?,"
                    " failure = ? WHERE id = ?", (state, utc_now(), wall_s, score, max_score, result_json, failure, job_id))

    def blob_in_use(self, sha256: str) -> bool:
        with self._lock:
            return self._conn.execute("SELECT 1 FROM jobs WHERE sha256 = ? LIMIT 1", (sha256,)).fetchone() is not None
