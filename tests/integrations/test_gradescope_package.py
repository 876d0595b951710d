"""`grade gradescope-package`: the zip Gradescope accepts, unpacked into a root laid out
like Gradescope's (<root>/autograder/{source,submission,results}) and run there with this
virtual environment's Python (setup.sh's installs skipped)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from integration_support import EXAMPLE, HW1_RUBRIC, assert_gradescope_results, grade_cli

from grader.engine import Grader
from grader.gradescope_package import build_gradescope_package, gradescope_outline
from grader.rubric import Plan

pytestmark = pytest.mark.slow  # end-to-end: builds the Gradescope zip and runs its scripts


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gs") / "autograder.zip"
    proc = grade_cli("gradescope-package", "--assignment", "hw1", "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out


def _root(tmp_path: Path, package: Path, submission: Path | None) -> Path:
    auto = tmp_path / "autograder"
    for name in ("source", "submission", "results"):
        (auto / name).mkdir(parents=True)
    with zipfile.ZipFile(package) as zf:
        zf.extractall(auto / "source")
    if submission is not None:
        shutil.copytree(submission, auto / "submission", dirs_exist_ok=True)
    return auto


def _run(script: Path, auto: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(script)], cwd=auto, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "AUTOGRADER_ROOT": str(auto), "GRADER_PYTHON": sys.executable, **env})


def test_the_zip_has_the_scripts_at_its_root_and_what_they_need(package: Path) -> None:
    with zipfile.ZipFile(package) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        for name in ("setup.sh", "run_autograder"):
            assert stat.S_IMODE(infos[name].external_attr >> 16) == 0o755, name
            assert zf.read(name).startswith(b"#!/usr/bin/env bash\n")
        for name in ("grader/engine.py", "grader/report/gradescope.py", "assignments/hw1/reference/__init__.py",
                     "assignments/hw1/reference/lab1.py", "assignments/hw1/probes.py", "assignments/hw1/support/lab1.csv",
                     "assignments/hw1/kinds/threshold_unit.py"):
            assert name in infos, name
        assert zf.read("assignments/hw1/rubric.yaml") == HW1_RUBRIC.read_bytes()
        assert not [n for n in infos if n.startswith(("assignments/hw1/examples/", "assignments/hw1/tests/"))]
        assert not [n for n in infos if "__pycache__" in n or n.endswith(".pyc")]
        setup = zf.read("setup.sh").decode()
        assert setup.index('"torch==2.13.0"') < setup.index('"$SOURCE"')  # torch first, then the grader
        assert "@@" not in setup and "@@" not in zf.read("run_autograder").decode()
        meta = tomllib.loads(zf.read("pyproject.toml").decode())
    assert meta["project"]["scripts"]["grade"] == "grader.cli:main"
    assert set(meta["tool"]["setuptools"]["packages"]["find"]["include"]) == {"grader", "grader.*"}  # the pack is data
    assert any(r.startswith("torch") for r in meta["project"]["dependencies"])


def test_the_same_sources_give_the_same_zip(package: Path, tmp_path: Path, plan: Plan) -> None:
    again = tmp_path / "again.zip"
    names = build_gradescope_package(plan, HW1_RUBRIC, again)
    assert again.read_bytes() == package.read_bytes()
    assert names == zipfile.ZipFile(again).namelist()


def test_run_autograder_grades_the_submission_into_results_json(package: Path, tmp_path: Path, plan: Plan) -> None:
    auto = _root(tmp_path, package, EXAMPLE)
    setup = _run(auto / "source" / "setup.sh", auto, GRADER_SKIP_INSTALL="1")
    assert setup.returncode == 0 and "installing nothing" in setup.stdout
    proc = _run(auto / "source" / "run_autograder", auto)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((auto / "results" / "results.json").read_text())
    assert_gradescope_results(doc)
    with Grader.create(plan) as grader:
        want = grader.grade_path(EXAMPLE)
    assert doc["score"] == want.score
    checks = [(q, c) for q in want.questions for c in q.checks]
    assert len(doc["tests"]) == len(checks)
    assert [t["score"] for t in doc["tests"]] == [c.score for _, c in checks]
    hidden = [t for t, (_, c) in zip(doc["tests"], checks) if c.visibility.value == "hidden"]
    assert len(hidden) == 4 and {t["visibility"] for t in hidden} == {"after_published"}
    assert {t["number"] for t in doc["tests"]} >= {"1.1", "2.2", "4.1", "L1.a", "L3.c"}
    assert doc["visibility"] == "after_published"  # the rubric's default: the total waits for the release
    assert {t["visibility"] for t, (_, c) in zip(doc["tests"], checks) if c.visibility.value == "public"} == {"visible"}


def test_a_submission_that_cannot_be_graded_still_gets_results(package: Path, tmp_path: Path) -> None:
    auto = _root(tmp_path, package, None)  # an empty submission folder
    proc = _run(auto / "source" / "run_autograder", auto)
    assert proc.returncode == 0
    doc = json.loads((auto / "results" / "results.json").read_text())
    assert_gradescope_results(doc)
    assert doc["score"] == 0 and doc["tests"] == []
    assert "could not grade this submission" in doc["output"] and "empty" in doc["output"]


def test_the_bundled_sources_build_a_wheel_of_the_engine(package: Path, tmp_path: Path) -> None:
    src = tmp_path / "source"
    with zipfile.ZipFile(package) as zf:
        zf.extractall(src)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-q", "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"grader/kit_templates/setup.sh", "grader/cli.py"} <= names
    assert not [n for n in names if n.startswith(("assignments/", "reference/"))]  # the pack stays beside it
def test_the_zip_says_how_to_set_up_gradescope_and_where_ta_scores_go(package: Path, plan: Plan, tmp_path: Path) -> None:
    outline = gradescope_outline(plan)
    manual = sum(p for _, _, p in outline.manual)
    assert manual > 0 and outline.autograder_points + manual == plan.max_score
    assert all(cid.count(".") >= 2 for _, cid, _ in outline.manual)
    with zipfile.ZipFile(package) as zf:
        guide = zf.read("GRADESCOPE.md").decode()
        assert "--released" not in zf.read("run_autograder").decode()
    assert f"Autograder points: **{outline.autograder_points:g}**" in guide
    assert all(f"`{cid}`" in guide for _, cid, _ in outline.manual) and "grade export" in guide
    assert "hidden from students until grades are published" in guide  # the rubric's default
    released = tmp_path / "released.zip"
    build_gradescope_package(plan, HW1_RUBRIC, released, released=True)
    with zipfile.ZipFile(released) as zf:
        assert "--audience instructor --released" in zf.read("run_autograder").decode()
