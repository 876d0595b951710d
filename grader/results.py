"""Result models: what grading produces, in a stable JSON form (schema grader.result/v1).

Everything here is frozen. Reporters (terminal, JSON, HTML, Gradescope, JUnit, CSV)
read these models and never compute scores themselves.

`CheckResult.details` is free-form plain data for humans and machines; the optional
`CheckResult.view` is a typed payload that renderers know how to draw (a matrix grid
with wrong cells, a truth table with failing rows, curves, a table with wrong cells,
a numeric mismatch summary, the student's free text).
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_ID = "grader.result/v1"


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    PARTIAL = "partial"
    ERROR = "error"
    MISSING = "missing"
    MANUAL = "manual"


class Visibility(str, Enum):
    PUBLIC = "public"
    HIDDEN = "hidden"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --------------------------------------------------------------------------- views


class MatrixView(_Frozen):
    """A 2-D grid: the student's values, the expected values, and the wrong cells."""

    type: Literal["matrix"] = "matrix"
    got: list[list[float | None]]
    expected: list[list[float]]
    wrong: list[tuple[int, int]] = Field(default_factory=list)


class TruthTableView(_Frozen):
    """Rows of a truth table; `failing` holds the indices of rows that are wrong."""

    type: Literal["truth_table"] = "truth_table"
    columns: list[str]
    rows: list[list[float | str | None]]
    failing: list[int] = Field(default_factory=list)


class Series(_Frozen):
    name: str
    values: list[float | None]  # None stands for a non-finite value


class CurvesView(_Frozen):
    """Curves over a common x axis (e.g. MSE per epoch), the student's beside the reference's."""

    type: Literal["curves"] = "curves"
    title: str
    x_label: str
    y_label: str
    log_y: bool = False
    series: list[Series]


class TableView(_Frozen):
    """A table with wrong cells marked, e.g. the Lab 2 per-layer table."""

    type: Literal["table"] = "table"
    columns: list[str]
    rows: list[list[str]]
    expected_rows: list[list[str]] = Field(default_factory=list)
    wrong: list[tuple[int, int]] = Field(default_factory=list)


class MismatchGroup(_Frozen):
    path: str  # e.g. "['fc1.weight']" or "w"
    mismatched: int
    total: int
    max_abs_diff: float | None = None
    max_abs_index: list[int] | None = None
    max_rel_diff: float | None = None
    max_rel_index: list[int] | None = None
    rtol: float | None = None
    atol: float | None = None
    sample: list[tuple[str, str, str]] = Field(default_factory=list)  # (index, got, expected)


class MismatchView(_Frozen):
    """Numeric comparison failures, one group per failed tensor/array."""

    type: Literal["mismatch"] = "mismatch"
    groups: list[MismatchGroup]


class TextView(_Frozen):
    """Free text the student wrote, for manual review (always rendered escaped)."""

    type: Literal["text"] = "text"
    label: str
    text: str
    key: str | None = None  # the key's explanation, for TAs


View = Annotated[
    Union[MatrixView, TruthTableView, CurvesView, TableView, MismatchView, TextView],
    Field(discriminator="type"),
]


# --------------------------------------------------------------------------- results


class CheckResult(_Frozen):
    id: str
    status: Status
    score: float
    max_score: float
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    views: list[View] = Field(default_factory=list)
    visibility: Visibility = Visibility.PUBLIC
    hint: str | None = None
    source: str | None = None  # "answers:problem2.q2_2.w" or "code:lab1.py:closed_form"
    timing_s: float | None = None


class QuestionResult(_Frozen):
    id: str
    title: str
    score: float
    max_score: float
    status: Status
    checks: list[CheckResult]


class SubmissionResult(_Frozen):
    schema_: str = Field(default=SCHEMA_ID, alias="schema")
    assignment: str
    submission: str
    student: dict[str, str] = Field(default_factory=dict)
    score: float
    max_score: float
    questions: list[QuestionResult]
    warnings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # e.g. which sandbox layers were active
    timings: dict[str, float] | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def to_json(self) -> str:
        """Stable JSON: sorted keys, no timings unless they were recorded on purpose."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=False)
        if self.timings is None:
            data.pop("timings", None)
            for q in data["questions"]:
                for c in q["checks"]:
                    c.pop("timing_s", None)
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "SubmissionResult":
        return cls.model_validate_json(text)


def round_score(x: float) -> float:
    """Scores are kept to 4 decimals so sums are stable across platforms."""
    return float(round(x + 0.0, 4))


def question_status(checks: list[CheckResult]) -> Status:
    """Summarize check statuses into one question status."""
    if not checks:
        return Status.MISSING
    statuses = {c.status for c in checks}
    if statuses == {Status.PASS}:
        return Status.PASS
    if statuses == {Status.MISSING}:
        return Status.MISSING
    if statuses <= {Status.PASS, Status.MANUAL}:
        return Status.MANUAL
    got = sum(c.score for c in checks)
    if got > 0:
        return Status.PARTIAL
    if Status.ERROR in statuses:
        return Status.ERROR
    if statuses <= {Status.MISSING, Status.MANUAL}:
        return Status.MISSING if Status.MISSING in statuses else Status.MANUAL
    return Status.FAIL
