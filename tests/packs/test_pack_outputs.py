"""Every output works for any pack, not just HW1 (issue 16, done-when): class mode (per
submission JSON/HTML, grades.csv, the class report), the feedback page, Gradescope's
results.json, JUnit XML, the student kit and the Gradescope package, on the skeleton of
`grade new-assignment` (its own check kind included)."""

from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
import yaml

from grader.cli import main
from grader.engine import Grader
from grader.packs import PACKS_ENV, Pack
from grader.rubric import load_plan

os.environ.setdefault("GRADER_CACHE_DIR", "off")


def _class(skeleton: Pack, root: Path) -> Path:
    """Three students: the complete example, the empty one, and a wrong answer."""
    for name, src in (("ann", "complete"), ("bob", "empty"), ("cid", "complete")):
        shutil.copytree(skeleton.examples_dir / src, root / name)
    (root / "cid" / "answers.yaml").write_text("assignment: toy-pack\nq2:\n  zero_fraction: 0.9\n")
    return root


def test_class_mode_writes_results_grades_and_the_class_report(skeleton: Pack, tmp_path: Path, capsys) -> None:
    klass = _class(skeleton, tmp_path / "class")
    out = tmp_path / "out"
    assert main([str(klass), "--rubric", str(skeleton.rubric_path), "--out", str(out)]) == 0
    capsys.readouterr()
    scores = {n: json.loads((out / f"{n}.json").read_text())["score"] for n in ("ann", "bob", "cid")}
    assert scores == {"ann": 8.0, "bob": 0.0, "cid": 6.0}
    report = (out / "report.html").read_text()
    assert "<h1>toy-pack: class report</h1>" in report and "3 submissions graded" in report
    assert "q2" in report and "0.9" in (out / "cid.html").read_text()
    grades = (out / "grades.csv").read_text().splitlines()
    assert grades[0].startswith("Student,SIS User ID,Submission,q1,q2,q3,Total,Max Points")
    assert [row.split(",")[:7] for row in grades[1:]] == [["ann", "ann", "ann", "6", "2", "0", "8"],
                                                          ["bob", "bob", "bob", "0", "0", "0", "0"],
                                                          ["cid", "cid", "cid", "6", "0", "0", "6"]]


def test_single_outputs_for_any_pack(skeleton: Pack, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PACKS_ENV, str(skeleton.root.parent))  # where the course keeps its packs
    sub = skeleton.examples_dir / "complete"
    files = {k: tmp_path / f"r.{k}" for k in ("json", "html", "gs", "xml")}
    assert main([str(sub), "--json", str(files["json"]), "--html", str(files["html"]), "--gradescope", str(files["gs"]),
                 "--junit", str(files["xml"])]) == 0  # the answers file names the pack: no flag needed
    assert "total: 8 / 10" in capsys.readouterr().out
    gs = json.loads(files["gs"].read_text())
    assert gs["score"] == 8.0 and {t["name"].rsplit(" ", 1)[-1] for t in gs["tests"]} >= {"[code]", "[value]", "[reason]"}
    hidden = [t for t in gs["tests"] if t["name"].endswith("[hidden_shapes]")]
    assert hidden and hidden[0]["visibility"] == "after_published"
    suite = ET.fromstring(files["xml"].read_text())
    assert len(suite.findall(".//testcase")) == 4
    assert "0.5 is in the accepted range" in files["html"].read_text()


def test_the_student_kit_of_any_pack_grades_its_public_checks(skeleton: Pack, tmp_path: Path, capsys) -> None:
    kit = tmp_path / "kit"
    assert main(["student-kit", "--rubric", str(skeleton.rubric_path), "--out", str(kit)]) == 0
    capsys.readouterr()
    doc = yaml.safe_load((kit / "rubrics" / "toy-pack.yaml").read_text())
    kinds = [c["kind"] for q in doc["questions"] for c in q["checks"]]
    assert kinds == ["allclose", "form", "form"]  # the hidden check is not there; answers are checked for form only
    template = (kit / "answers.yaml").read_text()
    assert "assignment: toy-pack" in template and "zero_fraction: null  # a number" in template  # the pack kind's text
    assert "0.45" not in template and "0.55" not in template
    stub = (kit / "solution.py").read_text()
    assert "def relu(x: np.ndarray) -> np.ndarray:" in stub and "NotImplementedError" in stub
    with Grader.create(load_plan(kit / "rubrics" / "toy-pack.yaml")) as grader:
        result = grader.grade_path(skeleton.examples_dir / "complete")
    assert result.score == result.max_score == 8.0


def test_the_gradescope_package_of_any_pack(skeleton: Pack, tmp_path: Path, capsys) -> None:
    out = tmp_path / "autograder.zip"
    assert main(["gradescope-package", "--rubric", str(skeleton.rubric_path), "--out", str(out)]) == 0
    capsys.readouterr()
    names = set(zipfile.ZipFile(out).namelist())
    assert {"assignments/toy-pack/rubric.yaml", "assignments/toy-pack/probes.py", "assignments/toy-pack/kinds/interval.py",
            "assignments/toy-pack/reference/solution.py", "run_autograder", "setup.sh"} <= names
    assert not [n for n in names if n.startswith(("assignments/toy-pack/examples/", "assignments/toy-pack/tests/"))]
