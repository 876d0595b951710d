"""Helpers for the sandbox tests: fixture paths, probe calls on student functions,
submissions built from fixture files, and what to look at after a run."""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path

import pytest

from grader.sandbox import CallResult, Limits, ProbeCall

FIXTURES = Path(__file__).parent / "fixtures"
STUDENTS = FIXTURES / "students"
PROBES = FIXTURES / "probes_test.py"
SUPPORT = {"scaffold.py": FIXTURES / "scaffold.py", "data.csv": FIXTURES / "data.csv"}
REPO = Path(__file__).resolve().parents[2]
# Hostile calls get short limits so that the suite stays fast.
FAST = Limits(wall_s=2.0, cpu_s=4.0, memory_mb=1024)
SECRET_ENV = "GRADER_SANDBOX_TEST_SECRET"
SECRET_VALUE = f"s3cret-{uuid.uuid4().hex}"

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="full isolation needs root")


def call(module: str, func: str, *args: object, id: str | None = None, limits: Limits | None = FAST, **kwargs: object) -> ProbeCall:
    """A `call` probe on `module.func(*args, **kwargs)`."""
    return ProbeCall(
        id=id or f"{module}.{func}",
        module=module,
        probe="call",
        args={"module": module, "func": func, "args": list(args), "kwargs": kwargs},
        limits=limits,
    )


GOOD_CALLS = (call("good", "add", 2, 3, id="good.add", limits=None), call("good", "scaled", 7, id="good.scaled", limits=None))


def assert_good(results: dict[str, CallResult]) -> None:
    """The well-behaved module's calls came back right."""
    assert results["good.add"].status == "ok", results["good.add"]
    assert results["good.add"].value == 5
    assert results["good.scaled"].value == 21


def make_submission(root: Path, files: dict[str, str | Path]) -> Path:
    """A submission folder: name -> fixture file name (under students/) or literal text."""
    sub = root / f"submission-{uuid.uuid4().hex[:8]}"
    sub.mkdir()
    for name, source in files.items():
        if isinstance(source, Path):
            shutil.copyfile(source, sub / name)
        elif source.endswith(".py") and (STUDENTS / source).is_file():
            shutil.copyfile(STUDENTS / source, sub / name)
        else:
            (sub / name).write_text(source)
    return sub


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` with a hash of its bytes and its mode."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest() + oct(path.stat().st_mode)
        else:
            out[str(path.relative_to(folder))] = "dir"
    return out


def processes_of(uids: range) -> list[int]:
    """Pids of live (non-zombie) processes running as one of `uids`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        uid = int(fields.get("Uid", "0").split()[0])
        if uid in uids and "Z" not in fields.get("State", ""):
            found.append(int(entry))
    return found
