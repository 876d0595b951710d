"""What a cold `grade` does first (issue 20.3: a cold start close to a bare torch import):
reading a rubric imports no torch (a pack's `import probekit` is resolved when a module
asks for it), and the command line ends its process without the interpreter's teardown,
once the exit handlers have run and the output is flushed."""

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


def test_the_command_line_ends_its_process_after_the_exit_handlers() -> None:
    out = _python("""
        import atexit, sys
        atexit.register(print, "exit handler ran")
        sys.argv[1:] = ["schema", "--assignment", "hw1"]
        from grader.cli import main
        main()
        print("main returned")
    """)
    assert out.returncode == 0, out.stderr
    assert "main returned" not in out.stdout
    assert out.stdout.rstrip().endswith("exit handler ran")  # after the whole schema, flushed
    assert '"$schema"' in out.stdout or '"title"' in out.stdout


def test_the_exit_code_is_kept() -> None:
    out = _python("""
        import sys
        sys.argv[1:] = ["no/such/submission"]
        from grader.cli import main
        main()
    """)
    assert out.returncode == 2 and "no such file or directory" in out.stderr


def test_a_running_thread_gets_the_normal_exit() -> None:
    out = _python("""
        import sys, threading, time
        threading.Thread(target=time.sleep, args=(5,)).start()  # still running when main is done
        sys.argv[1:] = ["schema", "--assignment", "hw1"]
        from grader.cli import main
        print("main returned", main())
    """)
    assert out.returncode == 0, out.stderr
    assert "main returned 0" in out.stdout


def test_main_with_arguments_returns() -> None:
    out = _python("""
        from grader.cli import main
        print("main returned", main(["schema", "--assignment", "hw1"]))
    """)
    assert out.returncode == 0, out.stderr
    assert "main returned 0" in out.stdout


def test_a_submission_with_an_answers_file_is_graded_without_the_writeup_reader() -> None:
    out = _python("""
        import sys
        from pathlib import Path
        from grader.engine import Grader
        from grader.rubric import load_plan
        from hw1_testing import EXAMPLE, RUBRIC
        with Grader.create(load_plan(RUBRIC), device="cpu", with_sandbox=False) as g:
            result = g.grade_path(EXAMPLE)
        assert result.score > 0
        print(sorted(m for m in ("grader.writeup.loader", "grader.writeup.extract") if m in sys.modules))
    """)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
