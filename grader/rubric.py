"""Rubric files: schema (pydantic 2), loading with YAML line numbers, and compilation into a
frozen grading plan.

A rubric that does not validate is rejected before any student code runs, with the file,
the YAML line and the field: `assignments/NAME/rubric.yaml:42 questions[3].checks[0].rtol: ...`.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import importlib
import importlib.util
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping

from grader.late import LatePolicy
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from grader.checks import REGISTRY, AnyCheck, check_union, kind_name, registry
from grader.checks.base import CheckSpecBase
from grader.writeup.hints import QuestionWriteup, WriteupSettings
from grader.sandbox import Limits
from grader.sandbox._child.nbprobes import PREFIX as NOTEBOOK_PROBE_PREFIX  # the built-in notebook probes' names
from grader.packs import folder_package, module_name

RUBRIC_SCHEMA = "grader.rubric/v1"
_ID = r"^[A-Za-z][\w]*(\.[A-Za-z0-9_]+)*$"


class RubricError(Exception):
    """What the instructor got wrong in a rubric or a reference: one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


_LIMITS = Limits()


class GradescopeSettings(BaseModel):
    """How results.json shows this assignment on Gradescope (`grader.report.gradescope`).

    Gradescope records one score per submission, and a student who sees the total and
    the visible tests can subtract: the points of the hidden checks, before release.
    `total_before_release` chooses what a student sees until grades are published:
    `hidden`: the whole result is released with the grades (Gradescope's top-level
    `visibility`), each public check's test stays visible; `public`: hidden checks are
    left out and the score is the public checks' total, until the course builds the
    package with `--released` and regrades every submission (Gradescope's "Regrade all
    submissions"); `shown`: the total is visible at once (no hidden checks to protect)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    total_before_release: Literal["hidden", "public", "shown"] = Field(
        "hidden", description="what a student sees of the total before grades are published: hidden, the public checks' "
        "total (public), or the total (shown)")
    hidden_visibility: Literal["hidden", "after_due_date", "after_published"] = Field(
        "after_published", description="Gradescope visibility of hidden checks' tests (and of the result when the total is hidden)")


class SandboxLimits(BaseModel):
    """Per-assignment defaults for the student-code sandbox (a check may override)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # the defaults are the sandbox's own (grader.sandbox.Limits), defined there once
    wall_s: float = Field(_LIMITS.wall_s, gt=0, le=600, description="wall-clock seconds per probe call")
    cpu_s: float = Field(_LIMITS.cpu_s, gt=0, le=1200, description="CPU seconds per probe call")
    memory_mb: int = Field(_LIMITS.memory_mb, ge=256, le=65536, description="address space of the student's process, in MiB")
    file_size_mb: int = Field(_LIMITS.file_size_mb, ge=1, le=1024, description="largest file the student's code may write, in MiB")
    nproc: int = Field(_LIMITS.nproc, ge=1, le=4096, description="processes and threads the student's code may have")
    nofile: int = Field(_LIMITS.nofile, ge=16, le=4096, description="files the student's code may have open")
    output_bytes: int = Field(_LIMITS.output_bytes, ge=1000, le=10_000_000, description="stdout/stderr kept (shown truncated)")
    first_try_s: float | None = Field(
        None, gt=0, le=600, description="class mode only: the wall-clock seconds a call gets on its first try; a "
        "submission with a call still running then is provisional and is graded again with the full wall_s by the "
        "next run of the same command. Default: a fifth of the call's wall_s, at least 2 s (never more than its wall_s)")


# What the zygote imports for every child when a rubric lists these packages and says
# nothing of `preimport`: the modules students of a scientific course import at the top.
HEAVY_MODULES: dict[str, tuple[str, ...]] = {
    "matplotlib": ("matplotlib.pyplot",),
    "mpl_toolkits": ("mpl_toolkits.mplot3d",),
    "scipy": ("scipy.io", "scipy.optimize", "scipy.linalg", "scipy.stats"),
    "pandas": ("pandas",),
    "sklearn": ("sklearn.linear_model", "sklearn.model_selection", "sklearn.preprocessing", "sklearn.metrics"),
    "PIL": ("PIL.Image",),
}
_TOP_NAME = r"^[A-Za-z_][\w]*$"
_MODULE_NAME = r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*$"


class Environment(BaseModel):
    """The students' environment: the top-level packages student code may import (the
    standard library always), and what the sandbox imports once for every child."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    packages: list[str] = Field(min_length=1, description="top-level packages student code may import, e.g. numpy, torch, "
                                "matplotlib, mpl_toolkits, scipy, pandas, sklearn; an import of any other says so by name")
    preimport: list[str] | None = Field(None, description="modules imported once in the sandbox's zygote so that no child "
                                        "pays for them; default: the heavy ones of `packages` (matplotlib.pyplot, scipy.io, pandas, ...)")

    @field_validator("packages")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        bad = [p for p in v if not re.match(_TOP_NAME, p)]
        if bad:
            raise ValueError(f"packages are top-level import names (sklearn, not scikit-learn; scipy, not scipy.io): {bad}")
        return v

    @model_validator(mode="after")
    def _preimports_declared(self) -> Environment:
        for name in self.preimport or []:
            if not re.match(_MODULE_NAME, name):
                raise ValueError(f"preimport {name!r} is not a module name")
            if name.split(".")[0] not in self.packages and name.split(".")[0] not in ("numpy", "torch"):
                raise ValueError(f"preimport {name!r} is not in `packages`")
        return self

    def modules_to_preimport(self) -> list[str]:
        if self.preimport is not None:
            return list(self.preimport)
        return [m for p in self.packages for m in HEAVY_MODULES.get(p, ())]


class NotebookMode(BaseModel):
    """A student module graded by executing its notebook cell by cell (see
    grader/sandbox/_child/notebook.py): limits per cell and for the whole notebook, and the
    absolute folders (a Colab drive) whose paths mean the working folder."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cell_wall_s: float = Field(60.0, gt=0, le=600, description="wall-clock seconds for one cell")
    cell_memory_mb: int | None = Field(None, ge=64, le=65536, description="memory one cell may add (default: the call's memory_mb)")
    wall_s: float = Field(600.0, gt=0, le=3600, description="wall-clock seconds for the whole notebook")
    path_aliases: list[str] | None = Field(None, description="absolute folders read as the working folder "
                                           "(default: /content/drive/MyDrive, /content/drive/My Drive, /content, /kaggle/input, /kaggle/working)")
    max_figures: int = Field(20, ge=0, le=100, description="figures kept from one run")
    files: list[str] | None = Field(None, description="other names the student's notebook may have, as case-insensitive "
                                    "patterns of a top-level file (\"*lab1*.ipynb\"); <module>.ipynb and <module>.py come first")

    @field_validator("path_aliases")
    @classmethod
    def _absolute(cls, v: list[str] | None) -> list[str] | None:
        for alias in v or []:
            if not alias.startswith("/") or alias.rstrip("/") == "" or "\x00" in alias:
                raise ValueError(f"path alias {alias!r}: an absolute folder such as /content/drive/MyDrive")
        return v

    @field_validator("files")
    @classmethod
    def _patterns(cls, v: list[str] | None) -> list[str] | None:
        for pattern in v or []:
            if "/" in pattern or not pattern.strip() or not pattern.lower().endswith((".ipynb", ".py", "*")):
                raise ValueError(f"file pattern {pattern!r}: a top-level file name pattern ending in .ipynb or .py")
        return v

    def plain(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)

class ServiceSettings(BaseModel):
    """How `grade serve` takes this assignment's submissions (ignored by the CLI and class mode)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_upload_mb: float = Field(20.0, gt=0, le=1024, description="largest upload accepted (archive, files, notebook "
                                 "or write-up together), in MiB; a larger one is answered 413 before it is read")
    submissions_per_hour: int = Field(30, ge=1, le=10_000, description="submissions one student may make in any "
                                      "hour; more are answered 429 with the time to wait")
    deadline: datetime.datetime | None = Field(None, description="when submissions are due (ISO 8601 with a time zone); "
                                               "later ones are accepted and flagged late")
    cutoff: datetime.datetime | None = Field(None, description="when submissions close (ISO 8601 with a time zone; "
                                             "at or after the deadline); later ones are refused")

    @model_validator(mode="after")
    def _times(self) -> "ServiceSettings":
        for name in ("deadline", "cutoff"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} {value.isoformat()} has no time zone: write e.g. {value.isoformat()}Z or +02:00")
        if self.deadline is not None and self.cutoff is not None and self.cutoff < self.deadline:
            raise ValueError("cutoff is before the deadline")
        return self


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID, description="the question's id, e.g. problem2.q2_3 or q1 (results, reviews and exports use it)")
    title: str = Field(description="what the student sees as the question's name")
    points: float = Field(ge=0, description="what the question is worth: its checks' points add up to it")
    checks: list[AnyCheck] = Field(min_length=1, description="the checks that grade it (a `kind` each)")
    writeup: QuestionWriteup | None = Field(None, description="how this question shows in a write-up (headings, statement, choices)")
    bonus: bool = Field(False, description="a bonus question: its points are not part of the rubric's `total`; what a "
                        "student earns on it counts, up to the rubric's `cap`")

    @model_validator(mode="after")
    def _points_add_up(self) -> "Question":
        ids = [c.id for c in self.checks]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"check ids repeat within the question: {dup}")
        total = round(sum(c.points for c in self.checks), 6)
        if abs(total - self.points) > 1e-6:
            raise ValueError(f"the checks' points add up to {total:g}, but the question is worth {self.points:g}")
        return self


class Rubric(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: Literal["grader.rubric/v1"] = Field(alias="schema", description="the rubric format: grader.rubric/v1")
    assignment: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", description="the assignment's name: its pack folder's name")
    title: str = Field(description="the assignment's title, shown on every result")
    reference: str | None = Field(None, pattern=r"^[A-Za-z_]\w*(/[A-Za-z_]\w*)*/?$", description=(
        "folder of the instructor's solutions, relative to the rubric file (a pack's `reference`): a Python package "
        "folder, imported in the grader's process only; `{ref: module.NAME}` values and the probes' "
        "`ctx.module(name)` read its modules"))
    # A rubric shipped without its reference (a student kit): `files` is the folder
    # (relative to the rubric file) holding the probes and support files, and `frozen` the
    # file of the reference's probe outputs, used instead of running the reference.
    files: str | None = Field(None, description="folder of probes and support files, relative to the rubric file (instead of `reference`: "
                              "a student kit's rubric)")
    frozen: str | None = Field(None, description="frozen expected probe outputs (grade student-kit), relative to the rubric file")
    probes: str = Field("probes.py", pattern=r"^[A-Za-z_]\w*(/[A-Za-z_]\w*)*\.py$", description=(
        "file of the probe functions, relative to the pack's folder: trusted code run on the reference (grader's "
        "process) and on the student's code (sandbox, loaded by path: it imports nothing of the pack)"))
    oracles: str | None = Field(None, pattern=r"^[A-Za-z_]\w*(/[A-Za-z_]\w*)*\.py$", description=(
        "file of the oracles (checks' `oracle`), relative to the pack's folder: run in the grader's process only, "
        "never shipped to the sandbox or a student kit"))
    mistakes: str | None = Field(None, pattern=r"^[A-Za-z_]\w*(/[A-Za-z_]\w*)*\.py$", description=(
        "file of the known mistakes (checks' `mistakes`), relative to the pack's folder: variants of the reference "
        "run in the grader's process only, never shipped"))
    kinds: list[str] = Field(default_factory=list, description=(
        "the pack's own check kinds: `kinds: [bn_table]` imports kinds/bn_table.py of the pack's folder, which "
        "defines `Spec` (kind: Literal['bn_table']) and `grade(spec, ctx)` like the engine's kinds"))
    support_files: dict[str, str] = Field(default_factory=dict, description=(
        "files the student's code sees beside it: name seen by student code -> path relative to the pack's folder "
        "(e.g. scaffold.py: support/scaffold.py)"))
    limits: SandboxLimits = Field(SandboxLimits(), description="sandbox limits of every probe call (a check may lower them)")
    environment: Environment | None = Field(None, description="the students' environment (packages their code may import)")
    notebooks: dict[str, NotebookMode] = Field(default_factory=dict, description="student modules graded by running their "
                                               "notebook cell by cell (module name -> limits); checks use probe notebook.value ...")
    seed: int = Field(0, ge=0, lt=2**32, description="seeds random, numpy's global RNG and torch before each probe call, on both sides: "
                      "a submission whose code draws unseeded random numbers gets the same result on every run, in any class order")
    total: float | None = Field(None, description="the assignment's total: the questions' points must add up to it")
    cap: float | None = Field(None, gt=0, description="the most a submission can score, bonus included (default: the "
                              "total, where there are bonus questions); between the total and the total plus the bonus points")
    answer_keys: list[str] = Field(default_factory=list, description="answers-file keys accepted though no check reads them")
    gradescope: GradescopeSettings = Field(GradescopeSettings(), description="what Gradescope's results.json shows "
                                           "students before grades are published")
    late: LatePolicy | None = Field(None, description="deadline, grace period and late penalty, applied in class mode "
                                    "(grader.late); a course file given with --late wins")
    course_total: float | None = Field(None, ge=0, description="a student kit's: the points the course grades out of "
                                       "(its hidden checks and grading inputs are not in the kit, so the kit's total is less)")
    notice: str | None = Field(None, max_length=200, description="a line every result graded with this rubric shows first "
                               "(a student kit's: public checks only, not a grade)")
    writeup: WriteupSettings = Field(default_factory=WriteupSettings, description="how write-ups (reports) are read")
    service: ServiceSettings = Field(default_factory=ServiceSettings, description="upload size, rate limit and deadline "
                                     "of `grade serve` for this assignment")
    questions: list[Question] = Field(min_length=1, description="the questions, in the order results list them")

    @field_validator("kinds")
    @classmethod
    def _kind_names(cls, v: list[str]) -> list[str]:
        for name in v:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise ValueError(f"kind {name!r}: a module name in kinds/ (lowercase letters, digits, _)")
        return v

    @field_validator("support_files")
    @classmethod
    def _safe_names(cls, v: dict[str, str]) -> dict[str, str]:
        for name, rel in v.items():
            if "/" in name or name.startswith(".") or ".." in Path(rel).parts or Path(rel).is_absolute():
                raise ValueError(f"support file {name!r} -> {rel!r}: names are plain file names, paths stay inside the package")
        return v

    @field_validator("notebooks")
    @classmethod
    def _notebook_names(cls, v: dict[str, NotebookMode]) -> dict[str, NotebookMode]:
        bad = [k for k in v if not re.match(_TOP_NAME, k)]
        if bad:
            raise ValueError(f"notebooks are named by module (lab1 for lab1.ipynb): {bad}")
        return v

    @model_validator(mode="after")
    def _reference_or_files(self) -> "Rubric":
        if (self.reference is None) == (self.files is None):
            raise ValueError("give exactly one of `reference` (the folder of the instructor's solutions) and `files` "
                             "(a student kit's folder of probes)")
        for name in ("files", "frozen", "reference"):
            value = getattr(self, name)
            if value is not None and Path(value).is_absolute():
                raise ValueError(f"`{name}` is a path relative to the rubric file, got {value!r}")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> "Rubric":
        ids = [q.id for q in self.questions]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"question ids repeat: {dup}")
        bonus = [q.id for q in self.questions if q.bonus]
        if self.total is not None:
            s = self.regular_total
            if abs(s - self.total) > 1e-6:
                counted = f" (bonus questions {', '.join(bonus)} not counted)" if bonus else ""
                raise ValueError(f"the questions' points add up to {s:g}{counted}, but total is {self.total:g}")
        if self.cap is not None:
            low, high = self.regular_total, round(self.regular_total + self.bonus_total, 6)
            if not low - 1e-6 <= self.cap <= high + 1e-6:
                raise ValueError(f"cap {self.cap:g} is outside {low:g} (the total) to {high:g} (the total plus the "
                                 "bonus points)")
        return self

    @property
    def regular_total(self) -> float:
        """The points of the questions that are not bonus: what a result is out of."""
        return round(sum(q.points for q in self.questions if not q.bonus), 6)

    @property
    def bonus_total(self) -> float:
        """The points of the bonus questions."""
        return round(sum(q.points for q in self.questions if q.bonus), 6)

    @property
    def score_cap(self) -> float | None:
        """The most a submission scores: `cap`, else the total where there are bonus
        questions; None (no cap) for a rubric without either."""
        if self.cap is not None:
            return self.cap
        return self.regular_total if any(q.bonus for q in self.questions) else None


@functools.cache
def rubric_model(extra: tuple[ModuleType, ...] = ()) -> type[Rubric]:
    """The rubric model whose checks may be of the engine's kinds or of `extra` (a pack's
    kind modules): the same fields, a wider discriminated union."""
    if not extra:
        return Rubric
    union = check_union(extra)
    question = type("Question", (Question,), {"__annotations__": {"checks": list[union]},  # type: ignore[valid-type]
                                              "checks": Field(min_length=1, description=Question.model_fields["checks"].description),
                                              "__module__": __name__})
    return type("Rubric", (Rubric,), {"__annotations__": {"questions": list[question]},  # type: ignore[valid-type]
                                      "questions": Field(min_length=1, description=Rubric.model_fields["questions"].description),
                                      "__module__": __name__})


def json_schema(extra: tuple[ModuleType, ...] = ()) -> dict[str, Any]:
    """The JSON Schema of rubric files, for editors (`grade schema`): with a pack's kinds
    (`extra`), of that pack's rubric."""
    schema = _kind_defs(rubric_model(extra).model_json_schema(by_alias=True), registry(extra))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Grader rubric (grader.rubric/v1)"
    return schema


def _kind_defs(schema: dict[str, Any], kinds: Mapping[str, ModuleType]) -> dict[str, Any]:
    """Name each kind's definition `check_<kind>` (not its module's path, which for a
    pack holds a digest), describe it by its module's docstring and its `kind` field."""
    renames: dict[str, str] = {}
    for name, node in schema.get("$defs", {}).items():
        kind = node.get("properties", {}).get("kind", {}).get("const")
        if isinstance(kind, str) and kind in kinds:
            renames[name] = f"check_{kind}"
            node["properties"]["kind"].setdefault("description", f"the check kind: {kind}")
            doc = (kinds[kind].__doc__ or "").strip().split("\n\n")[0]
            if doc:
                node["description"] = " ".join(doc.split())
            node["title"] = f"check kind {kind}"
            for prop in node.get("properties", {}).values():
                if "description" not in prop and kind == "best_of":
                    prop["description"] = "alternative checks of one answer: the best scoring one counts"
    text = json.dumps(schema)
    for old, new in renames.items():
        text = text.replace(f'"#/$defs/{old}"', f'"#/$defs/{new}"')
    out: dict[str, Any] = json.loads(text)
    out["$defs"] = {renames.get(k, k): v for k, v in out.get("$defs", {}).items()}
    return out


# --------------------------------------------------------------------------- loading


def _loc_to_path(data: Any, loc: tuple[Any, ...]) -> tuple[list[Any], str]:
    """Map a pydantic error location onto the document: drop discriminator tags and
    return (path into the data, printable 'questions[3].checks[0].rtol')."""
    path: list[Any] = []
    text = ""
    cur = data
    for part in loc:
        if isinstance(part, int):
            path.append(part)
            text += f"[{part}]"
            cur = cur[part] if isinstance(cur, list) and part < len(cur) else None
            continue
        if isinstance(cur, dict) and part not in cur and cur.get("kind") == part:
            continue  # the discriminated union's tag, not a field
        if part.startswith("function-") or part in ("list", "dict"):
            continue
        path.append(part)
        text += f".{part}" if text else part
        cur = cur.get(part) if isinstance(cur, dict) else None
    return path, text


def load_rubric(path: Path) -> Rubric:
    """Read and validate a rubric file; RubricError names file:line and field."""
    from grader.docio import DocumentError, load_document

    shown = _display(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise RubricError([f"{shown}: cannot read the rubric: {err.strerror or err}"]) from None
    try:
        doc = load_document(raw, filename=shown)
    except DocumentError as err:
        raise RubricError([str(err)]) from None
    extra = load_kinds_of(doc, path, shown)
    try:
        return rubric_model(extra).model_validate(doc.data)
    except ValidationError as err:
        problems = []
        for e in err.errors():
            p, text = _loc_to_path(doc.data, tuple(e["loc"]))
            line = doc.line_of(p)
            where = f"{shown}:{line}" if line else shown
            msg = e["msg"]
            if e["type"] == "union_tag_invalid":
                msg = f"unknown check kind {e.get('input', {}).get('kind') if isinstance(e.get('input'), dict) else ''!r}; known kinds: {_kinds(extra)}"
            problems.append(f"{where} {text or '(top level)'}: {msg}")
        raise RubricError(problems) from None


def _kinds(extra: tuple[ModuleType, ...] = ()) -> str:
    return ", ".join(sorted(registry(extra)))


def files_dir(data: Any, rubric_file: Path) -> Path:
    """The folder a rubric's files are relative to: the pack's folder (the rubric file's),
    or a student kit's `files` folder beside it."""
    base = rubric_file.resolve().parent
    files = data.get("files") if isinstance(data, dict) else None
    return (base / files).resolve() if isinstance(files, str) and files else base


def rubric_kinds(path: Path) -> tuple[ModuleType, ...]:
    """The pack kinds a rubric file names (for its JSON Schema); RubricError as load_rubric."""
    from grader.docio import DocumentError, load_document

    shown = _display(path)
    try:
        doc = load_document(path.read_bytes(), filename=shown)
    except OSError as err:
        raise RubricError([f"{shown}: cannot read the rubric: {err.strerror or err}"]) from None
    except DocumentError as err:
        raise RubricError([str(err)]) from None
    return load_kinds_of(doc, path, shown)


def load_kinds_of(doc: Any, path: Path, shown: str) -> tuple[ModuleType, ...]:
    """The kind modules a rubric document names (`kinds:`), imported from the `kinds/`
    folder of its files; RubricError with file:line for a kind that is not there or not
    a kind."""
    data = doc.data
    names = data.get("kinds") if isinstance(data, dict) else None
    if not names:
        return ()
    if not isinstance(names, list) or not all(isinstance(n, str) and re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in names):
        line = doc.line_of(["kinds"])
        raise RubricError([f"{shown}:{line or '?'} kinds: a list of module names in kinds/ (lowercase letters, digits, _)"])
    folder = files_dir(data, path)
    problems: list[str] = []
    modules: list[ModuleType] = []
    for i, name in enumerate(names):
        line = doc.line_of(["kinds", i])
        where = f"{shown}:{line}" if line else shown
        try:
            modules.append(load_kind(folder, name))
        except RubricError as err:
            problems += [f"{where} kinds[{i}]: {p}" for p in err.problems]
    if problems:
        raise RubricError(problems)
    return tuple(modules)


def load_kind(folder: Path, name: str) -> ModuleType:
    """kinds/<name>.py of a pack's folder, checked to be a check kind called `name` that
    does not take the name of one of the engine's."""
    if name in REGISTRY:
        raise RubricError([f"kind {name!r} is one of the engine's kinds; give the pack's kind another name"])
    file = folder / "kinds" / f"{name}.py"
    if not file.is_file():
        raise RubricError([f"kind {name!r}: no file kinds/{name}.py in {folder}"])
    try:
        module = importlib.import_module(module_name(folder_package(folder), f"kinds/{name}.py"))
    except Exception as err:  # noqa: BLE001 - an instructor error: name it precisely
        raise RubricError([f"kind {name!r}: kinds/{name}.py cannot be imported: {type(err).__name__}: {err}"]) from None
    spec = getattr(module, "Spec", None)
    if not (isinstance(spec, type) and issubclass(spec, CheckSpecBase)) or "kind" not in spec.model_fields:
        raise RubricError([f"kind {name!r}: kinds/{name}.py defines no `Spec` (a CheckSpecBase with kind: Literal[{name!r}])"])
    try:
        declared = kind_name(module)
    except (AttributeError, IndexError, TypeError):
        declared = None
    if declared != name:
        raise RubricError([f"kind {name!r}: kinds/{name}.py's Spec has kind {declared!r}, not {name!r}"])
    if not callable(getattr(module, "grade", None)):
        raise RubricError([f"kind {name!r}: kinds/{name}.py defines no grade(spec, ctx)"])
    return module


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def find_rubric(assignment: str, *, search: list[Path] | None = None) -> Path:
    """The rubric of assignment `assignment` (`grader.packs.installed`: a student kit's
    rubrics/<assignment>.yaml in the working directory, or a pack's rubric.yaml).
    `search`: folders of packs to look in instead of `grader.packs.search_roots()`."""
    from grader.packs import PackError, choose_rubric

    try:
        return choose_rubric(assignment=assignment, rubric=None, submission=None, roots=search)
    except PackError as err:
        raise RubricError([str(err)]) from None


# --------------------------------------------------------------------------- compiling


@dataclass(frozen=True)
class ProbeKey:
    """One distinct probe call: checks that share it share one run."""

    module: str
    probe: str
    args_json: str

    @property
    def id(self) -> str:
        digest = hashlib.sha256(self.args_json.encode()).hexdigest()[:10]
        return f"{self.module}:{self.probe}:{digest}"

    @property
    def args(self) -> dict[str, Any]:
        args: dict[str, Any] = json.loads(self.args_json)
        return args


@dataclass(frozen=True)
class PlannedCheck:
    question_id: str
    spec: CheckSpecBase  # with every {ref: ...} resolved
    probe_key: ProbeKey | None
    alternatives: tuple["PlannedCheck", ...] = ()
    where: str = ""  # "rubric.yaml:42 questions[3] (q3) check code": for the instructor's errors found later


def walk_checks(checks: Iterable[PlannedCheck]) -> Iterator[PlannedCheck]:
    """Each check, then its alternatives (a best_of's, recursively), in rubric order: the one
    walk for everything that looks at every check (the kit, write-up extraction, mistakes,
    oracles, limits)."""
    for pc in checks:
        yield pc
        yield from walk_checks(pc.alternatives)


@dataclass(frozen=True)
class PlannedQuestion:
    id: str
    title: str
    points: float
    checks: tuple[PlannedCheck, ...]
    bonus: bool = False


@dataclass(frozen=True)
class Plan:
    """A compiled rubric: frozen, resolved, and cheap to apply to many submissions."""

    rubric: Rubric
    rubric_path: str
    rubric_hash: str
    package_dir: Path
    questions: tuple[PlannedQuestion, ...]
    probe_keys: tuple[ProbeKey, ...]
    known_paths: frozenset[str]
    support_files: dict[str, Path] = field(default_factory=dict)
    frozen_file: Path | None = None  # expected probe outputs read from here instead of running the reference
    # The pack's folder imported as a package (`grader.packs.folder_package`): its probes,
    # oracles, mistakes and kinds are modules of it; the reference is its `reference` folder.
    files_package: str | None = None
    reference_package: str | None = None
    kinds: Mapping[str, ModuleType] = field(default_factory=lambda: dict(REGISTRY))

    def every_check(self) -> Iterator[PlannedCheck]:
        """Every check of every question with its alternatives (`walk_checks`)."""
        for q in self.questions:
            yield from walk_checks(q.checks)

    @property
    def probes_file(self) -> Path:
        return self.package_dir / self.rubric.probes

    @property
    def max_score(self) -> float:
        """What a result is out of: the points of the questions that are not bonus."""
        return sum(q.points for q in self.questions if not q.bonus)

    @property
    def cap(self) -> float | None:
        """The most a result scores, bonus included (`Rubric.score_cap`); None: no cap."""
        return self.rubric.score_cap

    def public_only(self, *, student_side: bool = False) -> "Plan":
        """The plan without hidden checks (what a student can run); questions left with no
        check are dropped, and the points are those of the remaining checks. With
        `student_side`, also without the checks that need an oracle: oracles run only in the
        course's grader (a student kit never holds code that computes answers)."""
        import dataclasses

        def runnable(c: PlannedCheck) -> bool:
            return c.spec.visibility == "public" and not (
                student_side and any(a.spec.oracle for a in (c, *c.alternatives)))

        questions = []
        for q in self.questions:
            checks = tuple(c for c in q.checks if runnable(c))
            if checks:
                questions.append(PlannedQuestion(id=q.id, title=q.title, points=sum(c.spec.points for c in checks),
                                                 checks=checks, bonus=q.bonus))
        used = {c.probe_key for q in questions for pc in q.checks for c in (pc, *pc.alternatives) if c.probe_key}
        return dataclasses.replace(self, questions=tuple(questions), probe_keys=tuple(k for k in self.probe_keys if k in used))


def resolve_ref(package: str, ref: str) -> Any:
    """'problem1.KEY.q1_1.answer' -> reference.<package>.problem1 . KEY ['q1_1'] ['answer'];
    a zero-argument callable met on the way is called."""
    mod_name, _, rest = ref.partition(".")
    module = importlib.import_module(f"{package}.{mod_name}")
    cur: Any = module
    for part in rest.split(".") if rest else []:
        if callable(cur) and not isinstance(cur, type):
            cur = cur()
        if isinstance(cur, dict):
            if part not in cur:
                raise KeyError(part)
            cur = cur[part]
        elif isinstance(cur, (list, tuple)) and part.isdigit():
            cur = cur[int(part)]
        else:
            cur = getattr(cur, part)
    if callable(cur) and not isinstance(cur, type):
        cur = cur()
    return _plainify(cur)


def _plainify(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _plainify(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plainify(v) for v in x]
    if hasattr(x, "tolist"):
        return x.tolist()
    return x


def _resolve_spec(spec: CheckSpecBase, package: str | None, where: str) -> CheckSpecBase:
    def resolve(value: Any, field_name: str) -> Any:
        if isinstance(value, dict) and set(value) == {"ref"} and isinstance(value["ref"], str):
            if package is None:
                raise RubricError([f"{where}.{field_name}: {{ref: {value['ref']}}} needs `reference` (this rubric has none)"])
            try:
                return resolve_ref(package, value["ref"])
            except Exception as err:  # noqa: BLE001 - an instructor error: name it precisely
                raise RubricError([f"{where}.{field_name}: reference {value['ref']!r} cannot be resolved in {package}: "
                                   f"{type(err).__name__}: {err}"]) from None
        return value

    updates: dict[str, Any] = {}
    for name in type(spec).model_fields:
        value = getattr(spec, name)
        if name in ("args", "public_args"):
            if value is None:
                continue
            new_args = {k: resolve(v, f"{name}.{k}") for k, v in value.items()}
            if new_args != value:
                updates[name] = new_args
            continue
        new = resolve(value, name)
        if new is not value:
            updates[name] = new
    return spec.model_copy(update=updates) if updates else spec


def probe_key(spec: CheckSpecBase, *, public: bool = False) -> ProbeKey:
    """The probe call of a code check: on its grading `args`, or (`public`) on its
    `public_args`, the inputs of the student kit."""
    args = spec.public_args if public else spec.args
    target = spec.code_target
    if target is None or args is None:
        raise ValueError(f"check {spec.id} has no {'public_args' if public else 'code'}")
    module = target[0]
    if (spec.probe or "").startswith(NOTEBOOK_PROBE_PREFIX):
        args = {**args, "notebook": module}  # the built-in notebook probes read this notebook
    return ProbeKey(module=module, probe=spec.probe or "",
                    args_json=json.dumps(args, sort_keys=True, separators=(",", ":")))


def compile_rubric(rubric: Rubric, *, rubric_path: str, rubric_bytes: bytes, base_dir: Path | None = None,
                   line_of: Callable[[list[Any]], int | None] | None = None) -> Plan:
    """`base_dir` (the rubric file's folder) anchors `files` and `frozen`; default: the
    folder of `rubric_path`. `line_of` (the YAML document's) puts line numbers in what is
    reported about a check."""
    base = (base_dir if base_dir is not None else Path(rubric_path).parent).resolve()
    package_dir = base if rubric.reference else (base / str(rubric.files)).resolve()
    frozen_file = (base / rubric.frozen).resolve() if rubric.frozen else None
    problems: list[str] = []
    files_package = folder_package(package_dir) if package_dir.is_dir() else None
    reference_package = None
    if rubric.reference is not None:
        ref_dir = package_dir / rubric.reference
        if not ref_dir.is_dir():
            raise RubricError([f"{rubric_path}: reference folder {rubric.reference} not found in {package_dir}"])
        reference_package = module_name(str(files_package), rubric.reference.strip("/") + ".py")
    kinds = registry(tuple(load_kind(package_dir, k) for k in rubric.kinds))
    if rubric.reference is None and frozen_file is None and _has_code(rubric):
        problems.append(f"{rubric_path}: code checks need `reference` or `frozen` (expected probe outputs)")
    if frozen_file is not None and not frozen_file.is_file():
        problems.append(f"{rubric_path}: frozen outputs {rubric.frozen} not found")
    if not (package_dir / rubric.probes).is_file() and _has_code(rubric):
        problems.append(f"{rubric_path}: probes file {rubric.probes} not found in {package_dir}")
    support = {}
    for name, rel in rubric.support_files.items():
        p = package_dir / rel
        if not p.is_file():
            problems.append(f"{rubric_path}: support file {name} -> {rel} not found in {package_dir}")
        support[name] = p
    oracles = load_oracles(files_package, rubric, rubric_path) if rubric.reference and rubric.oracles else None
    if problems:
        raise RubricError(problems)
    keys: dict[ProbeKey, None] = {}
    known: set[str] = set()
    _add_known(known, "assignment")  # the answers file may name its assignment (grader.packs)
    for k in rubric.answer_keys:
        _add_known(known, k)

    def at(path: list[Any]) -> str:
        line = line_of(path) if line_of is not None else None
        return f"{rubric_path}:{line}" if line else rubric_path

    def plan_check(qid: str, spec: CheckSpecBase, where: str, path: list[Any]) -> PlannedCheck:
        spec = _resolve_spec(spec, reference_package, where)
        if spec.answer:
            _add_known(known, spec.answer)
            for child in getattr(kinds[spec.kind], "ANSWER_CHILDREN", ()):
                _add_known(known, f"{spec.answer}.{child}")
        if spec.oracle and rubric.reference is not None:
            if oracles is None:
                raise RubricError([f"{where}: oracle {spec.oracle!r} needs `oracles` (the file of oracle functions)"])
            if not callable(getattr(oracles, spec.oracle, None)):
                raise RubricError([f"{where}: oracle {spec.oracle!r} is not defined in {rubric.oracles}"])
        pk = None
        if spec.code and (spec.probe or "").startswith(NOTEBOOK_PROBE_PREFIX):
            from grader.sandbox._child.nbprobes import BUILTIN

            module = spec.code.split(":")[0].rsplit(".", 1)[0]
            if spec.probe not in BUILTIN:
                problems.append(f"{where}: unknown built-in probe {spec.probe!r} (known: {', '.join(sorted(BUILTIN))})")
            elif module not in rubric.notebooks:
                problems.append(f"{where}: probe {spec.probe} reads an executed notebook: add `notebooks: {{{module}: {{}}}}` to the rubric")
        if spec.code:
            pk = probe_key(spec)
            keys[pk] = None
            if spec.public_args is not None:
                public[probe_key(spec, public=True)] = where
                if spec.visibility == "hidden":
                    problems.append(f"{where}: `public_args` on a hidden check (hidden checks are never in the student kit)")
        alts = tuple(plan_check(qid, sub, f"{where}.checks[{i}]".replace(at(path), at([*path, "checks", i]), 1),
                                [*path, "checks", i]) for i, sub in enumerate(getattr(spec, "checks", []) or []))
        return PlannedCheck(question_id=qid, spec=spec, probe_key=pk, alternatives=alts, where=where)

    public: dict[ProbeKey, str] = {}  # probe call on public inputs -> the check that declares it
    questions = []
    for qi, q in enumerate(rubric.questions):
        checks = tuple(plan_check(q.id, c, f"{at(['questions', qi, 'checks', ci])} questions[{qi}] ({q.id}) check {c.id}",
                                  ["questions", qi, "checks", ci]) for ci, c in enumerate(q.checks))
        questions.append(PlannedQuestion(id=q.id, title=q.title, points=q.points, checks=checks, bonus=q.bonus))
    for key, where in public.items():  # the kit's expected outputs must not be grading outputs
        if key in keys:
            problems.append(f"{where}: `public_args` {key.args_json} are inputs that grading uses too "
                            f"(probe {key.probe}); give the student kit other inputs")
    if problems:
        raise RubricError(problems)
    return Plan(
        rubric=rubric,
        rubric_path=rubric_path,
        rubric_hash=hashlib.sha256(rubric_bytes).hexdigest(),
        package_dir=package_dir,
        questions=tuple(questions),
        probe_keys=tuple(keys),
        known_paths=frozenset(known),
        support_files=support,
        frozen_file=frozen_file,
        files_package=files_package,
        reference_package=reference_package,
        kinds=kinds,
    )


def load_oracles(files_package: str | None, rubric: Rubric, rubric_path: str) -> Any:
    """The rubric's oracles module, imported in this (the grader's) process from the
    pack's folder; RubricError when it does not import."""
    folder = Path(str(sys.modules[str(files_package)].__path__[0])) if files_package in sys.modules else None
    if folder is not None and not (folder / str(rubric.oracles)).is_file():
        raise RubricError([f"{rubric_path}: oracles {rubric.oracles} not found in {folder}"])
    try:
        return importlib.import_module(module_name(str(files_package), str(rubric.oracles)))
    except Exception as err:  # noqa: BLE001 - an instructor error: name it precisely
        raise RubricError([f"{rubric_path}: oracles {rubric.oracles} cannot be imported: "
                           f"{type(err).__name__}: {err}"]) from None


def _has_code(rubric: Rubric) -> bool:
    def any_code(c: Any) -> bool:
        return bool(c.code) or any(any_code(s) for s in getattr(c, "checks", []) or [])

    return any(any_code(c) for q in rubric.questions for c in q.checks)


def _add_known(known: set[str], path: str) -> None:
    parts = path.split(".")
    for i in range(1, len(parts) + 1):
        known.add(".".join(parts[:i]))


def load_plan(path: Path) -> Plan:
    """Load, validate and compile a rubric file, and check what can be checked without
    running the reference (`grader.validate.static_problems`: probes that do not exist,
    hidden values a public check would show)."""
    from grader.docio import load_document
    from grader.validate import static_problems

    rubric = load_rubric(path)
    raw = path.read_bytes()
    doc = load_document(raw, filename=_display(path))
    plan = compile_rubric(rubric, rubric_path=_display(path), rubric_bytes=raw, base_dir=path.resolve().parent,
                          line_of=doc.line_of)
    problems = static_problems(plan)
    if problems:
        raise RubricError(problems)
    return plan
