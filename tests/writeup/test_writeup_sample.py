"""The real student's write-up (converted from PDF to text): every value it states is
extracted, pinned here, and graded through the real engine."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest
import torch

from grader.cli import main
from grader.docio import load_document
from grader.engine import Grader
from grader.results import SubmissionResult
from grader.rubric import Plan
from grader.writeup.extract import Extraction, extract
from grader.writeup.loader import support_names
from grader.writeup.source import read_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE = FIXTURES / "sample-writeup.txt"
REPO = Path(__file__).resolve().parents[2]
LINES = SAMPLE.read_text(encoding="utf-8").split("\n")


def line_of(text: str, after: int = 0) -> int:
    """1-based line of the first line at or after ``after`` that is ``text`` (the fixture, not a constant)."""
    return next(i + 1 for i, line in enumerate(LINES) if i >= after and line.strip() == text)


@pytest.fixture(scope="module")
def ex(plan: Plan) -> Extraction:
    return extract(read_text(SAMPLE.read_bytes(), filename=SAMPLE.name), plan=plan, support=support_names(plan))


@pytest.fixture(scope="module")
def result(answers_grader: Grader, tmp_path_factory: pytest.TempPathFactory) -> SubmissionResult:
    d = tmp_path_factory.mktemp("sample")
    shutil.copy(SAMPLE, d / SAMPLE.name)
    return answers_grader.grade_path(d)


def _item(ex: Extraction, path: str):
    return next(i for i in ex.items if i.path == path)


def test_problem1_answers_reasons_and_the_counterexample(ex: Extraction) -> None:
    p1 = ex.data()["problem1"]
    assert [p1[f"q1_{i}"]["answer"] for i in range(1, 6)] == [True, False, False, False, False]
    assert p1["q1_1"]["reason"] == (
        "From characteristics of convex function, we know that local minimum is also global minimum. Thus, if we use "
        "proper learning rate and initialization, gradient descent will reach closer and closer to a minimum until "
        "it reaches the minimum.")
    assert p1["q1_2"]["reason"] == "Too many layers may lead to overfitting problem."
    assert p1["q1_3"]["reason"].startswith("Different set of weights may perfectly lead to 100% classification")
    assert p1["q1_4"]["reason"].endswith('because it is more likely to "die".')
    assert p1["q1_5"]["reason"].startswith("Increasing the height and width of the input feature map")
    # "kernel size is 5x5, stride is 2, no padding ... 10x10 ... 11x11"
    assert p1["q1_5"]["counterexample"] == {"kernel": 5, "stride": 2, "padding": 0, "sizes": [10, 11]}
    item = _item(ex, "problem1.q1_1.answer")
    assert item.first == line_of("True.", line_of("Q 1.1")) and item.confidence >= 0.9


def test_problem2_functions_weights_and_truth_tables(ex: Extraction) -> None:
    p2 = ex.data()["problem2"]
    assert p2["q2_1"]["function"] == "AND"
    assert p2["q2_1"]["truth_table"] == [[-1, -1, -3.5, -1], [-1, 1, -1.5, -1], [1, -1, -1.5, -1], [1, 1, 0.5, 1]]
    assert p2["q2_2"]["w"] == [-1, -1, -1]
    assert p2["q2_2"]["truth_table"] == [[-1, -1, 1, 1], [-1, 1, -1, -1], [1, -1, -1, -1], [1, 1, -3, -1]]
    assert p2["q2_3"]["w"] == [0, 1, 1, 1]
    assert p2["q2_3"]["truth_table"] == [
        [-1, -1, -1, -3, -1], [-1, -1, 1, -1, -1], [-1, 1, -1, -1, -1], [-1, 1, 1, 1, 1],
        [1, -1, -1, -1, -1], [1, -1, 1, 1, 1], [1, 1, -1, 1, 1], [1, 1, 1, 3, 1]]
    assert p2["q2_4"]["w"] == [1.5, 1, 1]  # "$w_{21} = w_{22} = 1, w_{20} = 1.5$", in label order
    assert p2["q2_4"]["truth_table"] == [[-1, -1, -0.5, -1], [-1, 1, 1.5, 1], [1, -1, 1.5, 1], [1, 1, -0.5, -1]]
    w = _item(ex, "problem2.q2_2.w")
    assert w.first == line_of("$w_0 = -1, w_1 = w_2 = -1$") and w.confidence >= 0.9


def test_problem3_formulas(ex: Extraction) -> None:
    p3 = ex.data()["problem3"]
    assert p3["q3_1"] == {
        "dx": r"W_l^T x_{l+1} \circ (1 - x_{l+1})",
        "dW": r"x_{l+1} \circ (1 - x_{l+1}) x_l^T",
        "db": r"x_{l+1} \circ (1 - x_{l+1})",
    }
    # the chain-rule middle of "dL/dW1 = (chain rule) = formula" is not the answer; the forward
    # definitions (y_1 = W_1 x_1 + b_1, ...) are not answers either
    assert p3["q3_2"] == {"dW1": r"(W_2^T (x_3 - t)) \circ (x_2 \circ (1 - x_2)) x_1^T"}


def test_problem4_matrix_and_kind(ex: Extraction) -> None:
    p4 = ex.data()["problem4"]
    assert p4["q4_1"] == [
        [0, 0, -0.25, -0.5, 1.75, -0.5, -0.25, 0, 0],
        [-0.25, -0.5, 1.5, 1.25, 1, 1.25, 1.5, -0.5, -0.25],
        [1.75, 1.5, 1, 1, 1, 1, 1, 1.5, 1.75],
        [-0.25, -0.5, 1.5, 1.25, 1, 1.25, 1.5, -0.5, -0.25],
        [0, 0, -0.25, -0.5, 1.75, -0.5, -0.25, 0, 0],
    ]
    assert p4["q4_2"]["kind"] == "sharpening"  # written as \u201csharpening\u201d
    assert p4["q4_2"]["reason"].startswith('From the hint in the problem, I think it is a "sharpening" kernel')


def test_lab1_numbers_and_analysis(ex: Extraction) -> None:
    lab1 = ex.data()["lab1"]
    assert lab1["closed_form"] == {"w": [-0.9993219, 1.00061145, -2.00031968], "mse": 0.00010079903131736759}
    assert lab1["lms"] == {"w": [-0.99925144, 1.00082858, -2.00068123]}
    analysis = lab1["analysis"].split("\n")
    assert analysis[0] == "Plot MSE losses with 4 sets of experiments below."
    assert analysis[2].startswith("Quality of the learning process:") and analysis[3].startswith("Speed of the learning")


def test_lab2_table(ex: Extraction) -> None:
    table = ex.data()["lab2"]["table"]
    assert list(table) == ["conv1", "conv2", "fc1", "fc2", "fc3"]
    assert table["conv1"] == {"input_shape": [1, 3, 32, 32], "output_shape": [1, 6, 28, 28],
                              "weight_shape": [6, 3, 5, 5], "params": 450, "macs": 352800.0}
    assert table["fc3"] == {"input_shape": [1, 84], "output_shape": [1, 10], "weight_shape": [10, 84],
                            "params": 840, "macs": 840.0}
    assert [r["params"] for r in table.values()] == [450, 2400, 48000, 10080, 840]


def test_lab3_analysis(ex: Extraction) -> None:
    text = ex.data()["lab3"]["analysis"]
    assert text.startswith("Comparison: Histograms in (c)")
    assert "our training process may be dead forever." in text


def test_lab2_code_becomes_a_module_that_runs(ex: Extraction, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (module,) = ex.modules
    assert module.filename == "lab2.py" and module.defines == ("LeNet5",)
    assert module.first == line_of("```") + 1  # the first fenced block, with its line numbers
    assert "from scaffold import CONV, FC" in module.source and "import torch.nn.functional as F" in module.source
    assert "net = LeNet5()" not in module.source and "print(" not in module.source  # script code dropped
    assert "\n6 " not in module.source and "        self.conv1 = CONV(3,6,5)" in module.source
    (tmp_path / "lab2.py").write_text(module.source)
    shutil.copy(REPO / "assignments" / "hw1" / "support" / "scaffold.py", tmp_path / "scaffold.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "scaffold", raising=False)
    spec = importlib.util.spec_from_file_location("writeup_lab2_under_test", tmp_path / "lab2.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.LeNet5()(torch.randn(5, 3, 32, 32))
    assert tuple(out.shape) == (5, 10)


def test_nothing_graded_is_left_unread(ex: Extraction) -> None:
    assert ex.gaps == ()
    assert all(i.confidence >= 0.7 for i in ex.items)


VERDICTS = {
    ("problem1.q1_1", "answer"): "pass", ("problem1.q1_1", "reason"): "manual",
    ("problem1.q1_2", "answer"): "pass", ("problem1.q1_2", "reason"): "manual",
    ("problem1.q1_3", "answer"): "pass", ("problem1.q1_3", "reason"): "manual",
    ("problem1.q1_3", "counterexample"): "missing",
    ("problem1.q1_4", "answer"): "pass", ("problem1.q1_4", "reason"): "manual",
    ("problem1.q1_5", "answer"): "pass", ("problem1.q1_5", "reason"): "manual",
    ("problem1.q1_5", "counterexample"): "fail",  # 10x10 -> 3x3 but 11x11 -> 4x4: it does not hold
    ("problem2.q2_1", "function"): "pass",
    ("problem2.q2_2", "weights"): "pass", ("problem2.q2_3", "weights"): "pass", ("problem2.q2_4", "weights"): "pass",
    ("problem3.q3_1", "jacobians"): "partial", ("problem3.q3_2", "gradients"): "partial",
    ("problem4.q4_1", "output"): "pass", ("problem4.q4_2", "kind"): "pass", ("problem4.q4_2", "reason"): "manual",
    ("lab1.a", "reported_w"): "fail", ("lab1.a", "reported_mse"): "pass", ("lab1.b", "reported_w"): "fail",
    ("lab1.d", "analysis"): "manual", ("lab2.b", "table"): "pass", ("lab3.c", "analysis"): "manual",
}


def test_graded_end_to_end(result: SubmissionResult) -> None:
    got = {(q.id, c.id): c.status.value for q in result.questions for c in q.checks}
    assert {k: got[k] for k in VERDICTS} == VERDICTS
    checks = {(q.id, c.id): c for q in result.questions for c in q.checks}
    # 3.1: dW and db verified, dx has the wrong shape; 3.2: dW1 verified, the other three not given
    assert checks[("problem3.q3_1", "jacobians")].score == 4
    assert "has shape (n_in x 1); dx_{l+1}/dx_l has shape (n_out x n_in)" in checks[("problem3.q3_1", "jacobians")].message
    q32 = checks[("problem3.q3_2", "gradients")]
    assert q32.score == 1.5 and q32.details["alternatives"]["formula"]["status"] == "partial"
    assert "dW1 = ((W_2^T (x_3 - t)) \u2218 (x_2 \u2218 (1 - x_2))) x_1^T: equals dL/dW_1" in q32.message
    # w2 = 1.00061 is off by more than the 1e-3 allowed: the student's numbers, not the extraction
    assert "w2: got 1.00061" in checks[("lab1.a", "reported_w")].message
    # the extracted Lab 2 model is there for the code checks (no sandbox in this run)
    assert "no sandbox" in checks[("lab2.a", "forward_shape")].message
    assert any("l.146" in n and "code graded as lab2.py (LeNet5)" in n for n in result.notes)
    assert any(n.startswith("sample-writeup.txt l.53: problem2.q2_2.w = [-1, -1, -1]") for n in result.notes)
    assert result.warnings[0].startswith("sample-writeup.txt: answers read from the write-up (32 values)")


def test_grade_extract_prints_an_answers_file_that_grades_the_same(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, answers_grader: Grader, result: SubmissionResult, ex: Extraction
) -> None:
    out_dir = tmp_path / "fixed"
    assert main(["extract", str(SAMPLE), "--assignment", "hw1", "--out", str(out_dir)]) == 0
    printed = capsys.readouterr().out
    assert "# l.53, confidence 0.95: assignments to w0, w1, w2\n    w: [-1, -1, -1]" in printed
    assert load_document(printed.encode(), filename="answers.yaml").data == ex.data()
    assert (out_dir / "answers.yaml").read_text() == printed
    assert (out_dir / "lab2.py").read_text() == ex.modules[0].source
    # the TA's folder (answers.yaml + lab2.py) grades like the write-up itself
    again = answers_grader.grade_path(out_dir)
    answer_checks = {(q.id, c.id): (c.status, c.score) for q in result.questions for c in q.checks}
    for q in again.questions:
        for c in q.checks:
            assert (c.status, c.score) == answer_checks[(q.id, c.id)], (q.id, c.id)
    assert main(["extract", str(SAMPLE), "--assignment", "hw1", "--out", str(out_dir)]) == 2  # never overwrites


def test_grade_command_runs_the_extracted_model_in_the_sandbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "result.json"
    assert main([str(SAMPLE), "--assignment", "hw1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "note: sample-writeup.txt l.11: problem1.q1_1.answer = true (confidence 0.95)" in printed
    data = json.loads(out.read_text())
    checks = {(q["id"], c["id"]): c for q in data["questions"] for c in q["checks"]}
    assert checks[("lab2.a", "forward_shape")]["status"] == "pass"
    assert checks[("lab2.a", "uses_scaffold")]["status"] == "pass"
    assert checks[("lab2.b", "model")]["status"] == "pass"
    assert checks[("lab2.b", "model_vs_table")]["status"] == "pass"
    assert data["submission"] == "sample-writeup"
