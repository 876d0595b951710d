"""Python 3.11-3.13 for the grader, the student kit and the Gradescope zip (issue 19.4, 19.5).

- The kit's and the zip's pyproject admit every supported Python (3.12 failed at
  `pip install .` when it said ">=3.11,<3.12").
- The zip's setup.sh picks a supported interpreter whatever `python3` is on the machine:
  `python3` itself when it is 3.11-3.13, else a `python3.1x` beside it, else it installs
  one (told apart here with `--which-python`, which installs nothing).
- Slow: setup.sh and run_autograder for real where `python3` is 3.10 (Gradescope's
  Ubuntu 22.04 image): setup.sh makes the venv with the 3.11 it finds, installs torch and
  the grader, and run_autograder grades the example with it.

Interpreters come from GRADER_TEST_PYTHONS (a colon-separated list) or pyenv's folders;
a case whose interpreter is not on this machine is skipped with its name."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from integration_support import EXAMPLE, grade_cli

from grader.packaging import SUPPORTED_PYTHONS


def _interpreters() -> dict[str, Path]:
    """minor version ("3.12") -> an interpreter of it found on this machine."""
    listed = [Path(p) for p in os.environ.get("GRADER_TEST_PYTHONS", "").split(":") if p]
    pyenv = Path(os.environ.get("PYENV_ROOT", "/root/.pyenv")) / "versions"
    found = listed + (sorted(pyenv.glob("3.*/bin/python3")) if pyenv.is_dir() else [])
    found += [Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"]
    out: dict[str, Path] = {}
    for exe in found:
        if not exe.is_file():
            continue
        proc = subprocess.run([str(exe), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                              capture_output=True, text=True, timeout=60, check=False)
        if proc.returncode == 0:
            out.setdefault(proc.stdout.strip(), exe)
    return out


PYTHONS = _interpreters()
BASH = shutil.which("bash") or "/bin/bash"


def _python(version: str) -> Path:
    if version not in PYTHONS:
        pytest.skip(f"no Python {version} on this machine (set GRADER_TEST_PYTHONS)")
    return PYTHONS[version]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Gradescope zip, unpacked."""
    root = tmp_path_factory.mktemp("zip")
    proc = grade_cli("gradescope-package", "--assignment", "hw1", "--out", root / "autograder.zip")
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(root / "autograder.zip") as zf:
        zf.extractall(root / "source")
    return root / "source"


def _bin(tmp_path: Path, **links: Path) -> Path:
    """A PATH folder holding only `links` (name -> interpreter) and the tools setup.sh uses."""
    folder = tmp_path / "bin"
    folder.mkdir(parents=True)
    for name, target in links.items():
        (folder / name.replace("_", ".")).symlink_to(target)
    for tool in ("seq",):
        (folder / tool).symlink_to(shutil.which(tool) or f"/usr/bin/{tool}")
    return folder


def _which(source: Path, path: Path) -> str:
    proc = subprocess.run([BASH, str(source / "setup.sh"), "--which-python"], capture_output=True, text=True,
                          timeout=120, check=False, env={"PATH": str(path), "HOME": str(path)})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_both_pyprojects_admit_every_supported_python(source: Path, hw1_kit: Path) -> None:
    assert SUPPORTED_PYTHONS == ("3.11", "3.12", "3.13")
    for pyproject in (source / "pyproject.toml", hw1_kit / "pyproject.toml"):
        spec = tomllib.loads(pyproject.read_text())["project"]["requires-python"]
        assert spec == ">=3.11,<3.14", pyproject
    repo = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    assert repo["project"]["requires-python"] == ">=3.11,<3.14"


@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_setup_uses_python3_when_it_is_supported(source: Path, tmp_path: Path, version: str) -> None:
    exe = _python(version)
    assert _which(source, _bin(tmp_path, python3=exe)) == str(tmp_path / "bin" / "python3")


@pytest.mark.parametrize("other", ["3.10", "3.9"])
def test_setup_looks_beside_an_older_python3_then_installs(source: Path, tmp_path: Path, other: str) -> None:
    old = _python(other)
    new = _python("3.11")
    assert _which(source, _bin(tmp_path / "a", python3=old, python3_11=new)) == str(tmp_path / "a" / "bin" / "python3.11")
    assert _which(source, _bin(tmp_path / "b", python3=old)) == "install"
    text = (source / "setup.sh").read_text()
    assert "apt-get install -y -qq python3.11 python3.11-venv" in text and "uv python install 3.11" in text


@pytest.mark.slow
def test_setup_and_run_autograder_where_python3_is_310(source: Path, tmp_path: Path) -> None:
    """The whole zip on a machine whose python3 is 3.10: setup.sh makes its venv with the
    python3.11 beside it (torch from pip's configured indexes: GRADER_TORCH_INDEX empty),
    then run_autograder grades the example with that venv (no GRADER_PYTHON)."""
    old, new = _python("3.10"), _python("3.11")
    auto = tmp_path / "autograder"
    shutil.copytree(source, auto / "source")
    shutil.copytree(EXAMPLE, auto / "submission")
    (auto / "results").mkdir()
    path = f"{_bin(tmp_path, python3=old, python3_11=new)}:/usr/bin:/bin"
    env = {"PATH": path, "HOME": str(tmp_path), "AUTOGRADER_ROOT": str(auto), "GRADER_TORCH_INDEX": "",
           **{k: v for k, v in os.environ.items() if k.startswith(("PIP_", "SSL_", "REQUESTS_"))}}
    setup = subprocess.run(["bash", str(auto / "source" / "setup.sh")], cwd=auto, env=env, capture_output=True,
                           text=True, timeout=1200, check=False)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    assert re.search(r"using \S+/python3\.11 \(Python 3\.11", setup.stdout), setup.stdout[-2000:]
    run = subprocess.run(["bash", str(auto / "source" / "run_autograder")], cwd=auto, env=env, capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    doc = json.loads((auto / "results" / "results.json").read_text())
    assert doc["score"] == 88 and len(doc["tests"]) > 20
