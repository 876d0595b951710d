"""The student kit as a student gets it: copied to a new folder, installed into a new
virtual environment (no system site packages: torch==2.13.0 first, then the kit, its other
dependencies resolved by pip), it grades the example submission's public checks with the
same per-check verdicts as the kit's rubric graded here."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from integration_support import EXAMPLE

from grader.engine import Grader
from grader.results import SubmissionResult
from grader.rubric import Plan, load_plan


def _env() -> dict[str, str]:
    """This process's environment without what would point the new venv at this one."""
    return {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}


def _run(*cmd: str | Path, cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=_env())
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
def test_the_kit_in_a_fresh_venv_grades_the_example_like_the_full_grader(hw1_kit: Path, plan: Plan,
                                                                         tmp_path: Path) -> None:
    kit = tmp_path / "student-repo"
    shutil.copytree(hw1_kit, kit)
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    python = venv / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", "torch==2.13.0", cwd=tmp_path)
    _run(python, "-m", "pip", "install", "-q", kit, cwd=tmp_path)
    where = _run(python, "-c", "import grader, torch; print(grader.__file__); print(torch.__version__)", cwd=kit).stdout
    assert where.splitlines()[0].startswith(str(venv)) and where.splitlines()[1].startswith("2.13.0")
    no_ref = subprocess.run([str(python), "-c", "import reference"], cwd=kit, capture_output=True, env=_env())
    assert no_ref.returncode != 0  # the kit grades without the reference package

    shutil.copytree(EXAMPLE, kit, dirs_exist_ok=True)  # the student's work, over the templates
    _run(venv / "bin" / "grade", ".", "--public", "--fail-under", "0", "--json", "result.json", "--junit", "junit.xml",
         cwd=kit)
    got = SubmissionResult.from_json((kit / "result.json").read_text())
    with Grader.create(load_plan(hw1_kit / "rubrics" / "hw1.yaml")) as grader:
        want = grader.grade_path(EXAMPLE)

    def verdicts(r: SubmissionResult) -> list[tuple[str, str, str, float, float, str]]:
        return [(q.id, c.id, c.status.value, c.score, c.max_score, c.message) for q in r.questions for c in q.checks]

    assert verdicts(got) == verdicts(want)
    assert (got.score, got.max_score) == (want.score, want.max_score)
    assert (kit / "junit.xml").read_text().count("<testcase ") == len(verdicts(want))
