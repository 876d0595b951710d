"""Result models: what grading produces, in a stable JSON form (schema grader.result/v1).

Everything here is frozen. Reporters (terminal, JSON, HTML, Gradescope, JUnit, CSV)
read these models and never compute scores themselves.

`CheckResult.details` is free-form plain data for humans and machines, bounded in size,
depth and text when a result is built (`bounded_details`), as views and warnings are;
`CheckResult.views` are typed payloads that renderers know how to draw (a matrix grid
with wrong cells, a truth table with failing rows, curves, a table with wrong cells,
a numeric mismatch summary, the student's free text).
"""

from __future__ import annotations

import json
import math
from enum import Enum
from typing import Annotated, Any, Literal, Sequence, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer

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


# --------------------------------------------------------------------------- size bounds
# Views, messages and details may carry what a student's code returned or wrote. Checks
# refuse a value whose size differs from the expected one before building a view, so
# these bounds are a backstop: whatever reaches a result (or is read back from a results
# file), its JSON and the pages drawn from it stay small. Cutting is idempotent (a cut
# value validated again is unchanged), so results stay byte-reproducible.

MAX_TEXT = 100_000  # characters of a student's free text shown for review
MAX_MESSAGE = 10_000  # characters of a check's message
MAX_LABEL = 500  # characters of a title, label, column name or table cell
MAX_SERIES = 8  # curves in one chart
MAX_SERIES_POINTS = 2_000  # points of one curve
MAX_CELLS = 5_000  # cells of a matrix, truth table or table (its rows are cut)
MAX_CELL_TEXT = 100  # characters of one table cell
MAX_COLUMNS = 100  # columns of a matrix, truth table or table
MAX_GROUPS = 100  # mismatch groups in one view
MAX_DETAIL_ITEMS = 100  # items of one list or mapping in details
MAX_DETAIL_NODES = 2_000  # values in all of details
MAX_DETAIL_DEPTH = 8  # nesting of details
MAX_DETAIL_TEXT = 4_000  # characters of one string in details
# A figure shown on the feedback page travels in details as a data: URI of a PNG/JPEG of at
# most 128 KiB (grader.checks.figure.INLINE_MAX), base64: that string may be this long.
MAX_DETAIL_IMAGE = 175_000
_IMAGE_URI = ("data:image/png;base64,", "data:image/jpeg;base64,")


def _text_limit(text: str) -> int:
    return MAX_DETAIL_IMAGE if text.startswith(_IMAGE_URI) else MAX_DETAIL_TEXT
MAX_LINES = 200  # warnings or notes of one submission
MAX_LINE = 2_000  # characters of one warning or note


def clip_text(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, saying so and how long it was."""
    if len(text) <= limit:
        return text
    marker = f" ... (truncated: {len(text)} characters in all)"
    if len(marker) * 2 > limit:
        marker = "..."[:limit]
    return text[: limit - len(marker)] + marker


def _clip_list(items: Any, limit: int) -> Any:
    return items[:limit] if isinstance(items, (list, tuple)) and len(items) > limit else items


def _clip_rows(rows: Any, columns: int | None = None) -> Any:
    """A grid cut to MAX_COLUMNS columns and to as many rows as MAX_CELLS allows."""
    if not isinstance(rows, (list, tuple)):
        return rows
    width = columns if columns is not None else max((len(r) for r in rows[:MAX_CELLS] if isinstance(r, (list, tuple))),
                                                     default=1)
    width = max(min(width, MAX_COLUMNS), 1)
    kept = rows[: max(MAX_CELLS // width, 1)]
    return [r[:MAX_COLUMNS] if isinstance(r, (list, tuple)) else r for r in kept]


def _nonfinite(x: Any) -> bool:
    return isinstance(x, float) and not math.isfinite(x)


def _within_details(value: Any) -> bool:
    """True when `value` already keeps every bound of `bounded_details` (so a value read
    back from a results file is left exactly as it was written)."""
    count = 0
    stack = [(value, 0)]
    while stack:
        x, depth = stack.pop()
        count += 1
        if count > MAX_DETAIL_NODES or _nonfinite(x) or isinstance(x, tuple):
            return False
        if isinstance(x, str):
            if len(x) > _text_limit(x):
                return False
        elif isinstance(x, (dict, list)):
            if depth >= MAX_DETAIL_DEPTH or len(x) > MAX_DETAIL_ITEMS:
                return False
            if isinstance(x, dict):
                if any(not isinstance(k, str) or len(k) > MAX_LABEL for k in x):
                    return False
                stack.extend((v, depth + 1) for v in x.values())
            else:
                stack.extend((v, depth + 1) for v in x)
    return True


def bounded_details(value: Any) -> Any:
    """Plain data cut to a fixed size: at most MAX_DETAIL_NODES values in all, lists and
    mappings of MAX_DETAIL_ITEMS, MAX_DETAIL_DEPTH levels, strings of MAX_DETAIL_TEXT;
    what is cut is replaced by a "... N more" marker; non-finite floats become strings.
    A value within the bounds is returned unchanged, and every cut value is within them."""
    if _within_details(value):
        return value
    budget = MAX_DETAIL_NODES

    def cut(x: Any, depth: int) -> Any:  # precondition: budget >= 1; spends 1..budget
        nonlocal budget
        budget -= 1
        if isinstance(x, str):
            return clip_text(x, _text_limit(x))
        if _nonfinite(x):
            return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
        if not isinstance(x, (dict, list, tuple)):
            return x
        if len(x) and (depth + 1 >= MAX_DETAIL_DEPTH or budget < 1):
            return "..."
        is_dict = isinstance(x, dict)
        items = iter(x.items()) if isinstance(x, dict) else iter(x)
        out_d: dict[str, Any] = {}
        out_l: list[Any] = []
        total = len(x)
        for i in range(min(total, MAX_DETAIL_ITEMS)):
            left = total - i  # items not placed yet, this one included
            more = left > 1
            if (more and i == MAX_DETAIL_ITEMS - 1) or budget < (2 if more else 1):
                if budget >= 1:
                    budget -= 1
                    marker = f"... {left} more"
                    if is_dict:
                        out_d["..."] = marker
                    else:
                        out_l.append(marker)
                break
            item = next(items)
            budget -= 1 if more else 0  # keep room for a marker after this item
            if is_dict:
                k, v = item
                out_d[clip_text(str(k), MAX_LABEL)] = cut(v, depth + 1)
            else:
                out_l.append(cut(item, depth + 1))
            budget += 1 if more else 0
        return out_d if is_dict else out_l

    return cut(value, 0)


# --------------------------------------------------------------------------- views


class MatrixView(_Frozen):
    """A 2-D grid: the student's values, the expected values, and the wrong cells."""

    type: Literal["matrix"] = "matrix"
    got: list[list[float | None]]
    expected: list[list[float]]
    wrong: list[tuple[int, int]] = Field(default_factory=list)

    @field_validator("got", "expected", mode="before")
    @classmethod
    def _bound_grid(cls, v: Any) -> Any:
        return _clip_rows(v)

    @field_validator("got", mode="after")
    @classmethod
    def _finite_got(cls, v: list[list[float | None]]) -> list[list[float | None]]:
        return [[None if x is not None and not math.isfinite(x) else x for x in r] for r in v]

    @field_validator("wrong", mode="before")
    @classmethod
    def _bound_wrong(cls, v: Any) -> Any:
        return _clip_list(v, MAX_CELLS)


class TruthTableView(_Frozen):
    """Rows of a truth table; `failing` holds the indices of rows that are wrong."""

    type: Literal["truth_table"] = "truth_table"
    columns: list[str]
    rows: list[list[float | str | None]]
    failing: list[int] = Field(default_factory=list)

    @field_validator("columns", mode="before")
    @classmethod
    def _bound_columns(cls, v: Any) -> Any:
        v = _clip_list(v, MAX_COLUMNS)
        return [clip_text(c, MAX_LABEL) if isinstance(c, str) else c for c in v] if isinstance(v, list) else v

    @field_validator("rows", mode="before")
    @classmethod
    def _bound_rows(cls, v: Any) -> Any:
        v = _clip_rows(v)
        if isinstance(v, list):  # a non-finite number is shown as None, so the JSON stays valid
            v = [[None if isinstance(x, float) and not math.isfinite(x) else
                  clip_text(x, MAX_CELL_TEXT) if isinstance(x, str) else x for x in r] if isinstance(r, list) else r
                 for r in v]
        return v

    @field_validator("failing", mode="before")
    @classmethod
    def _bound_failing(cls, v: Any) -> Any:
        return _clip_list(v, MAX_CELLS)


class Series(_Frozen):
    name: str
    values: list[float | None]  # None stands for a non-finite value; at most MAX_SERIES_POINTS

    @field_validator("name", mode="before")
    @classmethod
    def _bound_name(cls, v: Any) -> Any:
        return clip_text(v, MAX_LABEL) if isinstance(v, str) else v

    @field_validator("values", mode="before")
    @classmethod
    def _bound_values(cls, v: Any) -> Any:
        v = _clip_list(v, MAX_SERIES_POINTS)
        if isinstance(v, list):
            v = [None if isinstance(x, float) and not math.isfinite(x) else x for x in v]
        return v


class CurvesView(_Frozen):
    """Curves over a common x axis (e.g. MSE per epoch), the student's beside the reference's."""

    type: Literal["curves"] = "curves"
    title: str
    x_label: str
    y_label: str
    log_y: bool = False
    series: list[Series]

    @field_validator("title", "x_label", "y_label", mode="before")
    @classmethod
    def _bound_labels(cls, v: Any) -> Any:
        return clip_text(v, MAX_LABEL) if isinstance(v, str) else v

    @field_validator("series", mode="before")
    @classmethod
    def _bound_series(cls, v: Any) -> Any:
        return _clip_list(v, MAX_SERIES)


class TableView(_Frozen):
    """A table with wrong cells marked, e.g. the Lab 2 per-layer table."""

    type: Literal["table"] = "table"
    columns: list[str]
    rows: list[list[str]]
    expected_rows: list[list[str]] = Field(default_factory=list)
    wrong: list[tuple[int, int]] = Field(default_factory=list)
    # Set where `expected_rows` are no key but another of the student's own (their table
    # beside their model): `wrong` cells then differ from it, and are drawn as differing
    # ("your table says 456"), never as wrong. Left out of the JSON when unset.
    compared_with: str | None = None

    @model_serializer(mode="wrap")
    def _omit_unset(self, handler: Any) -> Any:
        data = handler(self)
        if isinstance(data, dict) and data.get("compared_with") is None:
            data.pop("compared_with", None)
        return data

    @field_validator("columns", mode="before")
    @classmethod
    def _bound_columns(cls, v: Any) -> Any:
        v = _clip_list(v, MAX_COLUMNS)
        return [clip_text(c, MAX_LABEL) if isinstance(c, str) else c for c in v] if isinstance(v, list) else v

    @field_validator("rows", "expected_rows", mode="before")
    @classmethod
    def _bound_rows(cls, v: Any) -> Any:
        v = _clip_rows(v)
        if isinstance(v, list):
            v = [[clip_text(c, MAX_CELL_TEXT) if isinstance(c, str) else c for c in r] if isinstance(r, list) else r
                 for r in v]
        return v

    @field_validator("wrong", mode="before")
    @classmethod
    def _bound_wrong(cls, v: Any) -> Any:
        return _clip_list(v, MAX_CELLS)


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

    @field_validator("path", mode="before")
    @classmethod
    def _bound_path(cls, v: Any) -> Any:
        return clip_text(v, MAX_LABEL) if isinstance(v, str) else v

    @field_validator("max_abs_index", "max_rel_index", mode="before")
    @classmethod
    def _bound_index(cls, v: Any) -> Any:
        return _clip_list(v, 64)

    @field_validator("sample", mode="before")
    @classmethod
    def _bound_sample(cls, v: Any) -> Any:
        v = _clip_list(v, 16)
        return [tuple(clip_text(x, MAX_LABEL) if isinstance(x, str) else x for x in r) if isinstance(r, (list, tuple))
                else r for r in v] if isinstance(v, list) else v


class MismatchView(_Frozen):
    """Numeric comparison failures, one group per failed tensor/array."""

    type: Literal["mismatch"] = "mismatch"
    groups: list[MismatchGroup]

    @field_validator("groups", mode="before")
    @classmethod
    def _bound_groups(cls, v: Any) -> Any:
        return _clip_list(v, MAX_GROUPS)


class TextView(_Frozen):
    """Free text the student wrote, for manual review (always rendered escaped)."""

    type: Literal["text"] = "text"
    label: str
    text: str
    key: str | None = None  # the key's explanation, for TAs

    @field_validator("label", mode="before")
    @classmethod
    def _bound_label(cls, v: Any) -> Any:
        return clip_text(v, MAX_LABEL) if isinstance(v, str) else v

    @field_validator("text", "key", mode="before")
    @classmethod
    def _bound_text(cls, v: Any) -> Any:
        return clip_text(v, MAX_TEXT) if isinstance(v, str) else v


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

    @field_validator("message", mode="before")
    @classmethod
    def _bound_message(cls, v: Any) -> Any:
        return clip_text(v, MAX_MESSAGE) if isinstance(v, str) else v

    @field_validator("details", mode="before")
    @classmethod
    def _bound_details(cls, v: Any) -> Any:
        return bounded_details(v) if isinstance(v, dict) else v


class QuestionResult(_Frozen):
    id: str
    title: str
    score: float
    max_score: float
    status: Status
    checks: list[CheckResult]
    # A bonus question's points are not part of the assignment's `max_score` (the rubric's
    # `bonus: true`); its score still counts, up to the result's cap. Left out of the JSON
    # when false, so results of rubrics without bonus keep their bytes.
    bonus: bool = False

    @model_serializer(mode="wrap")
    def _omit_not_bonus(self, handler: Any) -> Any:
        data = handler(self)
        if isinstance(data, dict) and not data.get("bonus"):
            data.pop("bonus", None)
        return data


class SubmissionResult(_Frozen):
    schema_: str = Field(default=SCHEMA_ID, alias="schema")
    assignment: str
    submission: str
    student: dict[str, str] = Field(default_factory=dict)
    score: float
    max_score: float
    questions: list[QuestionResult]
    warnings: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # for everyone: skipped notebook magics, a folder descended into
    # For the course staff only: which isolation layers were missing and why (interpreter
    # paths, kernel features). Renderers for students show at most one plain line instead
    # (grader.report.audience); omitted from the JSON when empty.
    staff_notes: list[str] = Field(default_factory=list)
    timings: dict[str, float] | None = None
    # Set where the rubric has bonus questions or a cap (`Rubric.score_cap`): `earned` is
    # every question's points added up, bonus included, and `score` is that capped at
    # `cap`. Both are left out of the JSON when unset (rubrics without bonus keep their bytes).
    cap: float | None = None
    earned: float | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_serializer(mode="wrap")
    def _omit_uncapped(self, handler: Any) -> Any:
        data = handler(self)
        if isinstance(data, dict):
            for key in ("cap", "earned"):
                if data.get(key) is None:
                    data.pop(key, None)
        return data

    @property
    def capped(self) -> bool:
        """True when the cap took points off (more was earned than the cap allows)."""
        return self.cap is not None and self.earned is not None and self.earned > self.score

    @property
    def cap_note(self) -> str | None:
        """The cap in plain words ("capped at 100: 103 earned") when it took points off."""
        if not self.capped or self.cap is None or self.earned is None:
            return None
        return f"capped at {self.cap:g}: {self.earned:g} earned"

    def with_questions(self, questions: list[QuestionResult]) -> "SubmissionResult":
        """This result with `questions` in place of its own and the total counted again
        under the same cap (after a TA's scores, or with hidden checks left out)."""
        return self.model_copy(update={"questions": questions, **tally(questions, cap=self.cap)})

    @field_validator("warnings", "notes", "staff_notes", mode="before")
    @classmethod
    def _bound_lines(cls, v: Any) -> Any:
        if not isinstance(v, (list, tuple)):
            return v
        lines = [clip_text(x, MAX_LINE) if isinstance(x, str) else x for x in v[:MAX_LINES]]
        if len(v) > MAX_LINES:
            lines[-1] = f"... and {len(v) - MAX_LINES + 1} more"
        return lines

    def to_json(self) -> str:
        """Stable JSON: sorted keys, no timings unless they were recorded on purpose."""
        data = self.model_dump(mode="json", by_alias=True, exclude_none=False)
        if not data.get("staff_notes"):
            data.pop("staff_notes", None)  # the same bytes as before the field existed
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


def fmt_points(x: float | None) -> str:
    """Points as the grader keeps them (`round_score`: 4 decimals), written plainly: no
    trailing zeros, no exponent, no "-0"; None is "". One rule for every report that
    writes a score as text (the CSV, Gradescope's output)."""
    if x is None:
        return ""
    text = f"{round(x + 0.0, 4):.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def tally(questions: Sequence[QuestionResult], *, cap: float | None) -> dict[str, Any]:
    """The result's `score` (and, under a cap, `cap` and `earned`) from its questions: the
    one place the total is counted. Every question counts, bonus included; with a `cap`
    the score is at most the cap, and `earned` keeps what was earned before it. Without
    a cap the only key is `score` (results of rubrics without bonus are unchanged)."""
    earned = round_score(sum(q.score for q in questions))
    if cap is None:
        return {"score": earned}
    return {"score": round_score(min(earned, cap)), "cap": round_score(cap), "earned": earned}


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
