"""What a cold `grade` does first (issue 20.3: a cold start close to a bare torch import):
reading a rubric imports no torch (a pack's `import probekit` is resolved when a module
asks for it)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from hw1_testing import RUBRIC

REPO = Path(__file__).resolve().parents[2]


def _python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


def test_reading_a_rubric_with_pack_kinds_imports_no_torch() -> None:
    out = _python("""
        import sys
        from pathlib import Path
        from grader.rubric import load_rubric
        rubric = load_rubric(Path(sys.argv[1]))
        assert rubric.kinds, "the HW1 pack has kinds of its own: this test needs some"
        print(sorted(m for m in ("torch", "probekit", "grader.sandbox.probekit") if m in sys.modules))
    """, str(RUBRIC))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_pack_module_imports_probekit_as_the_graders_own(tmp_path: Path) -> None:
    (tmp_path / "probes.py").write_text("import probekit as pk\n")
    out = _python("""
        import importlib, sys
        from pathlib import Path
        from grader.packs import folder_package, module_name
        probes = importlib.import_module(module_name(folder_package(Path(sys.argv[1])), "probes.py"))
        import probekit
        import grader.sandbox.probekit as own
        assert probes.pk is own and probekit is own
        assert own.__spec__.name == own.__name__ == "grader.sandbox.probekit"
        print("ok")
    """, str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
