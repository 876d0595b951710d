"""The reading primitives: numbers in every notation, vectors, matrices, assignments,
headers, and code blocks made into modules."""

from __future__ import annotations

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.writeup.code import build_module, clean_block
from grader.writeup.document import parse_document, parse_header
from grader.writeup.source import read_text
from grader.writeup.values import assignments, find_matrices, find_vectors, name_key, parse_number, row_numbers

HW1_IDS = ["problem1.q1_1", "problem1.q1_5", "problem2.q2_1", "problem4.q4_1", "lab1.a", "lab1.d", "lab2.b", "lab3.c"]


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.0e-4", 1e-4), ("1E-4", 1e-4), ("1x10^-4", 1e-4), ("1\u00d710^{-4}", 1e-4), (r"1.0058 \times 10^{-4}", 1.0058e-4),
     (r"$1.0058 \cdot 10^{-4}$", 1.0058e-4), ("-0.25", -0.25), ("+1", 1.0), ("\u22121", -1.0), (r"\frac{1}{4}", 0.25),
     ("-\\frac{1}{4}", -0.25), ("352800.0", 352800.0), ("352,800", 352800.0), ("0.00010079903131736759", 1.0079903131736759e-4),
     ("1.5.", 1.5)],
)
def test_numbers(text: str, value: float) -> None:
    assert parse_number(text.replace("\u2212", "-")) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("text", ["3x3", "x_1", "1,2", "abc", "", "1 2"])
def test_not_numbers(text: str) -> None:
    assert parse_number(text) is None


@settings(max_examples=200, deadline=None)
@given(mantissa=st.floats(min_value=1.0, max_value=9.999, allow_nan=False), exponent=st.integers(-12, 12),
       negative=st.booleans())
def test_scientific_notations_agree(mantissa: float, exponent: int, negative: bool) -> None:
    m = f"{'-' if negative else ''}{mantissa:.6f}"
    want = float(f"{m}e{exponent}")
    for text in (f"{m}e{exponent}", f"{m} \\times 10^{{{exponent}}}", f"{m}\u00d710^{exponent}", f"{m}x10^{exponent}",
                 f"${m} \\cdot 10^{{{exponent}}}$"):
        assert parse_number(text) == pytest.approx(want, rel=1e-12), text


def test_vectors_and_matrices() -> None:
    assert find_vectors(r"W^* = [-0.999, \quad 1.0006, \quad -2.0003]^T")[0][0] == [-0.999, 1.0006, -2.0003]
    assert find_vectors(r"[-0.99925144 \quad 1.00082858 \quad -2.00068123]^T")[0][0] == [-0.99925144, 1.00082858, -2.00068123]
    assert find_vectors(r"\begin{bmatrix} 1 \\ -2 \\ 3 \end{bmatrix}")[0][0] == [1.0, -2.0, 3.0]
    assert find_vectors("w = (0, 1, 1, 1)")[0][0] == [0.0, 1.0, 1.0, 1.0]
    (rows, _, _), = find_matrices(r"\begin{pmatrix} 0 & -0.25 \\ 1.75 & \frac{1}{2} \end{pmatrix}")
    assert rows == [[0.0, -0.25], [1.75, 0.5]]
    assert find_matrices("[[1, 2], [3, 4]]")[0][0] == [[1.0, 2.0], [3.0, 4.0]]
    assert row_numbers("-1\t+1\t-1.5\t-1") == [-1.0, 1.0, -1.5, -1.0]
    assert row_numbers(" [-0.25, -0.5, 1.5],") == [-0.25, -0.5, 1.5]
    assert row_numbers("| 1 | -1 | 0.5 |") == [1.0, -1.0, 0.5]
    assert row_numbers("X1 X2 s y") is None and row_numbers("Conv 1 (1, 3)") is None


def test_assignments_chains_tuples_and_names() -> None:
    got = {name_key(n): a.value for a in assignments(r"$w_{21} = w_{22} = 1, w_{20} = 1.5$") for n in a.names}
    assert got == {"w21": "1", "w22": "1", "w20": "1.5"}
    got = {name_key(n): a.value for a in assignments("(w0, w1, w2) = (-1, -1, -1)") for n in a.names}
    assert {k: got[k] for k in ("w0", "w1", "w2")} == {"w0": "-1", "w1": "-1", "w2": "-1"}
    got = {name_key(n): a.value for a in assignments(r"Closed form: $w^* = [1, 2]^T$ with $\text{MSE} = 0.1$") for n in a.names}
    assert got == {"w": "[1, 2]^T", "mse": "0.1"}
    assert name_key("w_{2,1}") == "w21" and name_key(r"\hat{w}") == "w" and name_key("20 epochs: w") != "w"


@pytest.mark.parametrize(
    ("line", "label", "sub", "letter", "rest"),
    [("Q 1.1", "Q 1.1", (1, 1), None, ""), ("Q1.5 - False; kernel 3", "Q1.5", (1, 5), None, "False; kernel 3"),
     ("### 1.1 (T/F)", "1.1", (1, 1), None, "(T/F)"), ("**Q2.1**", "Q2.1", (2, 1), None, ""),
     ("Question 1.3: F", "Question 1.3", (1, 3), None, "F"), ("1.4) False", "1.4)", (1, 4), None, "False"),
     ("Problem 2.1", "Problem 2.1", (2, 1), None, ""), ("4.1", "4.1", (4, 1), None, ""),
     ("(b) Run LMS for 20 epochs", "(b)", None, "b", "Run LMS for 20 epochs"), ("c) plot", "c)", None, "c", "plot"),
     ("LAB1 (a)", "LAB1 (a)", None, "a", ""), ("Lab 1(d): with r = 1", "Lab 1(d)", None, "d", "with r = 1")],
)
def test_header_spellings(line: str, label: str, sub: tuple[int, int] | None, letter: str | None, rest: str) -> None:
    h = parse_header(line, words=frozenset({"problem", "lab"}))
    assert h is not None and (h.label, h.sub, h.letter, h.rest) == (label, sub, letter, rest)


@pytest.mark.parametrize("line", ["1.5 1.5 1 1 1", "0.5 and r = 1 diverge", "Problem 2 states that the unit is wrong.",
                                  "Table2", "1.0058 x 10^-4", "Homework 1"])
def test_not_headers(line: str) -> None:
    assert parse_header(line, words=frozenset({"problem", "lab"})) is None


def test_sections_follow_the_rubric_not_every_header() -> None:
    text = read_text(b"Problem1\nQ1.1\nTrue.\n(a) not a part here\nLab1\n(a)\nw = [1, 2, 3]\nLAB3\n(a)\nx\n(c)\ny\n",
                     filename="r.txt")
    doc = parse_document(text, question_ids=HW1_IDS)
    got = [(s.qid, s.label) for s in doc.sections if s.label]
    assert got == [(None, "Problem1"), ("problem1.q1_1", "Q1.1"), (None, "Lab1"), ("lab1.a", "(a)"), (None, "LAB3"),
                   (None, "(a)"), ("lab3.c", "(c)")]
    q11 = doc.sections_for("problem1.q1_1")[0]
    assert "(a) not a part here" in q11.text()  # a problem has no lettered parts in this rubric


def test_fenced_indented_and_unfenced_code() -> None:
    md = b"Lab2\n(a)\n```python\nx = 1\n```\n\n    import os\n    print(os.sep)\n\n    w* = (1, 2), MSE = 3\nclass A:\n    pass\nprose again.\n"
    doc = parse_document(read_text(md, filename="r.md"), question_ids=["lab2.a"])
    code = [b for b in doc.blocks if b.kind == "code"]
    assert [(b.text.split("\n")[0].strip(), b.fenced) for b in code] == [("x = 1", True), ("import os", False),
                                                                         ("class A:", False)]
    assert any("w* = (1, 2)" in b.text for b in doc.blocks if b.kind == "text")  # indented math is not code


def test_pdf_line_numbers_and_indentation_are_repaired() -> None:
    block = "6 # model\n7 class M(nn.Module):\n8     def __init__(self):\n9         super().__init__()\n" \
            "10        self.fc = FC(4, 2)\n11\n12    def forward(self, x):\n13        return self.fc(x)\n14 m = M()\n"
    source, notes, error = clean_block(block)
    assert error is None and source is not None
    assert notes == ["line numbers stripped", "indentation snapped to multiples of 4 spaces"]
    assert "        self.fc = FC(4, 2)" in source.split("\n")
    built = build_module([source], required=["M"], support={"scaffold": {"CONV", "FC"}}, origin="lab2.py")
    assert built is not None
    tree = ast.parse(built.source)
    imports = [ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert imports == ["import torch", "import torch.nn as nn", "from scaffold import FC"]
    assert [n.name for n in tree.body if isinstance(n, ast.ClassDef)] == ["M"]
    assert "m = M()" not in built.source and any("dropped" in n for n in built.notes)


def test_code_that_does_not_parse_is_reported() -> None:
    source, _, error = clean_block("class A:\ndef f(self):\nreturn 1")
    assert source is None and error is not None and error.startswith("line 2")
    assert build_module(["x = 1\n"], required=["LeNet5"], support={}, origin="lab2.py") is None
