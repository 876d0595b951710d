"""The class report flags what would otherwise pass unseen (issue 19.8): zeros scored
while files were left out (an archive inside a folder, a refused symbolic link), and a
student id claimed by several submissions, counted once in the statistics; each question
shows its score distribution."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from grader.engine import Grader
from grader.report.classstats import _class_page, count_once, silent_zeros
from grader.report.html import render_class_report
from grader.results import (
    CheckResult,
    QuestionResult,
    Status,
    SubmissionResult,
    question_status,
)

REPO = Path(__file__).resolve().parents[2]


def _result(sub: str, sid: str | None, score: float, **kw: list[str]) -> SubmissionResult:
    c = CheckResult(id="c", status=Status.PASS if score else Status.FAIL, score=score, max_score=4, message="m")
    q = QuestionResult(id="q1", title="Q1", score=score, max_score=4, status=question_status([c]), checks=[c])
    return SubmissionResult(assignment="a", submission=sub, student={"id": sid} if sid else {}, score=score,
                            max_score=4, questions=[q], **kw)


def test_a_duplicated_id_is_counted_once_and_flagged() -> None:
    results = [_result("ann-1", "s1", 0), _result("ann-2", "s1", 4), _result("ben", "s2", 2)]
    counted, flags = count_once(results)
    assert sorted(r.submission for r in counted) == ["ann-2", "ben"]
    assert flags == [("student id 's1' is claimed by 2 submissions (ann-1, ann-2): counted once in the statistics "
                      "(ann-2); check which is theirs")]
    page = render_class_report(results)
    assert "2 submissions (ann-1, ann-2): counted once" in page
    stats = _class_page(results, failures=(), links=None, timings=None, manual_queue=None, title=None)
    assert stats.mean == 3 and stats.n_graded == 3  # (4 + 2) / 2, not (0 + 4 + 2) / 3; all 3 were graded
    assert len(stats.students_by_name) == 3  # every submission is still listed
    assert "0: 0" not in page and "2: 1 · 4: 1" in page  # the distribution of the students counted


def test_zeros_with_files_left_out_are_flagged() -> None:
    quiet = _result("cal", "s3", 0, warnings=["answers.yaml: not extracted (symbolic link)"],
                    notes=["not unpacked: hw1.zip (an archive is opened only when it is the folder's only content)"])
    fine = _result("dan", "s4", 0)
    assert silent_zeros([quiet, fine]) == [
        ("cal scored 0 with files left out: answers.yaml: not extracted (symbolic link); not unpacked: hw1.zip "
         "(an archive is opened only when it is the folder's only content)")]
    assert "cal scored 0 with files left out" in render_class_report([quiet, fine])


def test_a_real_zip_in_a_folder_with_a_refused_link_is_flagged(tmp_path: Path, plan) -> None:
    sub = tmp_path / "s1"
    sub.mkdir()
    with zipfile.ZipFile(sub / "hw1.zip", "w") as zf:
        for f in sorted((REPO / "assignments" / "hw1" / "examples" / "example").iterdir()):
            zf.write(f, f.name)
    shutil.copy(REPO / "assignments" / "hw1" / "examples" / "example" / "lab1c_planes.png", sub)
    (sub / "answers.yaml").symlink_to("/etc/hostname")
    with Grader.create(plan.public_only(), with_sandbox=False) as grader:
        result = grader.grade_path(sub)
    assert result.score == 0
    (flag,) = silent_zeros([result])
    assert "not unpacked: hw1.zip" in flag and "answers.yaml: not extracted (symbolic link)" in flag
