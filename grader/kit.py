"""What the grader builds for the places courses already run: a student kit (a repository
template that grades its own public checks, locally and on GitHub Actions) and a
Gradescope autograder package.

    grade student-kit --assignment NAME --out kit/
    grade gradescope-package --assignment NAME --out autograder.zip [--wheels DIR]

This module builds the student kit; the Gradescope package is grader.gradescope_package,
what both need to ship the engine is grader.packaging, and the two commands are
grader.commands.kit.

The student kit is not an answer key and says so ("public checks only: this is not your
grade", in every result it gives and in its README). Its rubric holds:
  - every answers check as a `form` check: the answer parses, has the keys and shape asked
    for, its numbers are finite; never whether it is right (no expected answer, no TA key);
  - every public code check that declares `public_args` (inputs grading does not use:
    other seeds, data sets, shapes), run on those; their reference outputs, and only
    those, are frozen into `rubrics/<assignment>/expected.npz` (see
    `grader.engine.freeze_outputs`), so it needs no reference package. A code check
    without `public_args` is left out, and the README names it;
  - checks that read neither (a figure) as they are.
It ships the probes (trusted code that calls the student's code and returns what it
returned: no answers, no data set of the grader's), the support files (the scaffold, the
data), the grader engine, stubs of every file and function the rubric's code checks call,
an answers template with every key, and a GitHub Actions workflow.

The Gradescope package is for Gradescope's servers, which are trusted: it holds the whole
pack (rubric, reference, probes, oracles, kinds, support files; not its examples and
tests), `setup.sh` and `run_autograder`.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import importlib.metadata
import inspect
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Iterator, Sequence

import yaml

from grader.checks import REGISTRY
from grader.checks.base import CheckSpecBase
from grader.checks.form import Form
from grader.packaging import (
    KitError,
    engine_distribution,
    engine_files,
    installed_torch_version,
    package_tree,
    pyproject_toml,
    render_template,
)
from grader.packs import ASSIGNMENT_KEY
from grader.rubric import RUBRIC_SCHEMA, Plan, PlannedCheck, ProbeKey, probe_key, walk_checks

PYTHON_VERSION = "3.11"  # the kit's CI workflow's Python (torch has CPU wheels for every supported one)
FROZEN_NAME = "expected.npz"
ENGINE_DIR = "_grader"  # the engine's source inside a kit (keeps the submission's top level clean)


# --------------------------------------------------------------------------- kit rubric


NOTICE = "public checks only: this is not your grade"
REVIEWED_KINDS = frozenset({"manual", "figure"})  # checks whose points a TA gives (a readable figure waits for one)


def answer_form(spec: Any) -> Form:
    """The form of the answer a check reads (keys, shape, types), worked out from the
    check's fields and the shape (never the values) of its expected answer. A kind whose
    form is not known here is an error: the kit is never built with an answer it cannot
    strip."""
    kind = spec.kind
    hook = getattr(_kind_module(spec), "answer_form", None)
    if callable(hook):  # a pack's kind says the form of its answers itself
        form = hook(spec)
        if not isinstance(form, Form):
            raise KitError(f"check {spec.id} ({kind}): its kind's answer_form returned {type(form).__name__}, not a Form")
        return form
    if kind == "choice":
        return Form(type="boolean" if isinstance(spec.expected, bool) else "text")
    if kind == "manual":
        return Form(type="text")
    if kind == "formula":
        if isinstance(spec.targets, dict):  # any of the parts may be given
            return Form(type="mapping", keys={}, optional={k: Form(type="text") for k in spec.targets})
        return Form(type="text")
    if kind == "matrix":
        shape = _shape(spec.expected)
        return Form(type="numbers", shape=list(shape) if shape else None)
    if kind == "number":
        return Form(type="numbers", shape=[len(spec.labels)]) if spec.labels else Form(type="number")
    if kind == "layer_table" and isinstance(spec.expected, dict) and spec.expected:
        first = next(iter(spec.expected.values()))
        cells = {c: Form(type="numbers" if isinstance(first.get(c) if isinstance(first, dict) else None, list) else "number")
                 for c in spec.columns}
        return Form(type="mapping", rows=len(spec.expected), each=Form(type="mapping", keys=cells))
    raise KitError(f"check {spec.id} ({kind}): the student kit cannot say the form of its answer without the answer; "
                   "give the kind's module an answer_form(spec) -> Form")


def _kind_module(spec: Any) -> ModuleType | None:
    """The module that defines a check's kind (an engine kind or a pack's): the one whose
    `Spec` the check is, else None."""
    module = sys.modules.get(type(spec).__module__)
    return module if module is not None and getattr(module, "Spec", None) is type(spec) else None


def _kit_check(pc: PlannedCheck, left_out: list[str]) -> dict[str, Any] | None:
    """A public check as the student kit grades it, or None (left out of the kit):
    - an answers check becomes a `form` check of the same points: its answer is never in the kit;
    - a code check runs on its `public_args` (inputs grading does not use) and is compared
      with the reference's output on them (frozen), never with a rubric `expected`;
    - a code check without `public_args` is left out (`left_out` names it), since its only
      inputs are the grader's;
    - a check with neither (a figure) is kept as it is."""
    spec: CheckSpecBase = pc.spec
    label = f"{pc.question_id} {spec.id}"
    if pc.alternatives:
        alts = [doc for alt in pc.alternatives if alt.spec.visibility == "public"
                if (doc := _kit_check(alt, left_out)) is not None]
        if not alts:
            return None
        doc = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude={"checks", "mistakes"})
        return {"id": doc.pop("id"), "kind": spec.kind, **doc, "checks": alts}
    if spec.code:
        # without public inputs, or with an expected value derived on the grader's side (an
        # oracle, which the kit does not ship), a code check is graded by the course only
        if spec.public_args is None or getattr(spec, "oracle", None):
            left_out.append(label)
            return None
        doc = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True,
                              exclude={"args", "public_args", "expected", "answer", "mistakes"})
        if getattr(spec, "answer", None) is not None:  # a code check that also reads an answer compares with it
            raise KitError(f"check {label}: a code check that reads an answer ({spec.answer}) cannot be in the kit")
        return {"id": doc.pop("id"), "kind": spec.kind, **doc, "args": spec.public_args}
    if spec.answer:
        form = answer_form(spec)
        doc = {"id": spec.id, "kind": "form", "points": spec.points, "answer": spec.answer,
               "form": form.model_dump(mode="json", exclude_none=True)}
        return doc
    doc = spec.model_dump(mode="json", by_alias=True, exclude_defaults=True, exclude={"mistakes"})
    if "expected" in doc:
        raise KitError(f"check {label} ({spec.kind}) holds an expected value and reads no answer or code")
    return {"id": doc.pop("id"), "kind": spec.kind, **doc}


def kit_questions(plan: Plan) -> tuple[list[dict[str, Any]], list[str]]:
    """The questions of a student kit (see `_kit_check`), and the public checks left out."""
    left_out: list[str] = []
    questions = []
    for q in plan.public_only().questions:
        checks = [doc for pc in q.checks if (doc := _kit_check(pc, left_out)) is not None]
        if checks:
            bonus = {"bonus": True} if q.bonus else {}  # its points count on top of the kit's total
            questions.append({"id": q.id, "title": q.title, "points": round(sum(c["points"] for c in checks), 6),
                              **bonus, "checks": checks})
    return questions, left_out


def kit_probe_keys(plan: Plan) -> tuple[ProbeKey, ...]:
    """The probe calls of the kit: every kept public code check on its public inputs."""
    keys: dict[ProbeKey, None] = {}
    for q in plan.public_only().questions:
        for pc in walk_checks(q.checks):
            if pc.spec.code and pc.spec.public_args is not None and pc.spec.visibility == "public" \
                    and not getattr(pc.spec, "oracle", None):
                keys[probe_key(pc.spec, public=True)] = None
    return tuple(keys)


def kit_rubric(plan: Plan) -> dict[str, Any]:
    """The rubric of a student kit: the public checks of `plan` on public inputs, answers
    checked for their form only, probes and support files in `<assignment>/` beside it,
    the reference's outputs on the public inputs frozen."""
    r = plan.rubric
    questions, _ = kit_questions(plan)
    if not questions:
        raise KitError("no public check can be in the student kit (code checks need `public_args`)")
    doc: dict[str, Any] = {
        "schema": RUBRIC_SCHEMA,
        "assignment": r.assignment,
        "title": r.title,
        "files": r.assignment,
        "probes": r.probes,
        "notice": NOTICE,
        "course_total": round(float(plan.max_score), 6),
    }
    if kit_probe_keys(plan):
        doc["frozen"] = f"{r.assignment}/{FROZEN_NAME}"
    pack_kinds = sorted(_kinds_in(questions) - set(REGISTRY))
    if pack_kinds:  # the pack's own kinds, shipped in <assignment>/kinds/
        doc["kinds"] = pack_kinds
    doc["support_files"] = {name: name for name in r.support_files}
    doc["limits"] = r.limits.model_dump(mode="json", exclude={"first_try_s"})  # a kit grades one submission: full limits
    if r.environment is not None:  # the students' environment and notebook mode run in the kit alike
        doc["environment"] = r.environment.model_dump(mode="json", exclude_none=True)
    if r.notebooks:
        doc["notebooks"] = {name: mode.plain() for name, mode in r.notebooks.items()}
    known = plan.known_paths  # every key the full rubric reads, so that none is reported as unknown
    doc["answer_keys"] = sorted(k for k in known if not any(o.startswith(k + ".") for o in known))
    doc["questions"] = questions
    return doc


def _kinds_in(checks: Any) -> set[str]:
    """Every `kind` in a tree of check documents."""
    if isinstance(checks, dict):
        own = {checks["kind"]} if isinstance(checks.get("kind"), str) else set()
        return own.union(*(_kinds_in(v) for v in checks.values()))
    if isinstance(checks, list):
        return set().union(*(_kinds_in(v) for v in checks))
    return set()


# --------------------------------------------------------------------------- answers template


def _shape(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        widths = {len(row) for row in value}
        return (len(value), widths.pop()) if len(widths) == 1 else None
    return None


_FALLBACK = "see the handout"
# The keys the engine reads for every assignment (`student.id` is the student key: the
# gradebook's, the CSV's SIS User ID), described in every answers template.
_STUDENT_KEYS = {
    "student.id": "your university student ID exactly as on the course roster (it becomes the SIS User ID of your grade)",
    "student.name": "your name as you want it shown",
}


def _describe_answer(spec: Any) -> str:
    """The comment beside a key of the answers template: the form of the answer, never
    the answer."""
    kind = spec.kind
    labels = getattr(spec, "labels", None)
    hook = getattr(_kind_module(spec), "describe_answer", None)
    if callable(hook):  # a pack's kind describes its answers itself
        return str(hook(spec))
    if kind == "choice":
        return "true or false" if isinstance(spec.expected, bool) else "a word or a short phrase"
    if kind == "manual":
        return f"free text ({spec.label}), read by the course staff"
    if kind == "formula" and isinstance(getattr(spec, "targets", None), dict):
        return "LaTeX, one string per part: {" + ", ".join(f"{k}: '...'" for k in spec.targets) + "}"
    if kind == "matrix":
        shape = _shape(spec.expected)
        return f"{shape[0]} rows of {shape[1]} numbers" if shape else "a list of rows of numbers"
    if kind == "number":
        return f"[{', '.join(labels)}]" if labels else "a number"
    if kind == "layer_table":
        names = ", ".join(spec.expected) if isinstance(spec.expected, dict) else "one per layer"
        cols = ", ".join(f"{c}: ..." for c in spec.columns)
        return f"rows {names}, each {{{cols}}}"
    return _FALLBACK


def _put(tree: dict[str, Any], parts: list[str]) -> None:
    node = tree
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node.setdefault(parts[-1], None)


def _yaml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][\w-]*", key) else json.dumps(key)


def _yaml_lines(tree: dict[str, Any], comments: dict[str, str], prefix: str = "", indent: int = 0) -> Iterator[str]:
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        note = comments.get(path)
        tail = f"  # {' '.join(note.split())}" if note else ""
        if isinstance(value, dict):
            yield f"{' ' * indent}{_yaml_key(key)}:{tail}"
            yield from _yaml_lines(value, comments, path, indent + 2)
        else:
            yield f"{' ' * indent}{_yaml_key(key)}: null{tail}"


def answers_template(plan: Plan) -> str:
    """answers.yaml with every key the rubric reads, each `null` with a comment on its form.
    A key only some hidden check reads is listed with no description."""
    described: dict[str, str] = {}  # answer path -> the first description that says more than the fallback
    for q in plan.questions:
        for pc in walk_checks(q.checks):
            spec = pc.spec
            if spec.answer and "*" not in spec.answer:
                note = _describe_answer(spec) if spec.visibility == "public" else _FALLBACK
                if described.get(spec.answer, _FALLBACK) == _FALLBACK:
                    described[spec.answer] = note
    entries = list(described.items())
    check_sections = {path.split(".")[0] for path, _ in entries}
    extra = [(k, _STUDENT_KEYS.get(k, "")) for k in plan.rubric.answer_keys if "*" not in k]
    ordered = [e for e in extra if e[0].split(".")[0] not in check_sections] + entries + \
              [e for e in extra if e[0].split(".")[0] in check_sections]
    tree: dict[str, Any] = {}
    comments: dict[str, str] = {}
    leaves = {path for path, _ in entries}
    for path, note in ordered:
        if any(path.startswith(leaf + ".") for leaf in leaves):
            continue  # a part of an answer the template already has as one value
        _put(tree, path.split("."))
        if note:
            comments.setdefault(path, note)
    head = [
        f"# {plan.rubric.title}",
        "# Your answers. Replace each null; the comment beside a key says what goes there.",
        "# Leave a null where you have no answer: it counts as not submitted.",
        "",
        f"{ASSIGNMENT_KEY}: {plan.rubric.assignment}  # which assignment these answers are for: keep it",
    ]
    return "\n".join(head + list(_yaml_lines(tree, comments))) + "\n"


# --------------------------------------------------------------------------- code stubs


class _Raw:
    """Renders as its text inside inspect.Signature (annotations, defaults)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _signature(fn: Any) -> str:
    sig = inspect.signature(fn)
    params = []
    for p in sig.parameters.values():
        ann = p.annotation
        if ann is not p.empty:
            ann = _Raw(ann if isinstance(ann, str) else inspect.formatannotation(ann))
        default = p.default
        if default is not p.empty:
            text = repr(default)
            try:
                ast.literal_eval(text)
            except (ValueError, SyntaxError):
                text = "..."
            default = _Raw(text)
        params.append(p.replace(annotation=ann, default=default))
    ret = sig.return_annotation
    if ret is not sig.empty:
        ret = _Raw(ret if isinstance(ret, str) else inspect.formatannotation(ret))
    return str(sig.replace(parameters=params, return_annotation=ret))


def _name_in(module: ModuleType, obj: Any) -> str | None:
    """How `module` spells `obj`: a global name, or `<imported module>.<name>`."""
    for name, value in vars(module).items():
        if value is obj and not name.startswith("_"):
            return name
    for name, value in vars(module).items():
        if isinstance(value, ModuleType) and getattr(value, getattr(obj, "__name__", ""), None) is obj:
            return f"{name}.{getattr(obj, '__name__', '')}"
    return None


def _stub_function(fn: Any, name: str, indent: str = "", first: str | None = None) -> list[str]:
    lines = [f"{indent}def {name}{_signature(fn)}:"]
    if first:
        lines.append(f"{indent}    {first}")
    lines.append(f'{indent}    raise NotImplementedError("{name}: not written yet")')
    return lines


def _stub_class(cls: type, name: str, module: ModuleType) -> list[str]:
    bases = [b for b in cls.__bases__ if b is not object]
    spelled = [_name_in(module, b) for b in bases]
    if any(s is None for s in spelled):
        raise KitError(f"{module.__name__}.{name}: cannot spell its base classes for a stub")
    head = f"class {name}({', '.join(s for s in spelled if s)}):" if bases else f"class {name}:"
    lines = [head]
    methods = [(n, v) for n, v in vars(cls).items() if inspect.isfunction(v) and (n == "__init__" or not n.startswith("_"))]
    if not methods:
        lines.append("    pass")
    for i, (mname, fn) in enumerate(methods):
        if i:
            lines.append("")
        first = "super().__init__()" if mname == "__init__" and bases else None
        stub = _stub_function(fn, mname, "    ", first)
        stub[-1] = stub[-1].replace(f'"{mname}: not written yet"', f'"{name}.{mname}: not written yet"')
        lines += stub
    return lines


def _imports(source: str, support_modules: set[str]) -> list[tuple[str, set[str], bool]]:
    """(import statement, names it binds, always keep) for the top-level imports of a
    reference module; the pack's own (relative) imports become imports of support modules
    (`from ..support.scaffold import CONV` -> `from scaffold import CONV`) or go."""
    out: list[tuple[str, set[str], bool]] = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import):
            for a in node.names:
                bound = a.asname or a.name.split(".")[0]
                out.append((f"import {a.name}" + (f" as {a.asname}" if a.asname else ""), {bound}, False))
        elif isinstance(node, ast.ImportFrom) and node.module != "__future__":
            names = ", ".join(a.name + (f" as {a.asname}" if a.asname else "") for a in node.names)
            bound_names = {a.asname or a.name for a in node.names}
            if node.level:  # the pack's own modules: a support module is the student's too
                tail = (node.module or "").rsplit(".", 1)[-1]
                if tail in support_modules:
                    out.append((f"from {tail} import {names}", bound_names, True))
                continue
            out.append((f"from {node.module} import {names}", bound_names, False))
    return out


def stub_source(plan: Plan, module: str, names: Sequence[str]) -> str:
    """A stub of the student's `<module>.py`: every name the rubric calls, with the
    reference's signature (annotations, literal defaults) and a body that raises
    NotImplementedError. Nothing else of the reference is copied."""
    if plan.reference_package is None:
        raise KitError("this rubric has no reference to take the signatures from")
    ref = importlib.import_module(f"{plan.reference_package}.{module}")
    body: list[str] = []
    for name in names:
        obj = getattr(ref, name, None)
        if obj is None:
            raise KitError(f"{plan.rubric.reference}/{module}.py defines no {name}, which the rubric calls")
        body.append("")
        body.append("")
        body += _stub_class(obj, name, ref) if inspect.isclass(obj) else _stub_function(obj, name)
    text = "\n".join(body)
    support = {Path(n).stem for n in plan.rubric.support_files if n.endswith(".py")}
    imports = [stmt for stmt, bound, keep in _imports(inspect.getsource(ref), support)
               if keep or any(re.search(rf"\b{re.escape(b)}\b", text) for b in bound)]
    head = [
        f'"""{plan.rubric.assignment}: {module}.py. Replace each `raise NotImplementedError` with your',
        'code; keep the names and signatures, the grader calls them."""',
        "",
        "from __future__ import annotations",
        "",
        *imports,
    ]
    return "\n".join(head) + "\n" + text + "\n"


def code_contract(plan: Plan) -> dict[str, list[str]]:
    """Student module -> the names the rubric's code checks call, in rubric order."""
    out: dict[str, list[str]] = {}
    for q in plan.questions:
        for pc in walk_checks(q.checks):
            if pc.spec.code_target:
                module, name = pc.spec.code_target
                names = out.setdefault(module, [])
                if name not in names:
                    names.append(name)
    return out


# --------------------------------------------------------------------------- student kit


def notebook_rows(plan: Plan) -> str:
    """README rows for the student modules graded by running a notebook (the rubric's
    `notebooks`). No stub is made for them: the reference of such a module is a script
    (importing it runs it), and what is graded is what the whole notebook, run top to
    bottom, leaves defined and draws. Each row says which file to hand in (its names and
    the other names accepted) and which questions it answers."""
    rows: list[str] = []
    for module, mode in plan.rubric.notebooks.items():
        questions = [q.id for q in plan.questions
                     if any(pc.spec.code_target and pc.spec.code_target[0] == module for pc in walk_checks(q.checks))]
        if not questions:
            continue
        other = f"; also accepted: {', '.join(f'`{p}`' for p in mode.files)}" if mode.files else ""
        rows.append(f"| `{module}.ipynb` or `{module}.py`{other} | your notebook (or script), run top to bottom "
                    f"like Run All; what it defines and draws is checked for {', '.join(questions)} |\n")
    return "".join(rows)


def staff_graded(plan: Plan) -> tuple[list[str], list[str]]:
    """(README bullets, README table rows): the items the course staff grade by hand (free
    text, figures; `REVIEWED_KINDS`), from the rubric, and for each figure the file it is
    looked for under (its name prefix and extensions)."""
    bullets: list[str] = []
    rows: list[str] = []
    for q in plan.questions:
        for pc in q.checks:
            spec = pc.spec
            if spec.kind not in REVIEWED_KINDS:
                continue
            pts = f"{spec.points:g} point{'' if spec.points == 1 else 's'}"
            if spec.kind == "figure" and spec.code_target:  # drawn by the student's notebook, not a file of its own
                module = spec.code_target[0]
                kind = "notebook (or script)" if module in plan.rubric.notebooks else "code"
                bullets.append(f"- {q.title} ({q.id}): a figure, {pts}: the one your `{module}` {kind} draws.")
            elif spec.kind == "figure":
                prefix, exts = getattr(spec, "prefix", ""), getattr(spec, "extensions", ())
                names = " or ".join(f"`{prefix}*.{ext}`" for ext in exts)
                bullets.append(f"- {q.title} ({q.id}): a figure, {pts}: save it in this folder as {names}.")
                rows.append(f"| {names} | your figure for {q.title} ({q.id}): add it |\n")
            else:
                where = f"`{spec.answer}` in `answers.yaml`" if spec.answer else "your write-up"
                bullets.append(f"- {q.title} ({q.id}): {pts} for what you write in {where}.")
    return bullets, rows


@dataclass(frozen=True)
class BuiltKit:
    root: Path
    files: tuple[str, ...]  # relative POSIX paths


def build_student_kit(plan: Plan, out: Path, *, device: str = "cpu") -> BuiltKit:
    """Write the student kit of `plan` (a full plan, reference included) into `out`."""
    from grader.engine import freeze_outputs, reference_outputs

    if plan.rubric.reference is None:
        raise KitError("a student kit is built from the full rubric (with `reference`), not from a kit's rubric")
    written: list[str] = []

    def write(rel: str, data: str | bytes) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        written.append(rel)

    a = plan.rubric.assignment
    # the grader: rubric (public checks on public inputs, answers checked for form only),
    # probes, support files, the reference's outputs on the public inputs
    write(f"rubrics/{a}.yaml", f"# {a}: {NOTICE}. Answers are checked for their form, code on public inputs\n"
          f"# that grading does not use (built by `grade student-kit`).\n"
          + yaml.safe_dump(kit_rubric(plan), sort_keys=False, allow_unicode=True, width=100))
    write(f"rubrics/{a}/{plan.rubric.probes}", plan.probes_file.read_bytes())
    for name, src in plan.support_files.items():
        write(f"rubrics/{a}/{name}", src.read_bytes())
    if plan.rubric.kinds and (plan.package_dir / "kinds").is_dir() and _kinds_in(kit_questions(plan)[0]) - set(REGISTRY):
        for src, rel in package_tree(plan.package_dir / "kinds", f"rubrics/{a}/kinds"):
            if src.suffix == ".py":
                write(rel, src.read_bytes())
    keys = kit_probe_keys(plan)
    if keys:
        frozen = out / "rubrics" / a / FROZEN_NAME
        freeze_outputs(reference_outputs(dataclasses.replace(plan, probe_keys=keys, frozen_file=None), device), frozen)
        written.append(f"rubrics/{a}/{FROZEN_NAME}")
    for src, rel in engine_files():
        write(f"{ENGINE_DIR}/{rel}", src.read_bytes())
    version, requirements = engine_distribution()
    write("pyproject.toml", pyproject_toml(name=f"{a}-kit-grader", version=version, requirements=requirements,
                                       packages=["grader", "grader.*"], package_dir=ENGINE_DIR,
                                       description=f"Public checks of {a} (student kit)"))
    # the student's side: support files, the answers template, code stubs, CI, README
    for name, src in plan.support_files.items():
        write(name, src.read_bytes())
    write("answers.yaml", answers_template(plan))
    contract = code_contract(plan)
    for module, names in contract.items():
        if module not in plan.rubric.notebooks:  # a notebook is run as a whole: nothing to stub (notebook_rows)
            write(f"{module}.py", stub_source(plan, module, names))
    torch_version = installed_torch_version()
    write(".github/workflows/grade.yml", render_template("grade.yml", ASSIGNMENT=a, PYTHON_VERSION=PYTHON_VERSION,
                                                          TORCH_VERSION=torch_version))
    write(".gitignore", render_template("gitignore"))
    rows = "".join(f"| `{m}.py` | write {', '.join(f'`{n}`' for n in names)} |\n" for m, names in contract.items()
                   if m not in plan.rubric.notebooks) + notebook_rows(plan)
    _, left_out = kit_questions(plan)
    left = ("these public checks are graded there only: " + ", ".join(left_out) + ".") if left_out \
        else "every public check has a public version here."
    staff, figures = staff_graded(plan)
    kit_total = sum(q["points"] for q in kit_questions(plan)[0] if not q.get("bonus"))  # bonus points count on top
    write("README.md", render_template("README.md", TITLE=plan.rubric.title, ASSIGNMENT=a, STUB_ROWS=rows, NOTICE=NOTICE.capitalize(),
                                       LEFT_OUT=left, STAFF_ITEMS="\n".join(staff) or "- nothing in this assignment.",
                                       FIGURE_ROWS="".join(figures), KIT_TOTAL=f"{kit_total:g}",
                                       COURSE_TOTAL=f"{plan.max_score:g}",
                                       SUPPORT_FILES=", ".join(f"`{n}`" for n in plan.support_files) or "(none)",
                                       TORCH_VERSION=torch_version))
    return BuiltKit(root=out, files=tuple(sorted(written)))
