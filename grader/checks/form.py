"""`form`: an answers-file value has the right form (it parses, has the right keys and
shape, its numbers are finite), never whether it is right.

The student kit grades answers with this kind only: it is built from the course's checks
with everything but the form left out, so the kit holds no expected answer. The form is
plain data, checked against the value it describes (the form drives the walk, so a deep
or huge value costs no more than the form allows):

    {type: boolean}                    true or false (also the strings `choice` accepts)
    {type: text}                       a non-empty string
    {type: number}                     one finite number
    {type: numbers, shape: [5, 9]}     a (nested) list of finite numbers of that shape;
                                       without `shape`, any non-empty list of them
    {type: mapping, keys: {w: ...}, optional: {truth_table: ...}}
                                       a mapping with exactly these keys (optional ones may
                                       be left out)
    {type: mapping, rows: 5, each: {...}}
                                       a mapping of that many entries named as the student
                                       likes, each of the form `each` (a layer table)
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome, precheck, where
from grader.checks.choice import as_bool
from grader.compare import NotNumeric, describe, to_number
from grader.results import Status

MAX_ITEMS = 10_000  # numbers of a list without a fixed shape: more is not an answer
_MAX_SHOWN = 4  # problems named in one message


class Form(BaseModel):
    """The form of one answers value (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["boolean", "text", "number", "numbers", "mapping"] = Field(description="what kind of value")
    shape: list[int] | None = Field(None, description="numbers: the exact shape, e.g. [3] or [5, 9]")
    keys: dict[str, "Form"] | None = Field(None, description="mapping: the keys it must have, each with its form")
    optional: dict[str, "Form"] | None = Field(None, description="mapping: keys it may have")
    rows: int | None = Field(None, ge=1, le=1000, description="mapping with entries named freely: how many")
    each: "Form | None" = Field(None, description="mapping with entries named freely: the form of each")

    @model_validator(mode="after")
    def _fields_of_type(self) -> "Form":
        if self.shape is not None and (self.type != "numbers" or any(d < 1 for d in self.shape) or math.prod(self.shape) > MAX_ITEMS):
            raise ValueError("`shape` is for numbers: positive sizes, at most 10000 numbers in all")
        mapping_fields = (self.keys, self.optional, self.rows, self.each)
        if self.type != "mapping" and any(f is not None for f in mapping_fields):
            raise ValueError("`keys`, `optional`, `rows` and `each` are for a mapping")
        if self.type == "mapping" and (self.keys is None) == (self.each is None):
            raise ValueError("a mapping form gives `keys` (named entries) or `each` (entries named freely), not both")
        if (self.rows is None) != (self.each is None):
            raise ValueError("`rows` and `each` are given together")
        return self

    def describe(self) -> str:
        """The form in words, for messages."""
        if self.type == "boolean":
            return "true or false"
        if self.type == "text":
            return "text"
        if self.type == "number":
            return "a number"
        if self.type == "numbers":
            if not self.shape:
                return "a list of numbers"
            if len(self.shape) == 1:
                return f"a list of {self.shape[0]} numbers"
            return f"{self.shape[0]} rows of {' x '.join(map(str, self.shape[1:]))} numbers"
        if self.each is not None:
            return f"{self.rows} entries, each {self.each.describe()}"
        if self.keys:
            return f"a mapping with keys {', '.join(self.keys)}"
        return f"a mapping with one or more of the keys {', '.join(self.optional or {})}"


class Spec(CheckSpecBase):
    kind: Literal["form"]
    form: Form = Field(description="the form the answer must have (the student kit's answers checks)")


def _show(value: Any) -> str:
    """`describe`, cut short: a student's value is never printed whole."""
    text = describe(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _join(path: str, key: str) -> str:
    key = key if len(key) <= 40 else key[:37] + "..."  # a student's key name, cut short too
    return f"{path}.{key}" if path else key


def _numbers(value: Any, shape: list[int] | None, path: str, problems: list[str]) -> None:
    """Problems of a nested list of finite numbers of `shape` (any, when None)."""
    count = [0]

    def walk(v: Any, dims: list[int] | None, p: str) -> None:
        if len(problems) >= _MAX_SHOWN:
            return
        if dims == [] or (dims is None and not isinstance(v, (list, tuple))):
            count[0] += 1
            if count[0] > MAX_ITEMS:
                problems.append(f"{path}: more than {MAX_ITEMS} numbers")
                return
            try:
                x = to_number(v)
            except (NotNumeric, OverflowError, ValueError, TypeError):
                problems.append(f"{p}: expected a number, got {_show(v)}")
                return
            if not math.isfinite(x):
                problems.append(f"{p}: {_show(v)} is not a finite number")
            return
        if not isinstance(v, (list, tuple)):
            problems.append(f"{p}: expected a list of {dims[0] if dims else 'some'} items, got {_show(v)}")
            return
        if dims is not None and len(v) != dims[0]:
            problems.append(f"{p}: expected {dims[0]} items, got {len(v)}")
            return
        if dims is None and (not v or len(v) > MAX_ITEMS):
            problems.append(f"{p}: expected a non-empty list of numbers, got {len(v)} items")
            return
        for i, item in enumerate(v):
            walk(item, dims[1:] if dims is not None else None, f"{p}[{i}]")

    walk(value, None if shape is None else list(shape), path)


def problems_of(value: Any, form: Form, path: str) -> list[str]:
    """What is wrong with the form of `value` (at most a few), [] when it is right."""
    problems: list[str] = []
    if value is None:
        return [f"{path}: no value"]
    if form.type == "boolean":
        if as_bool(value) is None:
            problems.append(f"{path}: expected true or false, got {_show(value)}")
    elif form.type == "text":
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{path}: expected text, got {_show(value)}")
    elif form.type == "number":
        _numbers(value, [], path, problems)
    elif form.type == "numbers":
        _numbers(value, form.shape, path, problems)
    elif not isinstance(value, dict):
        problems.append(f"{path}: expected {form.describe()}, got {_show(value)}")
    elif form.each is not None:
        if len(value) != form.rows:
            problems.append(f"{path}: expected {form.rows} entries, got {len(value)}")
        else:
            for key, item in value.items():
                problems += problems_of(item, form.each, _join(path, str(key)))
                if len(problems) >= _MAX_SHOWN:
                    break
    else:
        keys, optional = form.keys or {}, form.optional or {}
        given = [str(k) for k in value]
        missing = [k for k in keys if k not in value]
        unknown = [k for k in given if k not in keys and k not in optional]
        if missing:
            problems.append(f"{path}: missing {', '.join(missing)}")
        if not keys and not any(k in value for k in optional):
            problems.append(f"{path}: none of {', '.join(optional)} is given")
        if unknown:
            shown = ", ".join(_show(k) for k in unknown[:_MAX_SHOWN])
            problems.append(f"{path}: unexpected key(s) {shown}; expected {', '.join([*keys, *optional])}")
        for key, sub in [*keys.items(), *optional.items()]:
            if key in value and len(problems) < _MAX_SHOWN:
                problems += problems_of(value[key], sub, _join(path, key))
    return problems[:_MAX_SHOWN]


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    pre = precheck(spec, ctx)
    if pre is not None:
        return pre
    found = problems_of(ctx.answer, spec.form, spec.answer or "answer")
    if found:
        return outcome(Status.FAIL, f"{where(ctx, None)}: " + "; ".join(found))
    return outcome(Status.PASS, f"{spec.answer}: the form asked for ({spec.form.describe()}); "
                                "whether it is right is checked only when the course grades your work")


Form.model_rebuild()
