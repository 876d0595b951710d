"""Name the mistake (issue 15): each of HW1's known mistakes, made by a student submission
(the example with a one-line slip), gets the named diagnosis; a right submission never
gets one; the score moves only where the rubric gives the mistake credit."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.engine import Grader
from hw1_testing import EXAMPLE, check

MISTAKES = Path(__file__).parent / "mistakes"


def _slip(sub: Path, file: str, old: str, new: str) -> None:
    text = (sub / file).read_text()
    assert old in text, f"{old!r} not in the example's {file}"
    (sub / file).write_text(text.replace(old, new))


# Each submission makes mistakes in different checks, so one grading serves several tests.
SLIPS: dict[str, list[tuple[str, str, str]]] = {
    "a": [
        ("lab1.py", "    A = _augment(X)\n    w, *_", "    A = X\n    w, *_"),  # closed form without the bias column
        ("lab1.py", "history.append(np.mean(", "history.append(0.5 * np.mean("),  # half-MSE
        ("problem3.py", "dx = torch.diag(d) @ W", "dx = (torch.diag(d) @ W).T"),  # Jacobian transposed
        ("problem3.py", "delta = (W2.T @ e) * x2 * (1 - x2)", "delta = (W2.T @ e) * y1 * (1 - y1)"),
        ("lab3.py", "F.cross_entropy(model(images), labels)", "F.cross_entropy(model(images), labels, reduction='sum')"),
        ("lab3.py", "for p in model.parameters():\n            p.zero_()",
         "for n, p in model.named_parameters():\n            if 'weight' in n:\n                p.zero_()"),
        ("answers.yaml", "params: 450,", "params: 456,"), ("answers.yaml", "params: 2400,", "params: 2416,"),
        ("answers.yaml", "params: 48000,", "params: 48120,"), ("answers.yaml", "params: 10080,", "params: 10164,"),
        ("answers.yaml", "params: 840,", "params: 850,"),
    ],
    "b": [
        ("lab1.py", "            for xi, yi in zip(A, y):\n                w = w + lr * (yi - w @ xi) * xi",
         "            w = w + lr * A.T @ (y - A @ w) / len(y)"),  # batch gradient
        ("problem3.py", "    x_next = torch.sigmoid(W @ x + b)\n    d = x_next * (1 - x_next)",
         "    z = W @ x + b\n    d = z * (1 - z)"),  # sigmoid derivative at the pre-activation
        ("lab2.py", "CONV(3, 6, 5)", "CONV(3, 6, 5, padding=2)"), ("lab2.py", "FC(400, 120)", "FC(576, 120)"),
        ("answers.yaml", "macs: 352800}", "macs: 357504}"), ("answers.yaml", "macs: 240000}", "macs: 241600}"),
        ("answers.yaml", "macs: 48000}", "macs: 48120}"), ("answers.yaml", "macs: 10080}", "macs: 10164}"),
        ("answers.yaml", "macs: 840}", "macs: 850}"),
    ],
    "negated": [("answers.yaml", "w: [-1, -1, -1]\n    truth_table: [[-1, -1, 1, 1], [-1, 1, -1, -1], [1, -1, -1, -1], [1, 1, -3, -1]]",
                  "w: [1, 1, 1]\n    truth_table: [[-1, -1, -1, -1], [-1, 1, 1, 1], [1, -1, 1, 1], [1, 1, 3, 1]]")],
    "no_bias": [("lab1.py", "def lms(X, y, lr=0.01, epochs=20):\n    A = _augment(X)\n    w = np.zeros(3)",
                 "def lms(X, y, lr=0.01, epochs=20):\n    A = X\n    w = np.zeros(2)")],
    "outer": [("problem3.py", '"W1": torch.outer(delta, x1)', '"W1": torch.outer(x1, delta)'),
              ("problem3.py", '"W2": torch.outer(e, x2)', '"W2": torch.outer(x2, e)')],
    "sign": [("lab1.py", "w = w + lr * (yi - w @ xi) * xi", "w = w - lr * (yi - w @ xi) * xi")],
    "negated_w_only": [("answers.yaml", "w: [-1, -1, -1]", "w: [1, 1, 1]")],
    "epochs19": [("lab1.py", "for _ in range(epochs):", "for _ in range(1, epochs):")],
    "shuffled": [("lab1.py", "            for xi, yi in zip(A, y):",
                  "            for i in np.random.permutation(len(y)):\n                xi, yi = A[i], y[i]")],
}

# (mistake, submission, question, check): the table of HW1's known mistakes and where each is named
NAMED = [
    ("closed_form_no_bias", "a", "lab1.a", "course_data"),
    ("half_mse", "a", "lab1.b", "mse_curve"),
    ("jacobian_transposed", "a", "problem3.q3_1", "jacobians"),
    ("two_layer_derivative_at_preactivation", "a", "problem3.q3_2", "gradients"),
    ("cross_entropy_sum", "a", "lab3.b", "gradients"),
    ("zero_init_weights_only", "a", "lab3.c", "all_zero"),
    ("zero_init_weights_only", "a", "lab3.c", "gradients"),
    ("table_params_with_bias", "a", "lab2.b", "table"),
    ("lms_batch_gradient", "b", "lab1.b", "mse_curve"),
    ("sigmoid_derivative_at_preactivation", "b", "problem3.q3_1", "jacobians"),
    ("lenet_padding_2", "b", "lab2.b", "model"),
    ("table_macs_with_bias", "b", "lab2.b", "table"),
    ("weights_negated", "negated", "problem2.q2_2", "weights"),
    ("lms_no_bias", "no_bias", "lab1.b", "final_w"),
    ("two_layer_outer_transposed", "outer", "problem3.q3_2", "gradients"),
    ("lms_update_sign", "sign", "lab1.b", "mse_curve"),
    ("lms_19_epochs", "epochs19", "lab1.b", "final_w_unconverged"),
    ("lms_shuffled_rows", "shuffled", "lab1.b", "mse_curve"),
]


@pytest.fixture(scope="module")
def grader(plan):
    g = Grader.create(plan, device="cpu")
    yield g
    g.close()


@pytest.fixture(scope="module")
def graded(grader, tmp_path_factory):
    cache: dict[str, object] = {}

    def get(name: str):
        if name not in cache:
            sub = tmp_path_factory.mktemp(name) / "sub"
            shutil.copytree(EXAMPLE, sub)
            for file, old, new in SLIPS[name]:
                _slip(sub, file, old, new)
            cache[name] = grader.grade_path(sub)
        return cache[name]

    return get


@pytest.mark.parametrize("mistake,sub,qid,cid", NAMED, ids=[f"{m}-{q}.{c}" for m, _, q, c in NAMED])
def test_mistake_is_named(graded, mistake, sub, qid, cid):
    c = check(graded(sub), qid, cid)
    assert c.status in ("fail", "partial"), c.message
    assert c.details["diagnosis"]["mistake"] == mistake, c.details.get("diagnosis")
    assert f"({mistake})" in c.message and c.details["diagnosis"]["explain"] in c.message
    assert "credit" not in c.details["diagnosis"]  # HW1 names its mistakes; it gives no credit for them


def test_half_mse_names_the_factor(graded):
    c = check(graded("a"), "lab1.b", "mse_curve")
    assert "exactly 0.5x the reference" in c.message and "1/2 factor" in c.message
    assert c.score == 0  # a diagnosis never changes the score where the rubric does not say so


def test_a_mistake_that_explains_part_of_a_check_is_named_in_part(graded):
    # the weights are negated, the truth table (left as NOR's) disagrees with them: against
    # the negated function the check scores 3 of 4 (table penalty), against NOR 0
    c = check(graded("negated_w_only"), "problem2.q2_2", "weights")
    assert (c.status, c.score) == ("fail", 0)
    d = c.details["diagnosis"]
    assert d["mistake"] == "weights_negated" and d["in_part"] is True and "part of your output matches" in d["evidence"]


def test_every_known_mistake_has_a_test(grader):
    from hw1_testing import HW1

    defined = HW1.module("mistakes").MISTAKES

    assert {m for m, *_ in NAMED} == set(defined)


def test_the_example_gets_no_diagnosis(graded, grader):
    r = grader.grade_path(EXAMPLE)
    for q in r.questions:
        for c in q.checks:
            assert "diagnosis" not in c.details, (q.id, c.id, c.message)


def test_right_checks_of_a_mistaken_submission_get_none(graded):
    r = graded("a")
    for q in r.questions:
        for c in q.checks:
            if c.status == "pass":
                assert "diagnosis" not in c.details, (q.id, c.id)


@pytest.mark.parametrize("fixture,target,qid,cid,mistake", [
    ("lab1_no_bias.py", "lab1.py", "lab1.a", "course_data", "closed_form_no_bias"),
    ("lab3_sum.py", "lab3.py", "lab3.b", "gradients", "cross_entropy_sum"),
    ("problem3_transposed.py", "problem3.py", "problem3.q3_1", "jacobians", "jacobian_transposed"),
])
def test_typical_mistakes_fixtures_are_named(grader, tmp_path, fixture, target, qid, cid, mistake):
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLE, sub)
    shutil.copy(MISTAKES / fixture, sub / target)
    c = check(grader.grade_path(sub), qid, cid)
    assert c.details["diagnosis"]["mistake"] == mistake, c.message


def test_a_fixture_with_a_different_padding_mistake_is_named_in_part(grader, tmp_path):
    # padding 2 on both convolutions: lenet_padding_2 (conv1 only) explains part of the table
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLE, sub)
    shutil.copy(MISTAKES / "lab2_wrong_fc.py", sub / "lab2.py")
    r = grader.grade_path(sub)
    d = check(r, "lab2.b", "model").details["diagnosis"]
    assert d["mistake"] == "lenet_padding_2" and d["in_part"] is True
    assert "diagnosis" not in check(r, "lab2.a", "param_count").details  # one number: no relation to name


@pytest.mark.parametrize("fixture,target", [("lab1_normal_equations.py", "lab1.py"), ("lab2_plain_conv.py", "lab2.py")])
def test_fixtures_without_a_known_mistake_get_no_diagnosis(grader, tmp_path, fixture, target):
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLE, sub)
    shutil.copy(MISTAKES / fixture, sub / target)
    r = grader.grade_path(sub)
    assert not [c.id for q in r.questions for c in q.checks if "diagnosis" in c.details]


def test_the_results_stay_plain_json(graded):
    json.dumps(graded("a").model_dump(mode="json"), allow_nan=False)
