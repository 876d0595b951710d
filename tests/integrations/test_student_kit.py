"""The HW1 student kit: what it holds, that it grades its public checks, and that it is no
answer key: answers are checked for their form only, code runs on public inputs that
grading does not use, and no expected value of any check, no grading seed, no hidden check
and no reference solution is in it."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import io
import math
import re
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
import yaml
from integration_support import EXAMPLE, REPO, grade_cli

import grader
from grader.checks.base import get_path
from grader.cli import main
from grader.engine import Grader, load_frozen_outputs, reference_outputs
from grader.kit import NOTICE, kit_probe_keys
from grader.results import Status, SubmissionResult
from grader.rubric import Plan, PlannedCheck, load_plan, walk_checks
from hw1_testing import HW1

pytestmark = pytest.mark.slow  # end-to-end: builds the student kit and runs it as a student would

STUDENT_FILES = ["answers.yaml", "problem3.py", "lab1.py", "lab2.py", "lab3.py", "scaffold.py", "lab1.csv"]


def _checks(plan: Plan) -> list[PlannedCheck]:
    return [pc for q in plan.questions for pc in walk_checks(q.checks)]


def _top(plan: Plan) -> list[PlannedCheck]:
    return [pc for q in plan.questions for pc in q.checks]


def _verdicts(result: SubmissionResult) -> list[tuple[str, str, str, float, float, str]]:
    return [(q.id, c.id, c.status.value, c.score, c.max_score, c.message) for q in result.questions for c in q.checks]


def _blobs(kit: Path) -> list[tuple[str, bytes]]:
    """Every file of the kit, and every member of every zip-based file (npz) in it."""
    out = []
    for path in sorted(p for p in kit.rglob("*") if p.is_file()):
        data = path.read_bytes()
        rel = path.relative_to(kit).as_posix()
        out.append((rel, data))
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                out += [(f"{rel}:{name}", zf.read(name)) for name in zf.namelist()]
    return out


@pytest.fixture(scope="module")
def kit_plan(hw1_kit: Path) -> Plan:
    return load_plan(hw1_kit / "rubrics" / "hw1.yaml")


def test_layout(hw1_kit: Path) -> None:
    for rel in [*STUDENT_FILES, "README.md", ".gitignore", "pyproject.toml", ".github/workflows/grade.yml",
                "rubrics/hw1.yaml", "rubrics/hw1/probes.py", "rubrics/hw1/scaffold.py", "rubrics/hw1/lab1.csv",
                "rubrics/hw1/expected.npz", "_grader/grader/engine.py", "_grader/grader/cli.py"]:
        assert (hw1_kit / rel).is_file(), rel
    hw1 = REPO / "assignments" / "hw1"
    assert (hw1_kit / "scaffold.py").read_bytes() == (hw1 / "support" / "scaffold.py").read_bytes()
    assert (hw1_kit / "lab1.csv").read_bytes() == (hw1 / "support" / "lab1.csv").read_bytes()
    assert (hw1_kit / "rubrics/hw1/probes.py").read_bytes() == (hw1 / "probes.py").read_bytes()
    assert not [p for p in hw1_kit.rglob("*") if "reference" in p.relative_to(hw1_kit).parts]
    assert not list(hw1_kit.rglob("__pycache__"))


def test_the_kit_rubric_checks_answers_for_form_only_and_code_on_public_inputs(hw1_kit: Path, plan: Plan,
                                                                               kit_plan: Plan) -> None:
    doc = yaml.safe_load((hw1_kit / "rubrics" / "hw1.yaml").read_text())
    assert "reference" not in doc and doc["files"] == "hw1" and doc["frozen"] == "hw1/expected.npz"
    assert doc["notice"] == NOTICE == "public checks only: this is not your grade"
    assert "ref:" not in (hw1_kit / "rubrics" / "hw1.yaml").read_text()
    public = plan.public_only()
    full = {(pc.question_id, pc.spec.id): pc.spec for pc in _checks(public)}
    assert {q.id for q in kit_plan.questions} <= {q.id for q in public.questions}
    grading_keys = set(plan.probe_keys)
    kinds = set()
    for pc in _checks(kit_plan):
        spec, was = pc.spec, full[(pc.question_id, pc.spec.id)]
        kinds.add(spec.kind)
        assert spec.visibility == "public" and spec.points == was.points
        assert getattr(spec, "expected", None) is None, pc.spec.id  # no answer, no rubric-given output
        if was.answer and not was.code:
            assert spec.kind == "form" and spec.answer == was.answer
        elif was.code:
            assert spec.args == was.public_args and spec.public_args is None
            assert pc.probe_key not in grading_keys  # never an input the instructor grades on
        elif was.kind == "best_of":
            assert [a.spec.id for a in pc.alternatives] == [c.id for c in was.checks]
        else:
            assert spec == was  # a figure: nothing to hide
    assert {"form", "allclose", "trajectory", "figure"} <= kinds
    assert kit_plan.known_paths == plan.known_paths
    # every public code check is in the kit or named in its README as graded by the course only
    readme = (hw1_kit / "README.md").read_text()
    assert NOTICE.capitalize() in readme
    kept = {(pc.question_id, pc.spec.id) for pc in _checks(kit_plan)}
    for (qid, cid), spec in full.items():
        if spec.code and (qid, cid) not in kept:
            assert spec.public_args is None and f"{qid} {cid}" in readme


def test_frozen_outputs_are_the_reference_outputs_on_public_inputs_only(kit_plan: Plan, plan: Plan) -> None:
    keys = kit_probe_keys(plan)
    assert set(kit_plan.probe_keys) == set(keys) and keys
    assert not set(keys) & set(plan.probe_keys)
    frozen = load_frozen_outputs(kit_plan.frozen_file, kit_plan.probe_keys)
    live = reference_outputs(dataclasses.replace(plan, probe_keys=keys), "cpu")
    for key in keys:
        np.testing.assert_equal(frozen[key], live[key])
    for key in plan.probe_keys:  # not one grading call
        with pytest.raises(Exception, match="no frozen output"):
            load_frozen_outputs(kit_plan.frozen_file, (key,))


# --------------------------------------------------------------------------- leak searches


def _kit_data_files(kit: Path) -> list[tuple[str, bytes]]:
    """The kit's files a leak could hide in: all of them and their zip members, less the
    engine's source (asserted identical to the grader package: the same for every course)
    and the support files (given to every student by the course, identical to the course's)."""
    engine = Path(grader.__file__).resolve().parent
    for path in sorted((kit / "_grader" / "grader").rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (engine / path.relative_to(kit / "_grader" / "grader")).read_bytes(), path
    hw1 = REPO / "assignments" / "hw1"
    support = {"scaffold.py": hw1 / "support" / "scaffold.py", "lab1.csv": hw1 / "support" / "lab1.csv"}
    out = []
    for rel, data in _blobs(kit):
        name = rel.rsplit("/", 1)[-1]
        if rel.startswith("_grader/"):
            continue
        if name in support and rel in (name, f"rubrics/hw1/{name}"):
            assert data == support[name].read_bytes(), rel
            continue
        out.append((rel, data))
    return out


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _array(value: Any) -> np.ndarray | None:
    if isinstance(value, np.ndarray):
        return value.astype(np.float64).ravel() if value.dtype.kind in "biuf" else None
    nums = [v for v in _leaves(value) if isinstance(v, (int, float, np.ndarray)) and not isinstance(v, bool)]
    if not nums:
        return None
    return np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in nums])


def _expected_values(plan: Plan) -> list[tuple[str, Any, float, float]]:
    """(check, expected value, rtol, atol) of every check of the full rubric, public and
    hidden: the rubric's `expected` (answer keys, TA keys) and the reference's output on
    the grading inputs (what a code check compares with)."""
    ref = reference_outputs(plan, "cpu")
    out = []
    for pc in _checks(plan):
        spec = pc.spec
        rtol, atol = (spec.rtol, spec.atol) if spec.rtol is not None else (1e-6, 1e-9)
        if getattr(spec, "expected", None) is not None:
            out.append((f"{pc.question_id} {spec.id}", spec.expected, rtol, atol))
        if pc.probe_key is not None:  # its numbers: names in a probe's output (layer names, kinds) are structure
            value = get_path(ref[pc.probe_key], spec.select)
            out.append((f"{pc.question_id} {spec.id}", _array(value) if not isinstance(value, str) else None, rtol, atol))
    return out


def _simple(v: float, tol: float) -> bool:
    """A number anyone writes for other reasons (a small multiple of 1/4), or within the
    check's tolerance of one: searching for it finds nothing meaningful."""
    if not math.isfinite(v) or abs(v) >= 1e4:
        return not math.isfinite(v)
    return abs(v * 4 - round(v * 4)) * 0.25 <= tol


_NUMBER = re.compile(rb"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _kit_numbers(files: list[tuple[str, bytes]]) -> list[tuple[str, np.ndarray]]:
    """Every number of every kit file: the numeric literals of its text and the arrays of
    every .npy member."""
    out = []
    for rel, data in files:
        if rel.endswith(".npy"):
            arr = np.load(io.BytesIO(data), allow_pickle=False)
            if arr.dtype == np.uint8:  # the frozen file's index: JSON text
                data = arr.tobytes()
            elif arr.dtype.kind in "biuf":
                out.append((rel, arr.astype(np.float64).ravel()))
                continue
            else:
                continue
        found = [float(m) for m in _NUMBER.findall(data)]
        if found:
            out.append((rel, np.array(found)))
    return out


def _texts(v: float) -> set[bytes]:
    return {t.encode() for t in (repr(v), f"{v:.12g}", f"{v:.10g}", f"{v:.8g}", f"{v:.6g}", f"{v:.5g}")
            if len(t.strip("-").replace(".", "").lstrip("0")) >= 5}


def _raw(arr: np.ndarray) -> set[bytes]:
    flat = arr[: 16] if arr.size > 64 else arr
    with np.errstate(over="ignore", invalid="ignore"):
        return _raw_forms(flat)


def _raw_forms(flat: np.ndarray) -> set[bytes]:
    return {flat.astype("<f8").tobytes(), flat.astype(">f8").tobytes(), flat.astype("<f4").tobytes()} | \
        ({flat.astype("<i8").tobytes(), flat.astype("<i4").tobytes()} if np.array_equal(flat, np.round(flat)) else set())


def test_no_expected_value_of_any_check_is_in_the_kit(hw1_kit: Path, plan: Plan) -> None:
    """Every expected value of every check (answers and code, public and hidden), searched
    in every kit file: strings as text, numbers as text, raw bytes (whole arrays) and, for
    arrays of up to 64 numbers, every number of the kit within the check's tolerance."""
    files = _kit_data_files(hw1_kit)
    numbers = _kit_numbers(files)
    found: list[tuple[str, str, Any]] = []
    searched = 0
    for label, value, rtol, atol in _expected_values(plan):
        for s in (v for v in _leaves(value) if isinstance(v, str) and len(v) >= 3):
            pattern = re.compile(rb"\b" + re.escape(s.encode()) + rb"\b", 0 if s.isupper() else re.IGNORECASE)
            found += [(label, rel, s) for rel, data in files if pattern.search(data)]
            searched += 1
        arr = _array(value)
        if arr is None or arr.size == 0:
            continue
        if arr.size >= 3 and not all(_simple(v, 0) for v in arr[:64]):
            for needle in _raw(arr):
                found += [(label, rel, "raw bytes") for rel, data in files if needle in data]
        if arr.size >= 6:  # a matrix of simple numbers: its first row, as written in YAML or Python
            head = arr[: min(arr.size, 9)]
            for sep in (", ", ","):
                text = sep.join(f"{v:g}" for v in head).encode()
                found += [(label, rel, "row") for rel, data in files if text in data]
        for v in arr.tolist() if arr.size <= 64 else arr[:8].tolist():
            if _simple(v, max(atol, rtol * abs(v))):
                continue
            searched += 1
            for text in _texts(v):
                found += [(label, rel, text) for rel, data in files if text in data]
            if arr.size <= 64:
                tol = max(atol, rtol * abs(v))
                found += [(label, rel, v) for rel, nums in numbers if np.any(np.abs(nums - v) <= tol)]
    assert not found, found[:8]
    assert searched > 150  # the lab1 outputs, Problem 3's and Lab 3's arrays, the key's strings


def test_the_leak_search_finds_what_it_looks_for(plan: Plan, tmp_path: Path) -> None:
    """The searches above on a kit that leaks: the old kit's frozen grading outputs, the
    answer key as YAML and a hidden weight rounded to the check's tolerance."""
    labelled = _expected_values(plan)
    w = next(v for label, v, _, _ in labelled if label == "lab1.a hidden_small")
    assert isinstance(w, np.ndarray) and w.shape == (3,)
    control = io.BytesIO()
    np.savez(control, w=w)
    leaky = [("a.npz:w.npy", zipfile.ZipFile(control).read("w.npy")),
             ("key.yaml", b"q2_1: AND\nw: [%.7f, 0]\n" % w[0]), ("m.yaml", b"q: [0, 0, -0.25, -0.5, 1.75]")]
    assert any(n in leaky[0][1] for n in _raw(w))
    assert any(np.any(np.abs(nums - w[0]) <= 1e-6 * abs(w[0])) for _, nums in _kit_numbers(leaky))
    assert re.search(rb"\bAND\b", leaky[1][1])
    q41 = next(v for label, v, _, _ in labelled if label == "problem4.q4_1 output")
    assert b", ".join(f"{v:g}".encode() for v in np.asarray(q41, dtype=float).ravel()[:5]) in leaky[2][1]


def _grading_seeds(plan: Plan) -> set[int]:
    def walk(v: Any) -> Iterator[int]:
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "seed" and isinstance(x, int):
                    yield x
                yield from walk(x)
        elif isinstance(v, list):
            for x in v:
                yield from walk(x)

    seeds = set()
    for pc in _checks(plan):
        seeds |= set(walk(pc.spec.args))
        if isinstance(getattr(pc.spec, "seed", None), int):
            seeds.add(pc.spec.seed)
    return seeds


def test_no_grading_seed_is_in_the_kit(hw1_kit: Path, plan: Plan) -> None:
    seeds = _grading_seeds(plan)
    assert {20240101, 20240102, 20240103, 20240104, 20240105} <= seeds  # the Lab 1 data sets
    kit_doc = yaml.safe_load((hw1_kit / "rubrics" / "hw1.yaml").read_text())
    kit_seeds = set()

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if k == "seed":
                    kit_seeds.add(x)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(kit_doc)
    assert kit_seeds and not kit_seeds & seeds  # the kit's inputs have seeds of their own
    needles = []
    for seed in (s for s in seeds if s >= 1000):
        needles += [str(seed).encode(), f"{seed:_}".encode(), np.int64(seed).tobytes(), np.int32(seed).tobytes(),
                    np.float64(seed).tobytes()]
    found = [(rel, n) for rel, data in _blobs(hw1_kit) for n in needles if n in data]
    assert not found, found[:5]


def _hidden(plan: Plan) -> list[PlannedCheck]:
    return [pc for pc in _checks(plan) if pc.spec.visibility == "hidden"]


def _strings(spec: Any) -> set[str]:
    out = {v for k, v in spec.model_dump().items() if isinstance(v, str) and k not in ("kind", "visibility")}
    return out | {v for v in spec.args.values() if isinstance(v, str)}


def test_no_hidden_check_is_in_the_kit(hw1_kit: Path, plan: Plan) -> None:
    public = {s for pc in _checks(plan) if pc.spec.visibility == "public" for s in _strings(pc.spec)}
    hidden_only = {s for pc in _hidden(plan) for s in _strings(pc.spec)} - public
    assert {"hidden_small", "hidden_wide", "badly_scaled", "closed_form on a hidden data set (N=20)"} <= hidden_only
    for rel, data in _blobs(hw1_kit):  # the probes too: the hidden data sets are the rubric's, not theirs
        for s in hidden_only:
            assert s.encode() not in data, (rel, s)
        for pc in _hidden(plan):
            assert f"id: {pc.spec.id}".encode() not in data and f'"id": "{pc.spec.id}"'.encode() not in data


def _reference_only_text(plan: Plan) -> set[str]:
    """Function bodies (line by line), docstrings and long string constants of the
    reference solutions, less what the probes, the support files and the grader engine
    (shipped by design: generic code that checks a property, e.g. a truth table) contain."""
    engine = Path(grader.__file__).resolve().parent
    shipped = "".join(p.read_text(errors="replace") for p in [plan.probes_file, *plan.support_files.values(),
                                                              *sorted(engine.rglob("*.py"))])
    skip = {plan.probes_file.name, "__init__.py", *plan.support_files}
    texts: set[str] = set()
    own = [*sorted((plan.package_dir / "reference").glob("*.py")), *sorted(plan.package_dir.glob("*.py"))]  # the pack's
    for path in own:
        if path.name in skip:
            continue
        source = path.read_text()
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if ast.get_docstring(node) else node.body
                for stmt in body:
                    for line in (ast.get_source_segment(source, stmt) or "").splitlines():
                        if len(line.strip()) >= 20:
                            texts.add(line.strip())
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node):
                texts.add(ast.get_docstring(node).splitlines()[0].strip())
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) >= 30:
                texts.add(node.value.strip()[:60])
    return {t for t in texts if len(t) >= 20 and t not in shipped}


def test_no_reference_solution_text_is_in_the_kit(hw1_kit: Path, plan: Plan) -> None:
    texts = _reference_only_text(plan)
    assert "q, r = np.linalg.qr(A, mode=\"reduced\")" in texts  # lab1's closed form
    assert "self.conv1 = CONV(3, 6, 5)" in texts  # lab2's model
    found = [(rel, t) for rel, data in _blobs(hw1_kit) for t in texts if t.encode() in data]
    assert not found, found[:5]


def test_workflow_installs_torch_first_and_grades_the_public_checks(hw1_kit: Path) -> None:
    wf = yaml.safe_load((hw1_kit / ".github/workflows/grade.yml").read_text())
    steps = wf["jobs"]["grade"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert uses[0].startswith("actions/checkout@") and uses[1].startswith("actions/setup-python@")
    assert steps[1]["with"]["python-version"] == "3.11"
    install = steps[2]["run"]
    assert install.index("torch==2.13.0") < install.index("pip install .")
    assert "--index-url https://download.pytorch.org/whl/cpu" in install
    grade = next(s for s in steps if "grade ." in s.get("run", ""))
    assert "grade . --public --fail-under 0 --junit junit.xml --html feedback.html" in grade["run"]
    assert grade["shell"] == "bash"  # -o pipefail: the grader's exit status is the step's
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert summary["if"] == upload["if"] == "always()"
    assert "feedback.html" in upload["with"]["path"]


def test_stubs_have_the_reference_signatures_and_raise(hw1_kit: Path, plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(hw1_kit))
    for name in ("scaffold", "problem3", "lab1", "lab2", "lab3"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    calls = {"problem3": ["sigmoid_layer_jacobians", "two_layer_grads"], "lab1": ["closed_form", "lms"],
             "lab2": ["LeNet5"], "lab3": ["layer_gradients", "zero_init"]}
    for module, names in calls.items():
        stub = importlib.import_module(module)
        ref = HW1.module(f"reference.{module}")
        for name in names:
            got, want = getattr(stub, name), getattr(ref, name)
            if inspect.isclass(want):
                assert [b.__name__ for b in got.__bases__] == [b.__name__ for b in want.__bases__]
                got, want = got.__init__, want.__init__
            g, w = inspect.signature(got), inspect.signature(want)
            assert [(p.name, p.kind, p.default, p.annotation) for p in g.parameters.values()] == \
                   [(p.name, p.kind, p.default, p.annotation) for p in w.parameters.values()]
            assert g.return_annotation == w.return_annotation
        first = getattr(stub, names[0])
        with pytest.raises(NotImplementedError):
            first() if inspect.isclass(first) else first(*[None] * len(inspect.signature(first).parameters))
    assert "from scaffold import CONV, FC" in (hw1_kit / "lab2.py").read_text()
    assert "import reference" not in (hw1_kit / "lab2.py").read_text()


def test_the_bare_kit_grades_as_not_submitted(hw1_kit: Path, kit_plan: Plan) -> None:
    with Grader.create(kit_plan) as grader:
        result = grader.grade_path(hw1_kit)
    assert result.score == 0 and result.warnings == []
    by_source = {}
    for q in result.questions:
        for c in q.checks:
            by_source.setdefault((c.source or "").split(":")[0], set()).add(c.status)
    assert by_source["answers"] == {Status.MISSING}  # every key present, every value a placeholder
    assert by_source["code"] == {Status.ERROR}  # every function there, each not written yet
    messages = [c.message for q in result.questions for c in q.checks if (c.source or "").startswith("code:")]
    assert all("NotImplementedError" in m for m in messages), messages[:3]
    template = yaml.safe_load((hw1_kit / "answers.yaml").read_text())
    assert template["problem2"]["q2_2"] is None and template["lab1"]["closed_form"] == {"w": None, "mse": None}


def test_the_kit_says_it_is_not_a_grade(hw1_kit: Path, tmp_path: Path) -> None:
    kit = tmp_path / "kit"
    kit.mkdir()
    for rel in ("rubrics", "lab1.csv", "scaffold.py"):
        src = hw1_kit / rel
        if src.is_dir():
            import shutil

            shutil.copytree(src, kit / rel)
        else:
            (kit / rel).write_bytes(src.read_bytes())
    (kit / "answers.yaml").write_text((hw1_kit / "answers.yaml").read_text())
    proc = grade_cli(".", "--public", "--json", "r.json", cwd=kit)
    assert proc.returncode == 0, proc.stderr
    assert f"note: {NOTICE}" in proc.stdout
    assert SubmissionResult.from_json((kit / "r.json").read_text()).notes[0] == NOTICE


def test_the_kit_grades_the_example_on_its_public_checks(kit_plan: Plan) -> None:
    with Grader.create(kit_plan) as kit:
        got = kit.grade_path(EXAMPLE)
    assert got.notes[0] == NOTICE
    # a correct submission passes every public check; only what needs a person (the Lab 1
    # figure, issue 11 item 5) waits for a TA, with its points pending
    checks = [c for q in got.questions for c in q.checks]
    pending = [c for c in checks if c.status == Status.MANUAL]
    assert [c.id for c in pending] == ["figure"]
    assert all(c.score == c.max_score for c in checks if c.status != Status.MANUAL)
    assert got.score + sum(c.max_score for c in pending) == got.max_score == kit_plan.max_score
    forms = [c for q in got.questions for c in q.checks if (c.source or "").startswith("answers:")]
    assert forms and all("whether it is right is checked only when the course grades your work" in c.message
                         for c in forms)


def test_the_kit_checks_the_form_of_answers_never_their_value(kit_plan: Plan, tmp_path: Path) -> None:
    """Wrong answers of the right form pass in the kit; answers of the wrong form fail,
    with the key and what was expected."""
    answers = yaml.safe_load((EXAMPLE / "answers.yaml").read_text())
    answers["problem1"]["q1_1"]["answer"] = False
    answers["problem2"]["q2_1"]["function"] = "OR"
    answers["problem4"]["q4_1"] = [[7.5] * 9 for _ in range(5)]
    answers["lab1"]["closed_form"]["w"] = [1, 2, 3]
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "answers.yaml").write_text(yaml.safe_dump(answers))
    answers["problem4"]["q4_1"] = [[1.0] * 9 for _ in range(4)]
    answers["lab1"]["closed_form"]["w"] = [1, float("inf"), 3]
    answers["problem2"]["q2_2"] = {"w": [1, 2, 3], "bias": 4}
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "answers.yaml").write_text(yaml.safe_dump(answers))
    with Grader.create(kit_plan, with_sandbox=False) as kit:
        right_form, wrong_form = kit.grade_path(wrong), kit.grade_path(bad)
    for qid, cid in [("problem1.q1_1", "answer"), ("problem2.q2_1", "function"), ("problem4.q4_1", "output"),
                     ("lab1.a", "reported_w")]:
        assert check(right_form, qid, cid).status == Status.PASS, (qid, check(right_form, qid, cid).message)
    assert "problem4.q4_1: expected 5 items, got 4" in check(wrong_form, "problem4.q4_1", "output").message
    assert "is not a finite number" in check(wrong_form, "lab1.a", "reported_w").message
    assert 'unexpected key(s) "bias"' in check(wrong_form, "problem2.q2_2", "weights").message


def _check_of(result: SubmissionResult, qid: str, cid: str):
    return next(c for q in result.questions if q.id == qid for c in q.checks if c.id == cid)


check = _check_of

# What computing an answer looks like in a probe: a trusted gradient (autograd, torch.func,
# a loss, backward, an optimizer step), a reference convolution, a MAC count (an output's
# element count times a fan-in). Recording what the student's model is (shapes, kinds,
# kernel sizes) is not computing an answer, and is not matched.
_ANSWER_CODE = [r"\bautograd\b", r"\btorch\.func\b", r"\bjac(?:rev|fwd|obian)\b", r"\bcross_entropy\b", r"\bnll_loss\b",
                r"\bmse_loss\b", r"\.backward\s*\(", r"\boptim\.", r"\bconv2d\s*\(", r"numel\(\)\)*\s*\*",
                r"\*\s*[\w.]*numel\(\)", r"\bin_channels\s*//", r"\bdef\s+_?macs\b"]


def test_no_kit_file_holds_code_that_computes_an_answer(hw1_kit: Path) -> None:
    """Probes in the kit only call the student's code and return what it returned: no
    trusted gradient (autograd, a loss), no MAC count formula. (The engine, the same for
    every course, and the course's scaffold, given to every student, are not searched.)"""
    found = []
    for rel, data in _kit_data_files(hw1_kit):
        if rel.endswith((".py", ".ipynb")):
            text = data.decode("utf-8", "replace")
            found += [(rel, p) for p in _ANSWER_CODE if re.search(p, text)]
    assert not found, found


def _copier(kit: Path, plan: Plan) -> tuple[str, dict[str, Any]]:
    """lab1.py and answers made only of numbers the kit holds: its functions return the
    frozen closed_form w and, per learning rate, the frozen lms (w, mse) (the first one for
    a rate the kit does not have); the answers are the same numbers."""
    frozen = load_frozen_outputs(kit / "rubrics/hw1/expected.npz", kit_probe_keys(plan))
    cf = next(v["w"] for k, v in frozen.items() if k.probe == "closed_form")
    by_lr: dict[float, tuple[list[float], list[float]]] = {}
    for k, v in frozen.items():
        if k.probe == "lms":
            by_lr.setdefault(float(k.args["lr"]), (v["w"].tolist(), v["mse"].tolist()))
    source = textwrap.dedent(f"""\
        import numpy as np
        nan, inf = float("nan"), float("inf")
        CF = {cf.tolist()!r}
        BY_LR = {by_lr!r}
        FIRST = BY_LR[{next(iter(by_lr))!r}]

        def closed_form(X, y):
            return np.array(CF)

        def lms(X, y, lr=0.01, epochs=20):
            w, mse = BY_LR.get(float(lr), FIRST)
            return np.array(w), np.array(mse)
        """)
    w, mse = by_lr[0.01]
    answers = {"lab1": {"closed_form": {"w": cf.tolist(), "mse": mse[-1]}, "lms": {"w": w}}}
    return source, answers


def _problem3_copier(kit: Path, plan: Plan) -> str:
    """problem3.py returning the kit's frozen Problem 3 outputs, case after case, whatever
    it is given."""
    frozen = load_frozen_outputs(kit / "rubrics/hw1/expected.npz", kit_probe_keys(plan))
    cases = {k.probe: [{n: v.tolist() for n, v in case.items() if isinstance(v, np.ndarray)}
                       for case in out["cases"]] for k, out in frozen.items() if k.module == "problem3"}
    assert set(cases) == {"jacobians", "two_layer_grads"}
    return textwrap.dedent(f"""\
        import numpy as np
        JAC = {cases["jacobians"]!r}
        GRADS = {cases["two_layer_grads"]!r}
        calls = {{"jac": 0, "grads": 0}}

        def sigmoid_layer_jacobians(W, b, x):
            case = JAC[calls["jac"] % len(JAC)]
            calls["jac"] += 1
            return np.array(case["dx"]), np.array(case["dW"]), np.array(case["db"])

        def two_layer_grads(W1, b1, W2, b2, x1, t):
            case = GRADS[calls["grads"] % len(GRADS)]
            calls["grads"] += 1
            return {{k: np.array(case[k]) for k in ("W1", "b1", "W2", "b2")}}
        """)


def test_a_submission_copied_from_the_kit_scores_0_on_every_graded_code_check(hw1_kit: Path, plan: Plan,
                                                                                tmp_path: Path) -> None:
    source, answers = _copier(hw1_kit, plan)
    sub = tmp_path / "copied"
    sub.mkdir()
    (sub / "lab1.py").write_text(source)
    (sub / "problem3.py").write_text(_problem3_copier(hw1_kit, plan))
    (sub / "answers.yaml").write_text(yaml.safe_dump(answers))
    # the same trick with the reference's outputs on the grading inputs (what the old kit
    # shipped) earns points: the copier works, the kit gives it nothing to copy
    keys = tuple(k for k in plan.probe_keys if k.module == "lab1")
    graded = reference_outputs(dataclasses.replace(plan, probe_keys=keys), "cpu")
    old = tmp_path / "old"
    old.mkdir()
    cf = next(v["w"] for k, v in graded.items() if k.probe == "closed_form" and k.args["dataset"] == "course")
    by_lr = {float(k.args["lr"]): (v["w"].tolist(), v["mse"].tolist()) for k, v in graded.items()
             if k.probe == "lms" and k.args["dataset"] == "course"}
    (old / "lab1.py").write_text(source.split("\n", 1)[0] + "\n" + re.sub(
        r"CF = .*\nBY_LR = .*\n", lambda _: f"CF = {cf.tolist()!r}\nBY_LR = {by_lr!r}\n", source.split("\n", 1)[1]))
    # A submission that knows nothing earns nothing either: a NaN curve has not diverged
    # (it never was a number) and the sizes Problem 3's probes echo earn no credit.
    blind = tmp_path / "blind"
    blind.mkdir()
    (blind / "lab1.py").write_text("import numpy as np\n\ndef closed_form(X, y):\n    return np.zeros(3)\n\n"
                                   "def lms(X, y, lr=0.01, epochs=20):\n    return np.full(3, np.nan), np.full(epochs, np.nan)\n")
    (blind / "problem3.py").write_text("def sigmoid_layer_jacobians(W, b, x):\n    return 0, 0, 0\n\n"
                                       "def two_layer_grads(W1, b1, W2, b2, x1, t):\n"
                                       "    return {'W1': 0, 'b1': 0, 'W2': 0, 'b2': 0}\n")
    with Grader.create(plan) as full:
        copied, control, nothing = full.grade_path(sub), full.grade_path(old), full.grade_path(blind)
    code_checks = {(q.id, pc.spec.id) for q in plan.questions for pc in q.checks
                   if pc.spec.code or any(alt.spec.code for alt in pc.alternatives)}
    scores = {(q.id, c.id): c.score for q in copied.questions for c in q.checks if (q.id, c.id) in code_checks}
    blind_scores = {(q.id, c.id): c.score for q in nothing.questions for c in q.checks if (q.id, c.id) in code_checks}
    free = {key for key, score in blind_scores.items() if score > 0}
    assert not free, free
    assert len(scores) == len(code_checks) >= 20
    earned = {key: (score, blind_scores[key]) for key, score in scores.items() if score > blind_scores[key]}
    assert not earned, earned  # (copied, knowing nothing): not one point more than knowing nothing
    assert all(scores[key] == 0 for key in code_checks - free)
    lab1_answers = [(q.id, c.id, c.score) for q in copied.questions if q.id.startswith("lab1")
                    for c in q.checks if (c.source or "").startswith("answers:") and c.id.startswith("reported")]
    assert len(lab1_answers) == 3 and all(score == 0 for _, _, score in lab1_answers), lab1_answers
    assert _check_of(control, "lab1.a", "course_data").score == 1
    assert _check_of(control, "lab1.b", "final_w").score == 1 and _check_of(control, "lab1.b", "mse_curve").score == 2
    assert _check_of(control, "lab1.d", "r_0_001").score == 0.8


def test_student_kit_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["student-kit", "--out", str(tmp_path)]) == 2
    assert "not an empty folder (use --force" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
