"""How a write-up becomes the submission's answers: precedence, several or unreadable
write-ups, code beside a write-up, the submission view, and the rendered answers.yaml."""

from __future__ import annotations

import gc
import shutil
import zipfile
from pathlib import Path

import pytest
from writeup_helpers import make_pdf

from grader.cli import main
from grader.docio import load_document
from grader.engine import Grader
from grader.rubric import Plan
from grader.submission import open_submission
from grader.writeup.extract import extract
from grader.writeup.loader import load_answers_or_writeup, support_names
from grader.writeup.render import render_yaml
from grader.writeup.source import read_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MD = FIXTURES / "markdown_fenced.md"


def folder(tmp_path: Path, files: dict[str, str | bytes | Path]) -> Path:
    d = tmp_path / "sub"
    d.mkdir()
    for name, content in files.items():
        if isinstance(content, Path):
            shutil.copy(content, d / name)
        elif isinstance(content, bytes):
            (d / name).write_bytes(content)
        else:
            (d / name).write_text(content, encoding="utf-8")
    return d


def statuses(result) -> dict[tuple[str, str], str]:
    return {(q.id, c.id): c.status.value for q in result.questions for c in q.checks}


def test_an_answers_file_wins_over_a_writeup(answers_grader: Grader, tmp_path: Path) -> None:
    d = folder(tmp_path, {"answers.yaml": "problem2:\n  q2_1: {function: OR}\n", "report.md": MD})
    r = answers_grader.grade_path(d)
    assert statuses(r)[("problem2.q2_1", "function")] == "fail"  # OR from answers.yaml, not AND from the report
    assert statuses(r)[("problem4.q4_1", "output")] == "missing"
    assert not any("report.md" in w for w in r.warnings)


def test_of_several_documents_the_report_is_read_and_the_others_listed(answers_grader: Grader, tmp_path: Path) -> None:
    d = folder(tmp_path, {"report.md": MD, "notes-v2.txt": "Q1.1 False", "README.md": "how to run"})
    r = answers_grader.grade_path(d)
    assert statuses(r)[("problem1.q1_1", "answer")] == "pass"  # report.md (True), not notes-v2.txt
    assert any("2 documents and no answers file: report.md is read as the report (named like a report); "
               "ignored: notes-v2.txt" in w for w in r.warnings)  # README is not one


def test_without_a_report_name_the_largest_pdf_is_read() -> None:
    from grader.writeup.loader import choose_writeup

    sizes = {"a.pdf": 10, "b.pdf": 30, "c.md": 99, "lab1.ipynb": 5}
    assert choose_writeup(["a.pdf", "b.pdf", "c.md"], sizes.__getitem__) == ("b.pdf", ["a.pdf", "c.md"], "the largest PDF")
    assert choose_writeup(["c.md", "notes.txt"], {"c.md": 5, "notes.txt": 9}.__getitem__)[0] == "notes.txt"
    assert choose_writeup(["HW3 writeup.docx", "b.pdf"], sizes.get)[0] == "HW3 writeup.docx"


def test_a_code_notebook_is_no_report_and_a_report_notebook_is() -> None:
    from grader.writeup.loader import find_writeups

    assert find_writeups(["lab1.ipynb", "report.ipynb", "README.md", "sub/report.pdf", "hw.docx"]) == [
        "hw.docx", "report.ipynb"]


def test_a_readme_beside_the_writeup_is_ignored(answers_grader: Grader, tmp_path: Path) -> None:
    d = folder(tmp_path, {"report.md": MD, "README.md": "# Problem 1\nQ1.1 False"})
    r = answers_grader.grade_path(d)
    assert statuses(r)[("problem1.q1_1", "answer")] == "pass"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"%PDF-1.4\nthis is not a pdf", "cannot be read as a PDF"),
     (b"GIF89a", "not a PDF file"),
     (make_pdf([["", "   "]]), "no text layer (a scanned PDF?)")],
)
def test_unreadable_pdfs_are_errors_not_crashes(answers_grader: Grader, tmp_path: Path, content: bytes, fragment: str) -> None:
    d = folder(tmp_path, {"report.pdf": content})
    r = answers_grader.grade_path(d)
    c = next(c for q in r.questions if q.id == "problem2.q2_2" for c in q.checks)
    assert c.status.value == "error" and fragment in c.message


def test_code_the_student_handed_in_is_not_replaced(plan: Plan, tmp_path: Path) -> None:
    own = "# the student's own file\nclass LeNet5: pass\n"
    d = folder(tmp_path, {"report.md": MD, "lab2.py": own})
    with open_submission(d) as sub:
        answers, view = load_answers_or_writeup(sub, plan=plan)
        assert view.root == sub.root  # nothing to add: no private copy
        assert (view.root / "lab2.py").read_text() == own
        assert any("code for lab2.py found in the write-up but not used" in n for n in view.notes)
        assert answers.filename == "report.md"


def test_the_view_is_a_private_copy_removed_after_use(plan: Plan, tmp_path: Path) -> None:
    d = folder(tmp_path, {"report.md": MD, "lab1c_planes.png": b"\x89PNG not really"})
    with open_submission(d) as sub:
        _, view = load_answers_or_writeup(sub, plan=plan)
        root = view.root
        assert root != sub.root and sorted(view.files) == ["lab1c_planes.png", "lab2.py", "report.md"]
        assert (root / "lab1c_planes.png").read_bytes() == (d / "lab1c_planes.png").read_bytes()
        assert not (d / "lab2.py").exists()  # the student's folder is never written
        del view
        gc.collect()
        assert not root.exists()


def test_a_writeup_in_an_archive(answers_grader: Grader, tmp_path: Path) -> None:
    archive = tmp_path / "hw1.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(MD, "hw1/report.md")
    r = answers_grader.grade_path(archive)
    assert statuses(r)[("problem4.q4_1", "output")] == "pass"


@pytest.mark.parametrize("name", ["sample-writeup.txt", "markdown_fenced.md", "plain_text.txt", "unusual_order.md",
                                  "wrong_answers.md", "gaps.txt"])
def test_the_printed_answers_file_loads_back_to_the_same_data(plan: Plan, name: str) -> None:
    ex = extract(read_text((FIXTURES / name).read_bytes(), filename=name), plan=plan, support=support_names(plan))
    text = render_yaml(ex, assignment="hw1")
    assert load_document(text.encode(), filename="answers.yaml").data == ex.data()
    for item in ex.items:  # every value says where it came from
        assert f"{ex.where(item.first)}" in text
    for gap in ex.gaps:
        assert "NOT FOUND" in text and gap.path in text


def test_extract_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", str(tmp_path / "nope.pdf")]) == 2
    d = folder(tmp_path, {"answers.yaml": "{}"})
    assert main(["extract", str(d)]) == 2
    assert "no write-up (.pdf, .md, .txt, .docx or report notebook)" in capsys.readouterr().err
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    assert main(["extract", str(bad), "--assignment", "hw1"]) == 2
    assert "cannot be read as a PDF" in capsys.readouterr().err
