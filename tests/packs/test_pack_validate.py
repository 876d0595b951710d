"""`grade new-assignment NAME` writes a pack that validates and grades its own examples at
once; `grade validate NAME` prints what each example scores beside what it should and
exits 1 on a mismatch or a problem (issue 16.3, 16.5)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from packs_testing import REPO, edited, make_skeleton

from grader.cli import main

os.environ.setdefault("GRADER_CACHE_DIR", "off")


def test_a_new_assignment_validates_and_grades_its_examples(tmp_path: Path, capsys) -> None:
    root = tmp_path / "assignments"
    assert main(["new-assignment", "toy-pack", "--into", str(root), "--title", 'A "toy"']) == 0
    assert "assignment toy-pack: 11 files in" in capsys.readouterr().out
    assert sorted(p.relative_to(root / "toy-pack").as_posix() for p in (root / "toy-pack").rglob("*") if p.is_file()) == [
        "examples.yaml", "examples/complete/answers.yaml", "examples/complete/solution.py", "examples/empty/answers.yaml",
        "kinds/interval.py", "probes.py", "reference/__init__.py", "reference/solution.py", "rubric.yaml",
        "support/README.md", "tests/test_toy_pack_pack.py"]
    assert main(["validate", str(root / "toy-pack")]) == 0
    out = capsys.readouterr().out
    assert "rubric, reference and probes: no problem found" in out
    assert [" ".join(line.split()) for line in out.splitlines() if line.strip().startswith(("complete", "empty"))] == [
        "complete 8 +2 pending 8 +2 pending ok", "empty 0 0 ok"]
    assert out.rstrip().endswith("ok")


def test_validate_fails_on_a_score_that_is_not_the_recorded_one(skeleton, tmp_path: Path, capsys) -> None:
    pack = edited(skeleton, tmp_path, ("complete:\n  score: 8", "complete:\n  score: 9"), file="examples.yaml")
    assert main(["validate", str(pack.root)]) == 1
    out = capsys.readouterr().out
    assert "complete 8 +2 pending 9 +2 pending MISMATCH" in " ".join(out.split())
    assert out.rstrip().endswith("FAILED")


def test_validate_fails_on_a_wrong_example_and_names_the_question(skeleton, tmp_path: Path, capsys) -> None:
    pack = edited(skeleton, tmp_path, ("return np.where(x > 0, x, 0.0)", "return np.abs(x)"), file="examples/complete/solution.py")
    pack = edited(pack, tmp_path / "b", ("complete:\n  score: 8\n  pending: 2\n", "complete:\n  score: 8\n  pending: 2\n  questions: {q1: 6}\n"),
                  file="examples.yaml")
    assert main(["validate", str(pack.root)]) == 1
    out = capsys.readouterr().out
    assert "q1: scores 0.0, should 6" in out and "MISMATCH" in out


def test_validate_lists_the_problems_of_the_pack(skeleton, tmp_path: Path, capsys) -> None:
    pack = edited(skeleton, tmp_path, ("probe: relu_on\n        args: {shapes: [[3, 4]", "probe: relu\n        args: {shapes: [[3, 4]"))
    pack = edited(pack, tmp_path / "b", ("empty:", "missing:"), file="examples.yaml")
    assert main(["validate", str(pack.root)]) == 1
    out = capsys.readouterr().out
    assert "unknown probe 'relu'; probes.py defines: relu_on" in out and out.rstrip().endswith("FAILED")
    pack = edited(skeleton, tmp_path / "c", ("empty:", "missing:"), file="examples.yaml")
    assert main(["validate", str(pack.root)]) == 1
    out = capsys.readouterr().out
    assert "examples.yaml:6: no example folder examples/missing/" in out and "empty 0 (not recorded) MISMATCH" in " ".join(out.split())


def test_usage_errors(tmp_path: Path, capsys) -> None:
    assert main(["validate", "no-such-pack"]) == 2
    assert "no assignment 'no-such-pack'" in capsys.readouterr().err
    assert main(["new-assignment", "Bad Name", "--into", str(tmp_path)]) == 2
    assert "use lowercase letters" in capsys.readouterr().err
    make_skeleton(tmp_path, "taken")
    assert main(["new-assignment", "taken", "--into", str(tmp_path)]) == 2
    assert "exists" in capsys.readouterr().err


@pytest.mark.slow
def test_the_new_packs_own_tests_pass(tmp_path: Path) -> None:
    root = tmp_path / "assignments"
    make_skeleton(root, "toy-pack")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(root / "toy-pack" / "tests")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout
