"""Write-ups in other styles, each graded end to end through the real engine: Markdown with
fenced code and tables, plain text typed in an editor, answers in an unusual order, a PDF
made from Markdown, wrong answers, and a write-up with gaps."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from writeup_helpers import make_pdf, markdown_as_printed, paginate

from grader.engine import Grader
from grader.results import CheckResult, SubmissionResult
from grader.rubric import Plan
from grader.writeup.extract import extract
from grader.writeup.loader import support_names
from grader.writeup.source import read_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PER_PAGE = 60


def grade_file(grader: Grader, tmp_path: Path, name: str) -> SubmissionResult:
    d = tmp_path / name.replace(".", "_")
    d.mkdir()
    shutil.copy(FIXTURES / name, d / name)
    return grader.grade_path(d)


def verdicts(result: SubmissionResult) -> dict[tuple[str, str], str]:
    return {(q.id, c.id): c.status.value for q in result.questions for c in q.checks}


def check(result: SubmissionResult, qid: str, cid: str) -> CheckResult:
    return next(c for q in result.questions if q.id == qid for c in q.checks if c.id == cid)


def assert_verdicts(result: SubmissionResult, expected: dict[tuple[str, str], str]) -> None:
    got = verdicts(result)
    assert {k: got[k] for k in expected} == expected


def test_markdown_with_fenced_code_and_tables(answers_grader: Grader, tmp_path: Path) -> None:
    r = grade_file(answers_grader, tmp_path, "markdown_fenced.md")
    assert_verdicts(r, {
        **{(f"problem1.q1_{i}", "answer"): "pass" for i in range(1, 6)},
        **{(f"problem1.q1_{i}", "reason"): "manual" for i in range(1, 6)},
        ("problem1.q1_5", "counterexample"): "pass",  # 5x5 kernel, stride 2, 11x11 and 12x12 both give 4x4
        ("problem2.q2_1", "function"): "pass", ("problem2.q2_2", "weights"): "pass",
        ("problem2.q2_3", "weights"): "pass", ("problem2.q2_4", "weights"): "pass",
        ("problem3.q3_1", "jacobians"): "pass", ("problem3.q3_2", "gradients"): "pass",
        ("problem4.q4_1", "output"): "pass", ("problem4.q4_2", "kind"): "pass",
        ("lab1.a", "reported_w"): "pass", ("lab1.a", "reported_mse"): "pass", ("lab1.b", "reported_w"): "pass",
        ("lab1.d", "analysis"): "manual", ("lab2.b", "table"): "pass", ("lab3.c", "analysis"): "manual",
        ("lab2.a", "forward_shape"): "error",  # lab2.py is there; this run has no sandbox
    })
    assert "your truth table matches your weights" in check(r, "problem2.q2_4", "weights").message
    assert check(r, "problem3.q3_2", "gradients").score == 6
    assert "lab2.py" not in " ".join(r.warnings)


def test_plain_text_with_some_wrong_answers(answers_grader: Grader, tmp_path: Path) -> None:
    r = grade_file(answers_grader, tmp_path, "plain_text.txt")
    assert_verdicts(r, {
        ("problem1.q1_1", "answer"): "pass",  # "1.1 True, because ..."
        ("problem1.q1_2", "answer"): "fail",  # "1.2 True."
        ("problem1.q1_3", "answer"): "pass",  # "Question 1.3: F"
        ("problem1.q1_3", "reason"): "missing",  # nothing beyond the answer
        ("problem1.q1_4", "answer"): "pass",  # "1.4) False - ..."
        ("problem1.q1_5", "counterexample"): "pass",
        ("problem2.q2_1", "function"): "fail",  # OR
        ("problem2.q2_2", "weights"): "pass",  # (w0, w1, w2) = (-1, -1, -1) and a space-separated table
        ("problem2.q2_3", "weights"): "pass",  # w = [0, 1, 1, 1]
        ("problem2.q2_4", "weights"): "fail",  # w20 = -1.5: AND of the hidden units
        ("problem3.q3_2", "gradients"): "partial",  # dW2 transposed
        ("problem4.q4_1", "output"): "partial",  # one wrong element in plain rows
        ("problem4.q4_2", "kind"): "pass",  # "Sharpen."
        ("lab1.a", "reported_w"): "pass", ("lab1.a", "reported_mse"): "pass",  # 1.0058 x 10^-4
        ("lab2.b", "table"): "pass",  # space-separated, shapes in parentheses, 352,800
        ("lab3.c", "analysis"): "missing",
    })
    assert "with w20 = -1.5, w21 = 1, w22 = 1 the unit is wrong on 2 of 4 rows" in check(r, "problem2.q2_4", "weights").message
    assert "(5,9): got 0.5, expected 0" in check(r, "problem4.q4_1", "output").message
    q32 = check(r, "problem3.q3_2", "gradients")
    assert q32.score == 4.5 and "equals the transpose of dL/dW_2" in q32.message
    assert any("problem1.q1_3.reason: nothing written beyond the answer itself" in w for w in r.warnings)
    assert any("lab3.analysis: not found: no section for lab3.c (looked for" in w for w in r.warnings)


def test_unusual_order_and_header_spellings(answers_grader: Grader, tmp_path: Path) -> None:
    r = grade_file(answers_grader, tmp_path, "unusual_order.md")
    assert_verdicts(r, {
        **{(f"problem1.q1_{i}", "answer"): "pass" for i in range(1, 6)},  # Q1.5 .. Q1.1, last first
        ("problem2.q2_1", "function"): "fail",  # NOR, after 2.4, 2.3, 2.2
        ("problem2.q2_2", "weights"): "pass", ("problem2.q2_3", "weights"): "pass",
        ("problem2.q2_4", "weights"): "pass",  # w21 = w22 = 1, w20 = 1.5
        ("problem3.q3_2", "gradients"): "partial",  # \nabla_{W_1} L, after Problem 1
        ("problem4.q4_1", "output"): "pass",  # [[...], ...] over five lines, before Problem 2
        ("problem4.q4_2", "kind"): "pass",
        ("lab1.a", "reported_w"): "pass", ("lab1.a", "reported_mse"): "pass",  # "**LAB1 (a)**", after (b)
        ("lab1.b", "reported_w"): "pass", ("lab1.d", "analysis"): "manual",  # "Lab 1(d):"
        ("lab2.b", "table"): "missing",
    })
    assert check(r, "lab1.a", "reported_mse").message.startswith("0.00010058 is within")


@pytest.fixture(scope="module")
def pdf_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    printed = markdown_as_printed((FIXTURES / "pdf_source.md").read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("pdf") / "report.pdf"
    path.write_bytes(make_pdf(paginate(printed, per_page=PER_PAGE)))
    return path, printed


def test_pdf_made_from_markdown(answers_grader: Grader, pdf_report: tuple[Path, list[str]]) -> None:
    path, _ = pdf_report
    r = answers_grader.grade_path(path)  # the PDF alone is the submission
    assert r.submission == "report"
    assert_verdicts(r, {
        **{(f"problem1.q1_{i}", "answer"): "pass" for i in range(1, 6)},
        ("problem1.q1_5", "counterexample"): "pass",  # 3x3 kernel, stride 3: 6x6 and 8x8 both give 2x2
        ("problem2.q2_1", "function"): "pass", ("problem2.q2_2", "weights"): "pass",
        ("problem2.q2_3", "weights"): "pass", ("problem2.q2_4", "weights"): "pass",
        ("problem3.q3_2", "gradients"): "partial", ("problem4.q4_1", "output"): "pass",
        ("problem4.q4_2", "kind"): "pass", ("lab1.a", "reported_w"): "pass", ("lab1.a", "reported_mse"): "pass",
        ("lab1.b", "reported_w"): "pass", ("lab2.b", "table"): "pass", ("lab3.c", "analysis"): "manual",
        ("lab2.a", "forward_shape"): "error",  # the unfenced code became lab2.py; no sandbox in this run
    })
    assert "your truth table matches your weights" in check(r, "problem2.q2_2", "weights").message


def test_pdf_pages_and_code_without_fences(plan: Plan, pdf_report: tuple[Path, list[str]]) -> None:
    path, printed = pdf_report
    text = read_text(path.read_bytes(), filename=path.name)
    assert text.kind == "pdf" and text.pages == -(-len(printed) // PER_PAGE)
    ex = extract(text, plan=plan, support=support_names(plan))
    table = next(i for i in ex.items if i.path == "lab2.table")
    header = next(k for k, line in enumerate(printed) if line.startswith("Layer\tInput shape"))
    page = header // PER_PAGE
    # a PDF's text has no empty lines: count the printed lines of that page that show something
    shown = sum(1 for line in printed[page * PER_PAGE: header + 1] if line.strip())
    assert ex.where(table.first) == f"p.{page + 1} l.{shown}"
    (module,) = ex.modules
    assert module.defines == ("LeNet5",)
    assert "NUM_CLASSES = 10" in module.source  # a constant the class uses is kept ...
    assert "net = LeNet5()" not in module.source  # ... script code is not
    assert "from scaffold import CONV, FC" in module.source


def test_wrong_answers_are_graded_wrong(answers_grader: Grader, tmp_path: Path) -> None:
    r = grade_file(answers_grader, tmp_path, "wrong_answers.md")
    assert_verdicts(r, {
        ("problem1.q1_1", "answer"): "fail", ("problem1.q1_2", "answer"): "fail",
        ("problem2.q2_1", "function"): "fail", ("problem2.q2_2", "weights"): "fail",
        # Q4.1 repeats the question's input image: that is not an answer (it once scored 3/9)
        ("problem4.q4_1", "output"): "missing", ("problem4.q4_2", "kind"): "fail",
        ("lab1.a", "reported_w"): "fail", ("lab1.a", "reported_mse"): "fail", ("lab1.b", "reported_w"): "pass",
        ("lab2.b", "table"): "partial",  # # Param counted with the bias
        ("problem3.q3_2", "gradients"): "fail",  # the formula is verified wrong ...
    })
    q32 = check(r, "problem3.q3_2", "gradients")
    assert "does not fit" in q32.message
    formula_verdict = q32.details["alternatives"]["formula"]  # ... and why
    assert formula_verdict["status"] == "fail"
    assert "W_2 (x_3 - t): (n_out x n_hidden) times (n_out x 1) does not fit" in formula_verdict["message"]
    assert "input (-1, -1): s = -3.5, y = -1, expected +1" in check(r, "problem2.q2_2", "weights").message
    assert 'you answered "blurring"' in check(r, "problem4.q4_2", "kind").message
    assert any("problem4.q4_1: the only matrix found repeats the question's own (the input), not an answer" in w
               for w in r.warnings)
    assert "conv1 # Param: your table says 456, reference 450" in check(r, "lab2.b", "table").message


def test_gaps_go_to_review_with_the_text_around_them(answers_grader: Grader, tmp_path: Path) -> None:
    r = grade_file(answers_grader, tmp_path, "gaps.txt")
    assert_verdicts(r, {
        # read with low confidence (both "true" and "false" occur): not scored, waits for a TA
        ("problem1.q1_1", "answer"): "manual",
        ("problem2.q2_2", "weights"): "missing", ("problem2.q2_3", "weights"): "missing",
        ("problem3.q3_1", "jacobians"): "manual",  # sigma'(z_l): z_l is not a symbol the rubric defines
        ("problem4.q4_1", "output"): "missing",
    })
    warnings = "\n".join(r.warnings)
    assert "gaps.txt l.5: problem1.q1_1.answer = true read with confidence 0.30 (" in warnings
    waiting = check(r, "problem1.q1_1", "answer")
    assert waiting.score == 0 and waiting.message.startswith("read from your report, waiting for a TA: ")
    assert waiting.details["reading"]["value"] is True and "gaps.txt l.5: " in waiting.views[0].text
    assert ("gaps.txt l.8: problem2.q2_2: no weights w0, w1, w2 found (assignments seen: none); the text, for review: "
            "\u00abThe weights are in the figure on the next page.\u00bb") in warnings
    assert "problem4.q4_1: not found: no section for problem4.q4_1 (looked for a header such as 'Q4.1' or '4.1'; headers in the write-up: " in warnings
    q31 = check(r, "problem3.q3_1", "jacobians")
    assert "uses z_l, which the grader does not know" in q31.message
    assert q31.views and "\\sigma'(z_l) W_l" in q31.views[0].text
