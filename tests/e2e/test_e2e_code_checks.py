"""Code-backed checks end to end: typical student mistakes get messages that say what is
wrong, right answers in unexpected forms pass, notebooks work, results are reproducible."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.cli import main
from grader.engine import Grader

from hw1_testing import EXAMPLE, check, question

MISTAKES = Path(__file__).parent / "mistakes"
COURSE = Path(__file__).parent / "course"


@pytest.fixture(scope="module")
def grader(plan):
    g = Grader.create(plan, device="cpu")
    yield g
    g.close()


def _with(tmp_path: Path, folder: Path = MISTAKES, **files: str) -> Path:
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLE, sub)
    for target, fixture in files.items():
        if fixture is None:
            (sub / target).unlink()
        else:
            shutil.copy(folder / fixture, sub / target)
    return sub


def test_course_scaffold_keywords_and_zeroing_the_biases_that_exist(grader, tmp_path):
    """Issue 13: students build with nn.Conv2d's keyword names and zero every weight and
    every bias that exists (the course's CONV has none): both are full marks."""
    r = grader.grade_path(_with(tmp_path, COURSE, **{"lab2.py": "lab2_keywords.py", "lab3.py": "lab3_zero_existing.py"}))
    for qid in ("lab2.a", "lab2.b", "lab3.b"):
        q = question(r, qid)
        assert q.score == q.max_score, [c.message for c in q.checks]
    for cid in ("all_zero", "gradients"):
        c = check(r, "lab3.c", cid)
        assert c.status == "pass", c.message


def test_closed_form_without_bias_and_lms_ignoring_lr(grader, tmp_path):
    r = grader.grade_path(_with(tmp_path, **{"lab1.py": "lab1_no_bias.py"}))
    c = check(r, "lab1.a", "course_data")
    assert c.status == "fail" and "shape (2,), expected (3,)" in c.message
    assert c.hint and "bias" in c.hint
    # lms ignores lr: right at r = 0.01, wrong elsewhere; r = 0.5 should diverge but does not
    assert check(r, "lab1.b", "final_w").status == "pass"
    assert check(r, "lab1.d", "r_0_1").status == "fail"
    c = check(r, "lab1.d", "r_0_5")
    assert c.status == "fail" and "the reference diverges" in c.message
    assert c.views[0].type == "curves" and [s.name for s in c.views[0].series] == ["yours", "reference"]


def test_normal_equations_and_column_vector_pass(grader, tmp_path):
    r = grader.grade_path(_with(tmp_path, **{"lab1.py": "lab1_normal_equations.py"}))
    for qid in ("lab1.a", "lab1.b"):
        assert question(r, qid).score == question(r, qid).max_score, [c.message for c in question(r, qid).checks]
    assert all(c.status == "pass" for c in question(r, "lab1.d").checks if c.max_score and c.status != "manual")


def test_lenet_without_scaffold_and_with_wrong_shapes(grader, tmp_path):
    r = grader.grade_path(_with(tmp_path, **{"lab2.py": "lab2_plain_conv.py"}))
    c = check(r, "lab2.a", "uses_scaffold")
    assert c.status == "fail" and "conv1" in c.message and "fc3" in c.message
    assert check(r, "lab2.a", "forward_shape").status == "pass"
    r = grader.grade_path(_with(tmp_path / "2", **{"lab2.py": "lab2_wrong_fc.py"}))
    assert check(r, "lab2.b", "table").status == "pass"  # the reported table is still right
    c = check(r, "lab2.b", "model")
    assert c.status == "partial" and "fc1" in c.message and "1024" in c.message
    c = check(r, "lab2.b", "model_vs_table")
    assert c.status == "partial" and "your model says" in c.message and "your table" in c.message


def test_sum_reduction_and_forgotten_biases(grader, tmp_path):
    r = grader.grade_path(_with(tmp_path, **{"lab3.py": "lab3_sum.py"}))
    c = check(r, "lab3.b", "gradients")
    assert c.status == "fail" and "mismatched elements" in c.message and "conv1.weight" in c.message
    assert c.views and c.views[0].type == "mismatch"
    c = check(r, "lab3.c", "all_zero")
    assert c.status == "fail" and "fc1.bias" in c.message and "conv1" not in c.message  # the course's CONV has no bias


def test_transposed_jacobian_partial_credit(grader, tmp_path):
    r = grader.grade_path(_with(tmp_path, **{"problem3.py": "problem3_transposed.py"}))
    c = check(r, "problem3.q3_1", "jacobians")
    assert c.status == "partial" and 0 < c.score < c.max_score
    assert "'dx'" in c.message and "shape" in c.message
    c = check(r, "problem3.q3_2", "gradients")
    assert "'W1'" in c.message


def test_one_gradient_of_eight_earns_an_eighth(grader, tmp_path):
    r = grader.grade_path(_with(tmp_path, **{"lab3.py": "lab3_one_gradient.py"}))
    c = check(r, "lab3.b", "gradients")
    assert c.status == "partial" and c.score == pytest.approx(1.0), (c.score, c.message)
    assert "missing keys" in c.message and c.details == {"compared": 8, "matched": 1}  # the course's CONV has no bias


def test_all_zero_problem3_scores_nothing(grader, tmp_path):
    """The probe echoes each case's sizes (n_in, n_out): they are not the student's work."""
    sub = _with(tmp_path, **{"problem3.py": "problem3_zeros.py"})
    answers = (sub / "answers.yaml").read_text()
    start, end = answers.index("\nproblem3:"), answers.index("\nproblem4:")
    (sub / "answers.yaml").write_text(answers[:start] + answers[end:])  # only the code can score
    r = grader.grade_path(sub)
    for qid, cid in (("problem3.q3_1", "jacobians"), ("problem3.q3_2", "gradients")):
        c = check(r, qid, cid)
        assert c.status == "fail" and c.score == 0, (qid, c.score, c.message)
        assert c.details["matched"] == 0


def test_long_curve_is_refused_with_its_size_and_bloats_nothing(grader, tmp_path):
    r = grader.grade_path(_with(tmp_path, **{"lab1.py": "lab1_long_curve.py"}))
    assert check(r, "lab1.b", "final_w").status == "pass"
    for qid, cid in (("lab1.b", "mse_curve"), ("lab1.d", "r_0_1"), ("lab1.d", "r_1")):
        c = check(r, qid, cid)
        assert c.status == "fail" and "500000 numbers" in c.message and "expected 20" in c.message, c.message
        assert not c.views
    assert len(r.to_json()) < 200_000  # 6 calls of 4 MB each made a 120 MB results file


def test_notebook_in_place_of_module_skips_magics(grader, tmp_path):
    sub = _with(tmp_path, **{"lab1.py": None})
    code = (EXAMPLE / "lab1.py").read_text().split('if __name__ == "__main__":')[0]
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Lab 1\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
         "source": ["%matplotlib inline\n", "!pip install numpy\n", "import numpy as np\n"]},
        {"cell_type": "code", "metadata": {}, "execution_count": 2, "outputs": [], "source": code.splitlines(True)},
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (sub / "lab1.ipynb").write_text(json.dumps(nb))
    r = grader.grade_path(sub)
    assert question(r, "lab1.a").score == question(r, "lab1.a").max_score
    notes = " ".join(r.notes)
    assert "lab1.ipynb" in notes and "!pip install numpy" in notes


def test_example_twice_byte_identical_through_cli(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert main([str(EXAMPLE), "--json", str(a), "--quiet"]) == 0
    assert main([str(EXAMPLE), "--json", str(b), "--quiet"]) == 0
    assert a.read_bytes() == b.read_bytes()
    # 88 auto + 12 pending review: the lab1.c figure (2 points) waits for a TA since issue 11.5 (it was 90)
    assert "total: 88 / 100" in capsys.readouterr().out


def test_cuda_without_gpu_is_a_clear_error(capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert main([str(EXAMPLE), "--device", "cuda"]) == 2
    assert "no CUDA device" in capsys.readouterr().err
