"""The HW1 student kit: what it holds, that it grades the public checks as the full grader
does, and that nothing hidden and no reference solution is in it."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import io
import sys
import zipfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
import yaml
from integration_support import EXAMPLE, REPO

import grader
from grader.checks.base import get_path
from grader.cli import main
from grader.engine import Grader, load_frozen_outputs, reference_outputs
from grader.results import Status, SubmissionResult
from grader.rubric import Plan, PlannedCheck, load_plan

STUDENT_FILES = ["answers.yaml", "problem3.py", "lab1.py", "lab2.py", "lab3.py", "scaffold.py", "lab1.csv"]


def _walk(checks: tuple[PlannedCheck, ...]) -> Iterator[PlannedCheck]:
    for pc in checks:
        yield pc
        yield from _walk(pc.alternatives)


def _checks(plan: Plan) -> list[PlannedCheck]:
    return [pc for q in plan.questions for pc in _walk(q.checks)]


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
    hw1 = REPO / "reference" / "hw1"
    assert (hw1_kit / "scaffold.py").read_bytes() == (hw1 / "scaffold.py").read_bytes()
    assert (hw1_kit / "lab1.csv").read_bytes() == (hw1 / "data" / "lab1.csv").read_bytes()
    assert (hw1_kit / "rubrics/hw1/probes.py").read_bytes() == (hw1 / "probes.py").read_bytes()
    assert not [p for p in hw1_kit.rglob("*") if "reference" in p.relative_to(hw1_kit).parts]
    assert not list(hw1_kit.rglob("__pycache__"))


def test_kit_rubric_is_the_public_checks_with_values_written_out(hw1_kit: Path, plan: Plan, kit_plan: Plan) -> None:
    doc = yaml.safe_load((hw1_kit / "rubrics" / "hw1.yaml").read_text())
    assert "reference" not in doc and doc["files"] == "hw1" and doc["frozen"] == "hw1/expected.npz"
    assert "ref:" not in (hw1_kit / "rubrics" / "hw1.yaml").read_text()
    public = plan.public_only(student_side=True)
    assert [q.id for q in kit_plan.questions] == [q.id for q in public.questions]
    assert [q.points for q in kit_plan.questions] == [q.points for q in public.questions]
    assert kit_plan.max_score == public.max_score
    assert public.max_score == pytest.approx(sum(pc.spec.points for pc in _top(plan)
                                                 if pc.spec.visibility == "public" and not pc.spec.oracle))
    assert public.max_score < plan.max_score  # HW1 has hidden points
    assert all(pc.spec.visibility == "public" for pc in _checks(kit_plan))
    full = {(pc.question_id, pc.spec.id): pc.spec for pc in _checks(public)}
    for pc in _checks(kit_plan):
        spec = full[(pc.question_id, pc.spec.id)]
        if pc.spec.kind == "manual":  # TA keys stay with the course
            assert pc.spec.expected is None
            assert spec.model_copy(update={"expected": None}) == pc.spec
        else:
            assert spec == pc.spec, pc.spec.id  # every value, `expected` included, as compiled from the reference
    assert kit_plan.known_paths == plan.known_paths


def test_frozen_outputs_are_the_reference_outputs_of_the_public_probes(kit_plan: Plan, plan: Plan) -> None:
    public = plan.public_only(student_side=True)
    assert set(kit_plan.probe_keys) == set(public.probe_keys)
    frozen = load_frozen_outputs(kit_plan.frozen_file, kit_plan.probe_keys)
    live = reference_outputs(public, "cpu")
    for key in public.probe_keys:
        np.testing.assert_equal(frozen[key], live[key])
    hidden_keys = set(plan.probe_keys) - set(public.probe_keys)
    assert hidden_keys, "HW1 has hidden code checks"
    with pytest.raises(Exception, match="no frozen output"):
        load_frozen_outputs(kit_plan.frozen_file, tuple(hidden_keys))


def _hidden(plan: Plan) -> list[PlannedCheck]:
    return [pc for pc in _checks(plan) if pc.spec.visibility == "hidden"]


def _floats(value: Any) -> list[np.ndarray]:
    if isinstance(value, np.ndarray):
        return [value.astype(np.float64)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [np.array([float(value)])]
    if isinstance(value, dict):
        return [a for v in value.values() for a in _floats(v)]
    if isinstance(value, list):
        return [a for v in value for a in _floats(v)]
    return []


def _hidden_value_needles(plan: Plan) -> list[bytes]:
    hidden = _hidden(plan)
    keys = tuple(dict.fromkeys(pc.probe_key for pc in hidden if pc.probe_key))
    ref = reference_outputs(dataclasses.replace(plan, probe_keys=keys), "cpu")
    arrays: list[np.ndarray] = []
    for pc in hidden:
        if pc.probe_key is not None:
            arrays += _floats(get_path(ref[pc.probe_key], pc.spec.select))
        arrays += _floats(getattr(pc.spec, "expected", None))
    needles: list[bytes] = []
    for arr in arrays:
        flat = arr.ravel()
        needles += [flat.astype("<f8").tobytes(), flat.astype(">f8").tobytes(), flat.astype("<f4").tobytes()]
        for v in flat.tolist():
            needles.append(np.float64(v).tobytes())
            for text in {repr(v), f"{v:.12g}", f"{v:.10g}", f"{v:.8g}", f"{v:.7g}", f"{v:.6f}"}:
                needles.append(text.encode())
    assert len(arrays) >= 4 and all(a.size >= 3 for a in arrays[:4])  # the four hidden data sets' weights
    return needles


def test_no_expected_value_of_a_hidden_check_is_in_the_kit(hw1_kit: Path, plan: Plan) -> None:
    needles = _hidden_value_needles(plan)
    found = [(rel, n) for rel, data in _blobs(hw1_kit) for n in needles if n in data]
    assert not found, found[:5]
    # the search finds what it looks for: the first hidden check's expected weights, as text or raw
    ref = reference_outputs(dataclasses.replace(plan, probe_keys=(_hidden(plan)[0].probe_key,)), "cpu")
    w = next(iter(ref.values()))["w"]
    control = io.BytesIO()
    np.savez(control, w=w)
    assert any(n in control.getvalue() for n in needles)
    assert any(n in ", ".join(f"{v:.8g}" for v in w).encode() for n in needles)


def _strings(spec: Any) -> set[str]:
    out = {v for k, v in spec.model_dump().items() if isinstance(v, str) and k not in ("kind", "visibility")}
    return out | {v for v in spec.args.values() if isinstance(v, str)}


def test_no_hidden_check_is_in_the_kit(hw1_kit: Path, plan: Plan) -> None:
    public = {s for pc in _checks(plan) if pc.spec.visibility == "public" for s in _strings(pc.spec)}
    hidden_only = {s for pc in _hidden(plan) for s in _strings(pc.spec)} - public
    assert {"hidden_small", "hidden_wide", "badly_scaled", "closed_form on a hidden data set (N=20)"} <= hidden_only
    # The probes (trusted code, shipped unchanged: see test_layout) define the data sets by
    # name and seed, so the names the hidden checks pass as arguments are there, and only there.
    arg_names = {v for pc in _hidden(plan) for v in pc.spec.args.values() if isinstance(v, str)}
    for rel, data in _blobs(hw1_kit):
        for s in hidden_only:
            if not (rel == "rubrics/hw1/probes.py" and s in arg_names):
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
    for path in sorted(plan.package_dir.glob("*.py")):
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
        ref = importlib.import_module(f"reference.hw1.{module}")
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


def test_the_kit_grades_the_example_as_the_full_grader_does_with_public(kit_plan: Plan, plan: Plan) -> None:
    with Grader.create(plan.public_only(student_side=True)) as full, Grader.create(kit_plan) as kit:
        want, got = full.grade_path(EXAMPLE), kit.grade_path(EXAMPLE)
    assert _verdicts(got) == _verdicts(want)
    assert got.score == want.score and got.max_score == want.max_score
    assert {c.status for q in got.questions for c in q.checks} >= {Status.PASS, Status.MANUAL}


def test_student_kit_refuses_a_folder_that_is_not_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["student-kit", "--out", str(tmp_path)]) == 2
    assert "not an empty folder (use --force" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
