"""Probes the student's code cannot fool (issue 11, items 3 and 8-11): each submission in
fool/ replaces one file of the example and tries to earn points its model or code does
not deserve; each must score below full marks, with a message that says why."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.engine import Grader

from hw1_testing import EXAMPLE, check, question

FOOL = Path(__file__).parent / "fool"


@pytest.fixture(scope="module")
def grader(plan):
    g = Grader.create(plan, device="cpu")
    yield g
    g.close()


def _grade(grader: Grader, tmp_path: Path, target: str, fixture: str):
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLE, sub)
    shutil.copy(FOOL / fixture, sub / target)
    return grader.grade_path(sub)


def test_a_network_that_is_not_lenet5_loses_lab2a(grader, tmp_path):
    """Item 3: a 3-conv/2-FC network with the right output shape is not LeNet-5."""
    r = _grade(grader, tmp_path, "lab2.py", "lab2_simple_nn.py")
    q = question(r, "lab2.a")
    assert q.score < q.max_score, [(c.id, c.score, c.message) for c in q.checks]
    c = check(r, "lab2.a", "layers")
    assert c.status in ("fail", "partial") and "conv3" in c.message
    c = check(r, "lab2.a", "param_count")
    assert c.status == "fail" and "61984" in c.message


def test_a_model_that_changes_while_measured_is_caught(grader, tmp_path):
    """Item 8: right-sized layers only while forward hooks are attached."""
    r = _grade(grader, tmp_path, "lab2.py", "lab2_hook_switch.py")
    q = question(r, "lab2.b")
    assert q.score < q.max_score, [(c.id, c.score, c.message) for c in q.checks]
    for cid in ("model", "model_vs_table"):
        c = check(r, "lab2.b", cid)
        assert c.status == "fail" and c.score == 0, c.message
        assert "measured" in c.message and "shown_conv1" in c.message, c.message


def test_rebinding_the_scaffold_classes_does_not_pass_uses_scaffold(grader, tmp_path):
    """Item 9: `scaffold.CONV = nn.Conv2d` in the student's module."""
    r = _grade(grader, tmp_path, "lab2.py", "lab2_rebind_scaffold.py")
    c = check(r, "lab2.a", "uses_scaffold")
    assert c.status == "fail" and "conv1" in c.message and "fc3" in c.message
    # nn.Conv2d has a bias, the course's CONV does not: 22 parameters more than the course's
    # LeNet-5, so param_count (0.5) is lost as well as uses_scaffold (2)
    assert check(r, "lab2.a", "param_count").status == "fail"
    assert question(r, "lab2.a").score == 2.5


def test_swapping_the_scaffold_the_probes_are_handed_earns_nothing(grader, tmp_path):
    """Item 9, through the probe context found by the garbage collector."""
    r = _grade(grader, tmp_path, "lab2.py", "lab2_rebind_context.py")
    c = check(r, "lab2.a", "uses_scaffold")
    assert c.status != "pass" and c.score == 0, c.message
    assert "changed the grader's own code" in c.message and "context.scaffold" in c.message, c.message
    assert question(r, "lab2.a").score <= 3


def test_overwriting_a_probe_helper_earns_nothing(grader, tmp_path):
    """Item 10: a wrong model that replaces a helper of the probes module."""
    r = _grade(grader, tmp_path, "lab2.py", "lab2_patch_probe_helper.py")
    assert question(r, "lab2.b").score < 10
    assert question(r, "lab2.a").score < 5
    c = check(r, "lab2.b", "model")
    assert c.status != "pass" and c.score == 0
    assert "changed the grader's own code" in c.message and "_seeded_instance" in c.message, c.message


def test_patched_autograd_in_the_student_process_does_not_pass_lab3c(grader, tmp_path):
    """Item 11: gradients after zero_init are computed in the grader, not in the sandbox."""
    r = _grade(grader, tmp_path, "lab3.py", "lab3_patch_autograd.py")
    assert check(r, "lab3.c", "all_zero").status == "fail"
    c = check(r, "lab3.c", "gradients")
    assert c.status != "pass" and c.score < 3, c.message
    assert question(r, "lab3.b").score == 8  # the honest layer_gradients still counts


def test_the_wrong_fc_mistake_now_loses_architecture_points_in_lab2a(grader, tmp_path):
    """Item 3 moves tests/e2e/mistakes/lab2_wrong_fc.py: lab2.a was 5/5, now the layer
    shapes and the parameter count are checked there too."""
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLE, sub)
    shutil.copy(Path(__file__).parent / "mistakes" / "lab2_wrong_fc.py", sub / "lab2.py")
    r = grader.grade_path(sub)
    c = check(r, "lab2.a", "layers")
    assert c.status == "partial" and "fc1 weight shape" in c.message and "(120, 1024)" in c.message, c.message
    assert check(r, "lab2.a", "param_count").status == "fail"
    assert check(r, "lab2.a", "forward_shape").status == "pass" and check(r, "lab2.a", "uses_scaffold").status == "pass"
    assert question(r, "lab2.a").score == 4.2
