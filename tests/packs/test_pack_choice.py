"""No silent default (issue 16.4): the assignment comes from --assignment, the answers
file's `assignment:` key, or the only pack installed; otherwise exit 2 listing the packs.
A HW2-like submission is never graded as HW1."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from packs_testing import HW1_PACK, make_skeleton

from grader.cli import main
from grader.packs import PACKS_ENV, PackError, choose_rubric, discover

os.environ.setdefault("GRADER_CACHE_DIR", "off")


def _hw2_like(folder: Path, answers: str | None = None) -> Path:
    """What a HW2 student hands in: batch norm code and answers, nothing of HW1's."""
    folder.mkdir(parents=True)
    (folder / "batchnorm.py").write_text("def batchnorm_forward(x, gamma, beta, eps=1e-5):\n    return x\n")
    (folder / "answers.yaml").write_text(answers or "bn:\n  normalized: [[0, 0, 0]]\n")
    return folder


@pytest.fixture
def two_packs(packs_root: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """hw1 and hw2 installed: the repository's hw1 and a folder of packs holding hw2."""
    make_skeleton(packs_root, "hw2")
    monkeypatch.setenv(PACKS_ENV, str(packs_root))
    return packs_root


def test_without_the_flag_a_hw2_submission_is_a_usage_error_listing_the_packs(two_packs: Path, tmp_path: Path, capsys) -> None:
    sub = _hw2_like(tmp_path / "sub")
    out = tmp_path / "r.json"
    assert main([str(sub), "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert "which assignment? give --assignment NAME" in err and _lists_installed(err)
    assert not out.exists()


def test_a_submission_naming_its_assignment_is_graded_as_that_one(two_packs: Path, tmp_path: Path, capsys) -> None:
    sub = _hw2_like(tmp_path / "sub", "assignment: hw2\nq2:\n  zero_fraction: 0.5\n")
    out = tmp_path / "r.json"
    assert main([str(sub), "--json", str(out), "--quiet"]) == 0
    assert '"assignment": "hw2"' in out.read_text()
    assert "total: 2 / 10" in capsys.readouterr().out


def test_the_flag_and_the_submission_disagreeing_is_a_usage_error(two_packs: Path, tmp_path: Path, capsys) -> None:
    sub = _hw2_like(tmp_path / "sub", "assignment: hw2\n")
    assert main([str(sub), "--assignment", "hw1"]) == 2
    err = capsys.readouterr().err
    assert "the submission is for assignment 'hw2' (answers.yaml:1), not 'hw1' as --assignment says" in err


def test_a_submission_naming_an_assignment_not_installed(packs_root: Path, tmp_path: Path, capsys) -> None:
    sub = _hw2_like(tmp_path / "sub", "assignment: hw9\n")
    assert main([str(sub)]) == 2  # the submission names a pack that is not installed: not graded as another
    err = capsys.readouterr().err
    assert "no assignment 'hw9' (named by answers.yaml:1)" in err and _lists_installed(err)


def test_a_bad_assignment_value_names_the_line(two_packs: Path, tmp_path: Path, capsys) -> None:
    sub = _hw2_like(tmp_path / "sub", "bn: 1\nassignment: [hw2]\n")
    assert main([str(sub)]) == 2
    assert "answers.yaml:2: `assignment: ['hw2']` is not an assignment name" in capsys.readouterr().err


def test_the_only_pack_installed_is_chosen(packs_root: Path, tmp_path: Path) -> None:
    make_skeleton(packs_root, "hw2")
    sub = _hw2_like(tmp_path / "sub")
    assert choose_rubric(assignment=None, rubric=None, submission=sub, roots=[packs_root]) == packs_root / "hw2" / "rubric.yaml"
    (packs_root / "empty").mkdir()  # a folder without a rubric is not a pack
    assert list(discover([packs_root])) == ["hw2"]
    shutil.copytree(HW1_PACK, packs_root / "hw1", ignore=shutil.ignore_patterns("examples", "tests", "__pycache__"))
    with pytest.raises(PackError, match=r"assignments installed: (.*, )?hw1, hw2"):
        choose_rubric(assignment=None, rubric=None, submission=sub, roots=[packs_root])
    with pytest.raises(PackError, match="no assignment is installed"):
        choose_rubric(assignment=None, rubric=None, submission=sub, roots=[tmp_path / "none"])


def test_other_commands_take_no_default_either(two_packs: Path, tmp_path: Path, capsys) -> None:
    assert main(["student-kit", "--out", str(tmp_path / "kit")]) == 2
    assert _lists_installed(capsys.readouterr().err)
    assert main(["gradescope-package", "--out", str(tmp_path / "a.zip")]) == 2
    assert _lists_installed(capsys.readouterr().err)


def test_a_stray_submission_in_a_class_is_flagged_in_its_result(skeleton, tmp_path: Path) -> None:
    """Class mode grades a folder with one rubric: a submission whose answers file names
    another assignment is graded, and its result says so first."""
    from grader.engine import Grader
    from grader.rubric import load_plan

    sub = _hw2_like(tmp_path / "stray", "assignment: hw2\nq2:\n  zero_fraction: 0.5\n")
    with Grader.create(load_plan(skeleton.rubric_path), device="cpu", with_sandbox=False) as grader:
        result = grader.grade_path(sub)
        assert result.warnings[0] == "answers.yaml is for assignment 'hw2', but was graded as 'toy-pack'"
        own = grader.grade_path(skeleton.examples_dir / "complete")
        assert not any("is for assignment" in w for w in own.warnings)


def _lists_installed(err: str) -> bool:
    """The error lists the assignments installed (hw1 and hw2 among them; other packs may be)."""
    listed = err.partition("assignments installed: ")[2].strip().split(", ")
    return {"hw1", "hw2"} <= set(listed)
