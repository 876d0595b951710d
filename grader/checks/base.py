"""What every check kind shares: the common spec fields and the context a check reads.

A check module (`grader/checks/<kind>.py`) defines
  - `Spec`: a pydantic model subclassing `CheckSpecBase` with `kind: Literal["<kind>"]`
  - `grade(spec: Spec, ctx: CheckContext) -> CheckOutcome`
and nothing else that grading depends on. Checks are pure: they never print, never touch
files, never read globals. They receive everything through `ctx`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from grader.results import Status, View


class Missing:
    """Sentinel for an answer (or probe output) that is not there."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def __repr__(self) -> str:
        return f"Missing({self.reason!r})"


class MistakeUse(BaseModel):
    """A known mistake (a variant in the rubric's `mistakes` file) that this check names in
    its feedback when a student's failing output matches it. `credit` (a share of the
    check's points) makes it an accepted convention: 1.0 grades it as right; without
    `credit` the diagnosis never changes the score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z_][\w]*$", description="the mistake's name in the rubric's `mistakes` file (MISTAKES)")
    credit: float | None = Field(default=None, ge=0, le=1, description=(
        "a share of the check's points given when the output matches this mistake (an accepted convention); "
        "without it the diagnosis is only named in the feedback"))


class CheckSpecBase(BaseModel):
    """Fields every check has. Sources: `answer` (a dotted path into the answers file) or
    `code` ("lab1.py:closed_form", the student file and function the probe exercises) with
    `probe` (the probe function's name in the assignment's probes module) and `args`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(description="the check's id, unique within its question (results name it <question>.<id>)")
    points: float = Field(ge=0, description="what the check is worth; a question's checks add up to its points")
    visibility: Literal["public", "hidden"] = Field("public", description=(
        "public: students see the message (and the student kit runs it); hidden: students see only the points"))
    hint: str | None = Field(None, description="a line shown to the student under a failed check")
    answer: str | None = Field(None, description="dotted path of the student's answer in the answers file, e.g. q2.zero_fraction")
    code: str | None = Field(default=None, pattern=r"^[A-Za-z_][\w]*\.(py|ipynb):[A-Za-z_][\w]*$", description=(
        "the student's file and function the probe exercises, e.g. \"lab1.py:closed_form\" (named in messages)"))
    probe: str | None = Field(None, description="the probe function (in the pack's probes.py) run on both sides for a code check")
    args: dict[str, Any] = Field(default_factory=dict, description=(
        "keyword arguments of the probe call when grading (seeds, shapes, data sets); {ref: ...} values are read "
        "from the reference"))
    # The inputs of a code check in the student kit, in place of `args`: public inputs that
    # grading does not use (other seeds, data sets, shapes). A code check without them is
    # left out of the kit, whose expected outputs are the reference's on these inputs only.
    public_args: dict[str, Any] | None = Field(None, description=(
        "the probe's arguments in the student kit: public inputs that grading does not use; without them the "
        "check is left out of the kit"))
    select: str | None = Field(None, description="dotted path into the probe's (or oracle's) output, e.g. w or grads.fc1.weight")
    rtol: float | None = Field(default=None, ge=0, description="relative tolerance (with atol); default: the table by dtype and device")
    atol: float | None = Field(default=None, ge=0, description="absolute tolerance (with rtol)")
    limits: dict[str, float] | None = Field(None, description="sandbox limits for this check's probe call (wall_s, memory_mb, ...)")
    # An oracle of the assignment (a function in the rubric's `oracles` file) that derives
    # the compared value from the probe's plain output in the grader's process, applied to
    # the student's output and to the reference's: what must not be computed where the
    # student's code runs (gradients, parameter and MAC counts) is computed there.
    oracle: str | None = Field(default=None, pattern=r"^[A-Za-z_][\w]*$", description=(
        "a function of the pack's oracles.py deriving the compared value from the probe's output, in the grader's "
        "process (never where the student's code runs)"))
    # Where a code check's expected value comes from: the reference's probe output, or the
    # student's own answer at `answer` (what they reported against what their code does,
    # e.g. a parameter count against their own model's).
    expected_from: Literal["reference", "answer"] = Field("reference", description=(
        "compare the student's code with the reference's output, or with the student's own `answer`"))
    # Known mistakes named in the feedback of this check (grader side only, never in a kit).
    mistakes: list[MistakeUse] = Field(default_factory=list, description=(
        "known mistakes (the pack's mistakes.py) named in the feedback when a failing output matches one"))

    @model_validator(mode="after")
    def _tolerance_pair(self) -> "CheckSpecBase":
        if (self.rtol is None) != (self.atol is None):
            raise ValueError("rtol and atol are given together or not at all")
        if self.code is not None and self.probe is None:
            raise ValueError("a code check needs `probe` (the probe function that exercises it)")
        if self.public_args is not None and self.code is None:
            raise ValueError("`public_args` are the inputs of a code check in the student kit: this check has no `code`")
        if self.oracle is not None and self.code is None:
            raise ValueError("`oracle` derives from a probe's output: it needs `code` and `probe`")
        if self.expected_from == "answer" and (self.answer is None or self.code is None):
            raise ValueError("expected_from: answer compares the student's code with their answer: it needs `code` and `answer`")
        if self.mistakes and self.expected_from == "answer":
            raise ValueError("`mistakes` compare with the reference: a check graded against the student's own answer has none")
        names = [m.name for m in self.mistakes]
        if len(set(names)) != len(names):
            raise ValueError(f"`mistakes` name a mistake twice: {names}")
        return self

    @property
    def source_label(self) -> str | None:
        if self.answer:
            return f"answers:{self.answer}"
        if self.code:
            return f"code:{self.code}"
        return None


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float


@dataclass(frozen=True)
class ProbeOutput:
    """What the sandbox brought back for one probe call, already validated as plain data.

    `status` is "ok" or a failure ("error", "timeout", "memory", "crashed", "missing",
    "bad_output"); on failure `message` says what happened in the student's terms."""

    status: str
    value: Any = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckContext:
    """Everything a check may read. Built by the engine per (check, submission)."""

    answer: Any  # the value at spec.answer, or a Missing
    answer_line: int | None  # line of that value in the answers file, when known
    answers_file: str | None  # e.g. "answers.yaml"
    answers_error: str | None  # set when the answers file could not be read at all
    expected: Any  # the reference's value (answers checks: resolved `expected`; code: probe on reference)
    actual: ProbeOutput | None  # the student's probe output (code checks)
    tolerance: Tolerance  # resolved from the spec, or the table default
    device: str = "cpu"
    files: tuple[str, ...] = ()  # names of files in the submission (relative paths)
    file_bytes: Callable[[str], bytes] | None = None  # reads one of `files`, size-capped


@dataclass(frozen=True)
class CheckOutcome:
    """A check's verdict: the engine turns it into a CheckResult with id, max_score, etc."""

    status: Status
    fraction: float  # share of the check's points earned, 0..1
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    views: list[View] = field(default_factory=list)


def outcome(status: Status, message: str, fraction: float | None = None, **kw: Any) -> CheckOutcome:
    if fraction is None:
        fraction = 1.0 if status == Status.PASS else 0.0
    return CheckOutcome(status=status, fraction=fraction, message=message, **kw)


def plain(x: Any) -> Any:
    """Make a value JSON-safe and deterministic: non-finite floats become strings."""
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return x
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    return x


_PROBE_STATUS = {
    "missing": Status.MISSING,
    "skipped": Status.ERROR,
    "timeout": Status.ERROR,
    "memory": Status.ERROR,
    "crashed": Status.ERROR,
    "error": Status.ERROR,
    "bad_output": Status.ERROR,
    "rejected": Status.FAIL,  # an oracle found the output does not make sense (its message says why)
}


def where(ctx: CheckContext, path: str | None) -> str:
    """'answers.yaml:14 problem2.q2_2.w' — where a student answer lives."""
    name = ctx.answers_file or "answers"
    line = f":{ctx.answer_line}" if ctx.answer_line else ""
    return f"{name}{line} {path}" if path else f"{name}{line}"


def precheck(spec: CheckSpecBase, ctx: CheckContext) -> CheckOutcome | None:
    """The verdicts every check shares: unreadable answers file, answer not given, the
    student's code failed to produce a value. None when the check should look further."""
    if spec.answer is not None:
        if ctx.answers_error is not None:
            return outcome(Status.ERROR, f"answers file unreadable: {ctx.answers_error}")
        if isinstance(ctx.answer, Missing):
            return outcome(Status.MISSING, f"not submitted: {spec.answer} {ctx.answer.reason}".strip())
    if spec.code is not None:
        out = ctx.actual
        if out is None:
            return outcome(Status.ERROR, f"{spec.code} was not run")
        if out.status != "ok":
            status = _PROBE_STATUS.get(out.status, Status.ERROR)
            message = out.message or out.status
            file = spec.code.split(":")[0].rsplit(".", 1)[0]
            if status != Status.MISSING and file not in message:
                message = f"{spec.code}: {message}"  # name the student's file and function
            return outcome(status, message, details=plain(out.details))
    return None


def get_path(value: Any, path: str | None) -> Any:
    """Follow a dotted path ("grads.fc3.bias" does not split names with dots if the key
    exists whole) into nested dicts/lists; Missing when absent."""
    if not path:
        return value
    cur = value
    parts = path.split(".")
    i = 0
    while i < len(parts):
        if isinstance(cur, dict):
            # allow keys that themselves contain dots (parameter names like "fc3.bias")
            for j in range(len(parts), i, -1):
                key = ".".join(parts[i:j])
                if key in cur:
                    cur = cur[key]
                    i = j
                    break
            else:
                return Missing(f"(no '{parts[i]}')")
        elif isinstance(cur, list) and parts[i].isdigit() and int(parts[i]) < len(cur):
            cur = cur[int(parts[i])]
            i += 1
        else:
            return Missing(f"(no '{parts[i]}')")
    return cur
