"""Every module of grader/ imports on its own (issue 17: `python -c "import grader.compare"`
failed on an import cycle). One interpreter, started for this test, imports each module in
turn with every grader module forgotten first (sys.modules purged), so each import starts
from nothing of the grader, as in a fresh interpreter; third-party modules stay loaded,
which only saves time. The layering itself is tests/unit/test_layers.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

_SCRIPT = r"""
import importlib, json, pathlib, sys, traceback
root = pathlib.Path(sys.argv[1])
names = []
for p in sorted((root / "grader").rglob("*.py")):
    parts = list(p.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__main__":
        continue  # runs the command line
    names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
failures = {}
for name in names:
    for loaded in [m for m in sys.modules if m == "grader" or m.startswith("grader.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except BaseException as exc:
        failures[name] = traceback.format_exception_only(type(exc), exc)[-1].strip()
print(json.dumps({"imported": len(names), "failures": failures}))
"""


@pytest.mark.slow  # ~10-30 s: re-imports the grader once per module
def test_every_module_imports_alone() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", _SCRIPT, str(REPO)], capture_output=True, text=True, timeout=300,
                          cwd=REPO, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["failures"] == {}
    assert report["imported"] > 60
