"""HW2's Gradescope autograder zip, unpacked into a root laid out as Gradescope's and run
with this environment's Python (setup.sh's installs skipped): it grades the example as the
grader does here, hidden checks shown after publication."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader.cli import main
from grader.packs import Pack

PACK = Pack.at(__file__)


def _run(script: Path, auto: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(script)], cwd=auto, capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "AUTOGRADER_ROOT": str(auto), "GRADER_PYTHON": sys.executable, **env})


@pytest.mark.slow
def test_the_autograder_zip_grades_the_example(tmp_path: Path) -> None:
    package = tmp_path / "autograder.zip"
    assert main(["gradescope-package", "--assignment", "hw2", "--out", str(package)]) == 0
    with zipfile.ZipFile(package) as zf:
        names = zf.namelist()
        assert "assignments/hw2/rubric.yaml" in names and "assignments/hw2/reference/batchnorm.py" in names
        assert not [n for n in names if n.startswith(("assignments/hw2/examples/", "assignments/hw2/tests/"))]
        zf.extractall(tmp_path / "autograder" / "source")
    auto = tmp_path / "autograder"
    for name in ("submission", "results"):
        (auto / name).mkdir()
    shutil.copytree(PACK.root / "examples" / "momentum_order", auto / "submission", dirs_exist_ok=True)
    assert _run(auto / "source" / "setup.sh", auto, GRADER_SKIP_INSTALL="1").returncode == 0
    proc = _run(auto / "source" / "run_autograder", auto)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads((auto / "results" / "results.json").read_text())
    assert doc["score"] == 83
    sgd = [t for t in doc["tests"] if t["name"].startswith("sgd_momentum_step")]
    assert any("weight decay is added after the momentum" in t.get("output", "") for t in sgd)  # the mistake, named
    hidden = [t for t in doc["tests"] if t.get("visibility") == "after_published"]
    assert len(hidden) == 4
