"""A folder whose only content is one archive (``alice/submission.zip``, as Gradescope and
LMS downloads deliver it) is that archive, under the folder's name; whatever the grader
ignores (junk, an archive beside other files) is listed in the feedback."""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from grader.engine import Grader
from grader.submission import content_hash, open_submission

EXAMPLE = Path(__file__).resolve().parents[2] / "assignments" / "hw1" / "examples" / "example"


def zip_folder(src: Path, archive: Path, *, top: str = "") -> Path:
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(src.iterdir()):
            zf.write(f, top + f.name)
    return archive


def statuses(result) -> list[tuple[str, str, str, float]]:
    return [(q.id, c.id, c.status.value, c.score) for q in result.questions for c in q.checks]


@pytest.mark.parametrize("top", ["", "hw1/"])
def test_a_folder_holding_one_zip_grades_as_the_zip(answers_grader: Grader, tmp_path: Path, top: str) -> None:
    archive = zip_folder(EXAMPLE, tmp_path / "submission.zip", top=top)
    alice = tmp_path / "alice"
    (alice / "__MACOSX").mkdir(parents=True)
    shutil.copy(archive, alice / "submission.zip")
    (alice / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (alice / "__MACOSX" / "._submission.zip").write_bytes(b"\x00\x05\x16\x07")
    direct = answers_grader.grade_path(archive)
    via_folder = answers_grader.grade_path(alice)
    assert direct.score > 0
    assert via_folder.score == direct.score and statuses(via_folder) == statuses(direct)
    assert via_folder.submission == "alice"  # the folder names the student, not "submission"
    assert "the folder holds only submission.zip: graded what it contains" in via_folder.notes
    assert "ignored .DS_Store, __MACOSX/" in via_folder.notes
    with open_submission(alice) as a, open_submission(archive) as b:
        assert a.files == b.files and content_hash(a) == content_hash(b)


def test_a_folder_holding_one_tar_in_a_single_top_folder(tmp_path: Path) -> None:
    inner = tmp_path / "alice" / "download"
    inner.mkdir(parents=True)
    with tarfile.open(inner / "hw1.tar.gz", "w:gz") as tf:
        tf.add(EXAMPLE / "lab1.py", "lab1.py")
        tf.add(EXAMPLE / "answers.yaml", "answers.yaml")
    (inner / "Thumbs.db").write_bytes(b"x")
    with open_submission(tmp_path / "alice") as sub:
        assert sub.name == "alice" and sub.files == ("answers.yaml", "lab1.py")
        assert sub.notes == ("the folder holds only download/hw1.tar.gz: graded what it contains", "ignored Thumbs.db")


def test_an_unreadable_lone_archive_names_the_folder_and_the_archive(tmp_path: Path) -> None:
    from grader.submission import SubmissionError

    alice = tmp_path / "alice"
    alice.mkdir()
    (alice / "submission.zip").write_bytes(b"not a zip at all" * 10)
    with pytest.raises(SubmissionError) as e:
        open_submission(alice)
    assert str(e.value) == f"{alice}/submission.zip: not a valid zip archive"


def test_an_archive_beside_other_files_is_not_unpacked_and_is_listed(answers_grader: Grader, tmp_path: Path) -> None:
    alice = tmp_path / "alice"
    shutil.copytree(EXAMPLE, alice)
    zip_folder(EXAMPLE, alice / "old-version.zip")
    result = answers_grader.grade_path(alice)
    assert ("not unpacked: old-version.zip (an archive is opened only when it is the folder's only content)"
            in result.notes)
    with open_submission(alice) as sub:
        assert "old-version.zip" in sub.files and "lab1.py" in sub.files
