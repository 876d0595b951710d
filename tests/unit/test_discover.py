"""One rule for "is this a class folder" and "is this an archive" (issue 17): `grade DIR`
used to see no class in a folder of .tar.xz or .tar.bz2 archives (its own suffix list
missed them), and class mode counted a folder holding only a write-up as a class."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.classmode.discover import discover, is_class_folder, submission_name
from grader.submission import ARCHIVE_SUFFIXES, is_archive_name


@pytest.mark.parametrize("names", [["alice.tar.xz", "bob.tar.bz2"], ["carol.ZIP", "dave.TGZ"], ["e.txz", "f.tbz2", "g.tar"]])
def test_a_folder_of_any_kind_of_archive_is_a_class(tmp_path: Path, names: list[str]) -> None:
    for n in names:
        (tmp_path / n).write_bytes(b"not opened here")
    assert is_class_folder(tmp_path)
    tasks, notes = discover(tmp_path, out_dir=tmp_path / "results")
    assert [t.name for t in tasks] == sorted(n.split(".")[0] for n in names) and notes == []


def test_folders_and_archives_mix_and_junk_does_not_count(tmp_path: Path) -> None:
    (tmp_path / "alice").mkdir()
    (tmp_path / "__MACOSX").mkdir()
    (tmp_path / ".git").mkdir()
    assert not is_class_folder(tmp_path)  # one submission folder is not a class
    (tmp_path / "bob.tar.xz").write_bytes(b"x")
    assert is_class_folder(tmp_path)


@pytest.mark.parametrize("own", ["answers.yaml", "lab1.py", "lab2.ipynb", "Answers.JSON"])
def test_a_folder_with_answers_or_code_of_its_own_is_one_submission(tmp_path: Path, own: str) -> None:
    (tmp_path / own).write_text("x")
    for n in ("figures", "data"):
        (tmp_path / n).mkdir()
    assert not is_class_folder(tmp_path)
    tasks, _ = discover(tmp_path, out_dir=tmp_path / "results")
    assert [t.path for t in tasks] == [tmp_path]


@pytest.mark.parametrize("writeup", ["report.pdf", "hw1.md", "notes.txt"])
def test_a_writeup_makes_one_submission_unless_class_mode_is_asked_for(tmp_path: Path, writeup: str) -> None:
    (tmp_path / writeup).write_text("x")
    for n in ("alice", "bob"):
        (tmp_path / n).mkdir()
    assert not is_class_folder(tmp_path)  # `grade DIR`: a report with its folders
    tasks, notes = discover(tmp_path, out_dir=tmp_path / "results")  # `grade DIR --out`: a roster beside a class
    assert [t.name for t in tasks] == ["alice", "bob"] and writeup in notes[0]


def test_a_readme_does_not_make_a_class_one_submission(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("the class of 2026")
    (tmp_path / "alice").mkdir()
    (tmp_path / "bob.zip").write_bytes(b"x")
    assert is_class_folder(tmp_path)


def test_archive_names_and_submission_names_agree() -> None:
    for suffix in ARCHIVE_SUFFIXES:
        assert is_archive_name("s" + suffix.upper()) and submission_name(Path("alice" + suffix)) == "alice"
    assert not is_archive_name("notes.gz") and not is_archive_name("lab1.py")
