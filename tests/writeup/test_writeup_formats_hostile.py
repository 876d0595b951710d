"""Notebooks and Word documents are read under the same limits as PDFs (the reader child):
a .docx whose XML expands to hundreds of megabytes, a notebook nested too deeply or not a
notebook at all, images past the limits: each ends in a message naming the file, never in
the grader's memory or a crash, and the figures that come back are bounded."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import pytest

from grader.rubric import Plan
from grader.submission import open_submission
from grader.writeup.formats import MAX_FIGURES, read_notebook
from grader.writeup.isolate import WriteupLimits
from grader.writeup.loader import load_answers_or_writeup
from grader.writeup.source import WriteupError, normalize, read_text

SMALL = WriteupLimits(cpu_seconds=10, wall_seconds=30, memory_bytes=128 << 20)
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def _answers(plan: Plan, tmp_path: Path, name: str, data: bytes, limits: WriteupLimits = SMALL):
    d = tmp_path / "sub"
    d.mkdir()
    (d / name).write_bytes(data)
    with open_submission(d) as sub:
        answers, _ = load_answers_or_writeup(sub, plan=plan, limits=limits)
    return answers


def _docx_bomb() -> bytes:
    """A zip named .docx whose document.xml is 256 MB of one run of text (about 250 kB on disk)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.wordprocessingml.document.main+xml"/></Types>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                   'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                   'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
        with z.open("word/document.xml", "w") as f:  # written in chunks: the test holds no 256 MB
            f.write(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                    b'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>')
            chunk = b"A" * (1 << 20)
            for _ in range(256):
                f.write(chunk)
            f.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return buf.getvalue()


def test_a_docx_that_expands_past_the_memory_limit_is_cut_off(plan: Plan, tmp_path: Path) -> None:
    data = _docx_bomb()
    assert len(data) < 2 << 20
    answers = _answers(plan, tmp_path, "report.docx", data)
    assert answers.data is None
    assert answers.error is not None and answers.error.startswith("could not read the write-up (report.docx: ")
    assert "needs more than 134.2 MB of memory to read" in answers.error, answers.error


@pytest.mark.parametrize(("data", "fragment"), [
    (b"PK\x03\x04 not really a zip", "report.docx: not a Word document"),
    (b"%PDF-1.4", "report.docx: not a Word document"),
])
def test_a_docx_that_is_no_word_document_is_named(plan: Plan, tmp_path: Path, data: bytes, fragment: str) -> None:
    answers = _answers(plan, tmp_path, "report.docx", data)
    assert answers.error is not None and fragment in answers.error


@pytest.mark.parametrize(("data", "fragment"), [
    (b"[" * 100_000 + b"]" * 100_000, "report.ipynb: not a Jupyter notebook (not JSON: RecursionError)"),
    (b'{"cells": 3}', "report.ipynb: not a Jupyter notebook (no cells)"),
    (b"\xff\xfe garbage", "report.ipynb: not a Jupyter notebook (not JSON"),
])
def test_a_notebook_that_is_none_is_named(plan: Plan, tmp_path: Path, data: bytes, fragment: str) -> None:
    answers = _answers(plan, tmp_path, "report.ipynb", data)
    assert answers.error is not None and fragment in answers.error, answers.error


def test_figures_are_bounded_in_number_and_kind() -> None:
    out = {"output_type": "display_data", "data": {"image/png": base64.b64encode(PNG).decode()}}
    bad = {"output_type": "display_data", "data": {"image/png": base64.b64encode(b"GIF89a not png").decode()}}
    nb = {"cells": [{"cell_type": "code", "source": "plot()", "outputs": [out] * (MAX_FIGURES + 10) + [bad]}],
          "nbformat": 4}
    text, figures = read_notebook(json.dumps(nb).encode(), "report.ipynb")
    assert len(figures) == MAX_FIGURES and all(f[2] == "image/png" for f in figures)
    assert text.count("[figure ") == MAX_FIGURES
    t = read_text(json.dumps(nb).encode(), filename="report.ipynb")
    assert [f.line for f in t.figures] == [i + 1 for i, line in enumerate(t.lines) if line.text.startswith("[figure ")]


def test_glyphs_are_normalised() -> None:
    assert normalize("Diﬀerent ﬁts") == "Different fits"
    assert normalize("w₀ = −1, w₁₂ = 2") == "w_0 = -1, w_12 = 2"
    assert normalize("MSE = 1.0 × 10⁻⁴") == "MSE = 1.0 × 10^-4"
    assert normalize("𝑤1 = 0.5") == "w1 = 0.5"
    assert normalize("w 1 = -1 and x 2 == 3") == "w_1 = -1 and x 2 == 3"  # a comparison is not a dropped subscript


def test_an_unreadable_docx_costs_only_its_answers(plan: Plan, tmp_path: Path) -> None:
    with pytest.raises(WriteupError, match=r"^report\.docx: not a Word document"):
        read_text(b"nonsense", filename="report.docx")
