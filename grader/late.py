"""Late work: a deadline, a grace period and a late policy, applied in class mode.

The policy sits in the rubric (`late:`) or in a course file given to a class run
(`grade SUBMISSIONS --out R --late course.yaml`, a YAML/JSON/TOML file with the same
`late:` mapping; it wins over the rubric's)::

    late:
      deadline: 2026-10-03T23:59:00-04:00   # with its time zone
      grace_minutes: 15                     # late by less than this: not late
      per_day: 0.1                          # share of the points taken per started day late
      cap: 0.5                              # at most this share taken (1: down to 0)
      extensions: extensions.csv            # student,deadline or student,days (beside the file)

When a submission was handed in comes from `--submitted-at FILE` (CSV `submission,time`
or `student,time`, ISO 8601 with a time zone, e.g. exported from the LMS), else from the
submission's own modification time (an archive's, or the newest file of a folder): LMS and
Gradescope downloads keep it, a copy may not (say so with the file).

The penalty is applied like a TA's score, when results are written (the per-submission
JSON and HTML, grades.csv, report.html): the score drops by `min(days * per_day, cap)` of
the submission's points (never below 0) and the result's warnings say why ("handed in 2 day(s)
late (deadline ...): -20% of the points, 10 points"). What was graded stays in the
gradebook unchanged; the policy and the times are kept in its meta, so `grade review` and
`grade export` apply the same penalty.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from grader.results import SubmissionResult, round_score

__all__ = ["LateBook", "LateError", "LatePolicy", "load_policy_file", "read_extensions", "read_times", "submission_time"]

MAX_TABLE_BYTES = 4 << 20  # an extensions or times file is the course's, but still bounded


class LateError(Exception):
    """A late policy, extensions or times file that cannot be used (one line, exit 2)."""


class LatePolicy(BaseModel):
    """See the module docstring."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deadline: datetime = Field(description="when work is due, with its time zone (ISO 8601, e.g. 2026-10-03T23:59:00-04:00)")
    grace_minutes: float = Field(0, ge=0, le=7 * 24 * 60, description="minutes after the deadline still on time")
    per_day: float = Field(0, ge=0, le=1, description="share of the points taken per started day late")
    cap: float = Field(1, ge=0, le=1, description="at most this share of the points is taken")
    extensions: str | None = Field(None, description="CSV beside the rubric/course file: student,deadline or student,days")

    @field_validator("deadline")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("the deadline needs its time zone (e.g. 2026-10-03T23:59:00-04:00)")
        return v


def _parse_time(text: str, where: str) -> datetime:
    try:
        t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise LateError(f"{where}: {text!r} is not an ISO 8601 time (2026-10-03T23:59:00-04:00)") from None
    if t.tzinfo is None:
        raise LateError(f"{where}: {text!r} has no time zone")
    return t


def _table(path: Path) -> list[tuple[int, list[str]]]:
    try:
        if path.stat().st_size > MAX_TABLE_BYTES:
            raise LateError(f"{path}: larger than {MAX_TABLE_BYTES >> 20} MiB")
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise LateError(f"{path}: cannot read: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise LateError(f"{path}: not UTF-8 text") from None
    rows = [(n, [c.strip() for c in row]) for n, row in enumerate(csv.reader(io.StringIO(text)), 1) if any(row)]
    if rows and rows[0][1] and rows[0][1][0].lower() in ("student", "submission", "id"):
        rows = rows[1:]  # a header row
    for n, row in rows:
        if len(row) < 2 or not row[0]:
            raise LateError(f"{path}:{n}: expected two columns (who, time or days)")
    return rows


def read_extensions(path: Path, deadline: datetime) -> dict[str, datetime]:
    """student -> their own deadline: a time, or a number of days added to `deadline`."""
    out: dict[str, datetime] = {}
    for n, (who, value, *_) in _table(path):
        try:
            days = float(value)
        except ValueError:
            out[who] = _parse_time(value, f"{path}:{n}")
            continue
        if not math.isfinite(days) or not 0 <= days <= 365:
            raise LateError(f"{path}:{n}: {value!r} days: expected 0 to 365")
        out[who] = deadline + timedelta(days=days)
    return out


def read_times(path: Path) -> dict[str, datetime]:
    """submission name or student -> when it was handed in."""
    return {who: _parse_time(value, f"{path}:{n}") for n, (who, value, *_) in _table(path)}


def submission_time(path: Path) -> datetime:
    """The submission's modification time: an archive's, or the newest regular file's in a
    folder (links not followed)."""
    newest: float | None = None
    if path.is_dir() and not path.is_symlink():
        for root, _, files in os.walk(path):  # the files' times: a folder's own changes whenever it is copied into
            for f in files:
                st = os.lstat(os.path.join(root, f))
                newest = st.st_mtime if newest is None else max(newest, st.st_mtime)
    return datetime.fromtimestamp(path.lstat().st_mtime if newest is None else newest, tz=timezone.utc)


def load_policy_file(path: Path) -> tuple[LatePolicy, Path]:
    """A course file's `late:` policy (and the folder its extensions file is relative to)."""
    from grader.docio import DocumentError, load_document

    try:
        doc = load_document(path.read_bytes(), filename=str(path))
    except OSError as err:
        raise LateError(f"{path}: cannot read: {err.strerror or err}") from None
    except DocumentError as err:
        raise LateError(str(err)) from None
    data = doc.data.get("late") if isinstance(doc.data, dict) else None
    if not isinstance(data, dict):
        raise LateError(f"{path}: expected a `late:` mapping (deadline, grace_minutes, per_day, cap, extensions)")
    try:
        return LatePolicy.model_validate(data), path.parent
    except ValueError as err:
        raise LateError(f"{path}: late: {err}") from None


@dataclass(frozen=True)
class LateBook:
    """The policy, each student's deadline and each submission's time, as a class run
    recorded them (JSON in the gradebook's meta)."""

    policy: LatePolicy
    deadlines: dict[str, datetime] = field(default_factory=dict)  # student -> extended deadline
    times: dict[str, datetime] = field(default_factory=dict)  # submission -> handed in

    def to_json(self) -> str:
        return json.dumps({"policy": self.policy.model_dump(mode="json"),
                           "deadlines": {k: v.isoformat() for k, v in sorted(self.deadlines.items())},
                           "times": {k: v.isoformat() for k, v in sorted(self.times.items())}}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LateBook:
        data: dict[str, Any] = json.loads(text)
        return cls(policy=LatePolicy.model_validate(data["policy"]),
                   deadlines={k: datetime.fromisoformat(v) for k, v in data.get("deadlines", {}).items()},
                   times={k: datetime.fromisoformat(v) for k, v in data.get("times", {}).items()})

    def days_late(self, submission: str, student: str) -> tuple[int, datetime | None, datetime]:
        """(started days late, when handed in, the deadline that applies)."""
        deadline = self.deadlines.get(student, self.policy.deadline)
        when = self.times.get(submission)
        if when is None:
            return 0, None, deadline
        late = when - deadline - timedelta(minutes=self.policy.grace_minutes)
        return (math.ceil(late / timedelta(days=1)) if late > timedelta(0) else 0), when, deadline

    def apply(self, result: SubmissionResult, submission: str, student: str) -> SubmissionResult:
        """`result` with the late penalty taken off its score and a warning saying so."""
        days, when, deadline = self.days_late(submission, student)
        if days <= 0 or when is None:
            return result
        share = min(days * self.policy.per_day, self.policy.cap)
        taken = round_score(min(result.score, share * result.max_score))
        note = (f"handed in {days} day(s) late ({when.isoformat()}; deadline {deadline.isoformat()}"
                f"{', with an extension' if student in self.deadlines else ''}): -{share:.0%} of the points, "
                f"{taken:g} point(s)")
        return result.model_copy(update={"score": round_score(result.score - taken),
                                         "warnings": [*result.warnings, note]})


def late_book(recorded: str | None) -> LateBook | None:
    """The late policy and times a class run recorded in its gradebook (meta ``late``), or None."""
    return LateBook.from_json(recorded) if recorded else None
