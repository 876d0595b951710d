"""The sandbox through the real engine: what a submission sends back or stages can only
ever cost its own checks, and the same submission always gets the same bytes."""

from __future__ import annotations

import importlib.util
import py_compile
import shutil
from pathlib import Path

import pytest
from sbxkit import STUDENTS

from grader.engine import Grader, sandbox_limits
from grader.results import SubmissionResult
from grader.sandbox import Sandbox

from hw1_testing import EXAMPLE, check

LAB1_QUESTIONS = {"lab1.a", "lab1.b", "lab1.d"}



def _with_lab1(tmp_path: Path, source: Path | str, name: str = "sub") -> Path:
    sub = tmp_path / name
    shutil.copytree(EXAMPLE, sub)
    if isinstance(source, Path):
        shutil.copyfile(source, sub / "lab1.py")
    else:
        (sub / "lab1.py").write_text(source)
    return sub


@pytest.mark.slow  # > 10 s
def test_a_forged_array_header_is_that_calls_error_and_the_rest_is_graded(grader, baseline, tmp_path):
    """Issue 12 item 4: an .npy header with shape (-2, -3) crashed the whole submission."""
    result = grader.grade_path(_with_lab1(tmp_path, STUDENTS / "forged_npy_lab1.py"))
    c = check(result, "lab1.a", "course_data")
    assert c.score == 0 and c.status == "error", (c.status, c.message)
    assert "impossible shape (-2, -3)" in c.message, c.message
    for q, bq in zip(result.questions, baseline.questions):
        if q.id not in LAB1_QUESTIONS:
            assert q.score == bq.score, (q.id, [x.message for x in q.checks])
    assert check(result, "lab1.a", "reported_w").status == "pass"
    result.to_json()
    assert grader.grade_path(EXAMPLE).to_json() == baseline.to_json()


WRONG_LAB1 = '''"""Lab 1, wrong: every weight is zero."""
import numpy as np


def closed_form(X, y):
    return np.zeros(3)


def lms(X, y, lr=0.01, epochs=20):
    return np.zeros(3), np.ones(epochs)
'''


def _hidden_pyc(source: Path, folder: Path, module: str) -> None:
    """The bytecode of `source` as `folder/__pycache__/<module>.<tag>.pyc`, in the mode
    Python loads without ever looking at the .py beside it (unchecked hash)."""
    target = Path(importlib.util.cache_from_source(str(folder / f"{module}.py")))
    py_compile.compile(str(source), cfile=str(target), doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)


def _scores(result: SubmissionResult) -> dict[str, tuple[float, ...]]:
    return {q.id: tuple(c.score for c in q.checks) for q in result.questions}


def test_a_hidden_pyc_never_runs_instead_of_the_visible_source(grader, tmp_path):
    """Issue 12 item 9: a __pycache__/lab1.*.pyc compiled from a correct lab1.py got full
    marks beside a wrong lab1.py, while the feedback said __pycache__/ was ignored."""
    honest = grader.grade_path(_with_lab1(tmp_path, WRONG_LAB1, "honest"))
    assert check(honest, "lab1.a", "course_data").status == "fail"
    sub = _with_lab1(tmp_path, WRONG_LAB1, "cheat")
    _hidden_pyc(EXAMPLE / "lab1.py", sub, "lab1")
    result = grader.grade_path(sub)
    assert _scores(result) == _scores(honest)
    assert "ignored __pycache__/" in result.notes


def test_a_helper_module_is_imported_from_its_source_only(grader, tmp_path):
    """The student's own helper modules: a hidden pyc beside a wrong helper.py is not
    used, and a bytecode-only module (helper2.pyc, no .py) cannot be imported at all."""
    sub = _with_lab1(tmp_path, "from helper import closed_form, lms\n", "helper")
    (sub / "helper.py").write_text(WRONG_LAB1)
    _hidden_pyc(EXAMPLE / "lab1.py", sub, "helper")
    result = grader.grade_path(sub)
    assert check(result, "lab1.a", "course_data").status == "fail"
    assert check(result, "lab1.b", "final_w").status == "fail"

    sub = _with_lab1(tmp_path, "from helper2 import closed_form, lms\n", "sourceless")
    py_compile.compile(str(EXAMPLE / "lab1.py"), cfile=str(sub / "helper2.pyc"), doraise=True)
    result = grader.grade_path(sub)
    c = check(result, "lab1.a", "course_data")
    assert c.status == "error" and "No module named 'helper2'" in c.message, c.message


SHUFFLING_LAB1 = '''"""Lab 1 with an LMS that shuffles every epoch with numpy's unseeded global generator."""
import numpy as np


def _augment(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


def closed_form(X, y):
    w, *_ = np.linalg.lstsq(_augment(X), y, rcond=None)
    return w


def lms(X, y, lr=0.01, epochs=20):
    A = _augment(X)
    w = np.zeros(3)
    history = []
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range({epochs}):
            {order}
            for i in order:
                w = w + lr * (y[i] - w @ A[i]) * A[i]
            history.append(np.mean((A @ w - y) ** 2))
    return w, np.array(history)
'''


def _fresh(grader: Grader) -> Grader:
    """The same plan and reference outputs with a sandbox of its own: a new zygote, as a
    new run of `grade` starts (the unseeded generators were seeded anew by each one)."""
    plan = grader.plan
    box = Sandbox(probes_file=plan.probes_file, support_files=plan.support_files, default_limits=sandbox_limits(plan.rubric.limits))
    return Grader(plan=plan, device="cpu", sandbox=box, ref_outputs=grader.ref_outputs, notes=list(grader.notes))


@pytest.mark.slow
def test_unseeded_shuffles_give_the_same_bytes_every_run_and_in_any_class_order(grader, tmp_path):
    """Issue 11 item 12: an LMS shuffling with the unseeded global numpy RNG gave other
    JSON on every run (totals 20.56 and 19.76). Three runs, each with its own zygote and
    the class in another order, give byte-identical results per submission."""
    shuffle = _with_lab1(tmp_path, SHUFFLING_LAB1.format(epochs="epochs", order="order = np.arange(len(y)); np.random.shuffle(order)"), "shuffle")
    permute = _with_lab1(tmp_path, SHUFFLING_LAB1.format(epochs="epochs + 1", order="order = np.random.permutation(len(y))"), "permute")
    orders = [[shuffle, EXAMPLE, permute], [permute, EXAMPLE, shuffle], [shuffle]]
    runs: list[dict[Path, str]] = []
    for order in orders:
        with _fresh(grader) as g:
            runs.append({sub: g.grade_path(sub).to_json() for sub in order})
    assert runs[0][shuffle] == runs[1][shuffle] == runs[2][shuffle]
    assert runs[0][permute] == runs[1][permute]
    assert runs[0][EXAMPLE] == runs[1][EXAMPLE]
    # the shuffle is real: it changes the weights, so it is the seed that makes them repeat
    assert check(SubmissionResult.model_validate_json(runs[0][shuffle]), "lab1.b", "final_w").status != "pass"
