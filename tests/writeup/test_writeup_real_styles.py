"""Write-ups in the styles students really hand in (fixtures/styles, written by
make_styles.py there): a Word PDF with mangled subscripts, a Jupyter PDF export, a LaTeX PDF,
a report notebook and a .docx. Each is read as the grader reads it (in the limited reader
child) and pinned three ways: the values scored, the values sent to a TA, the questions not
found. Nothing is scored that the report does not give for that question: the scored values
are exactly the ones listed here, each written in the fixture under that question."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from grader.answers import Answers
from grader.engine import Grader
from grader.rubric import Plan
from grader.submission import open_submission
from grader.writeup.loader import load_answers_or_writeup

STYLES = Path(__file__).resolve().parent / "fixtures" / "styles"

OUTPUT_4_1 = [
    [0, 0, -0.25, -0.5, 1.75, -0.5, -0.25, 0, 0],
    [-0.25, -0.5, 1.5, 1.25, 1, 1.25, 1.5, -0.5, -0.25],
    [1.75, 1.5, 1, 1, 1, 1, 1, 1.5, 1.75],
    [-0.25, -0.5, 1.5, 1.25, 1, 1.25, 1.5, -0.5, -0.25],
    [0, 0, -0.25, -0.5, 1.75, -0.5, -0.25, 0, 0],
]

NOT_GIVEN_P1 = {f"problem1.q1_{i}.answer" for i in (1, 2, 3, 4, 5)}
ALL_GRADED = NOT_GIVEN_P1 | {"problem2.q2_1.function", "problem2.q2_2", "problem2.q2_3", "problem2.q2_4", "problem3.q3_1",
                             "problem3.q3_2", "problem4.q4_1", "problem4.q4_2.kind", "lab1.closed_form.w", "lab1.lms.w",
                             "lab1.analysis", "lab2.table", "lab3.analysis"}

# per write-up: values scored (path -> value), values waiting for a TA (path -> value as read), not found
CASES: dict[str, tuple[dict[str, Any], dict[str, Any], set[str]]] = {
    "word.pdf": (
        {
            "problem1.q1_1.answer": True, "problem1.q1_2.answer": False,
            "problem1.q1_2.reason": "Different depths can overfit; more layers do not always help.",  # ligatures
            "problem2.q2_1.function": "AND",  # the repeated question ("Given w0 = -1.5 ...") is not read
            "problem2.q2_2.w": [-1, -1, -1],  # "w2 = -1 will cause the Adaline to perform NOR": the words cut
            "problem2.q2_3.w": [0, 1, 1, 1],  # Cambria Math italics
            "problem4.q4_1": OUTPUT_4_1,
            "lab1.closed_form.w": [-0.9993, 1.0006, -2.0003],  # "w 1 = ...": the subscript dropped to the baseline
            "lab1.closed_form.mse": 1.008e-4,  # "1.008 x 10⁻⁴"
        },
        {"problem2.q2_4.w": [1.5, 1, 1],  # a vector with no label in Q2.4's region
         "problem4.q4_2.kind": "blurring"},  # blurring and sharpens both named
        {"problem1.q1_3.answer", "problem1.q1_4.answer", "problem1.q1_5.answer", "problem3.q3_1", "problem3.q3_2",
         "lab1.lms.w", "lab1.analysis", "lab2.table", "lab3.analysis"},
    ),
    "jupyter.pdf": (
        {
            "problem2.q2_1.function": "AND",
            "problem2.q2_2.w": [-1, -1, -1],  # not w = np.array([1, 1, 1]) of the code cell above it
            "problem4.q4_1": OUTPUT_4_1,  # not the input image repeated before it
            "problem4.q4_2.kind": "sharpening",  # not "off" from plt.axis("off")
            "lab1.closed_form.w": [-0.9993, 1.0006, -2.0003], "lab1.closed_form.mse": 0.0001008,
        },
        {},
        NOT_GIVEN_P1 | {"problem2.q2_3", "problem2.q2_4", "problem3.q3_1", "problem3.q3_2", "lab1.lms.w",
                        "lab1.analysis", "lab2.table", "lab3.analysis"},  # Q2.3: only in code, which is no answer
    ),
    "latex.pdf": (
        {
            "problem1.q1_1.answer": True, "problem1.q1_5.answer": False,
            "problem4.q4_2.kind": "sharpening",  # "It sharpens ...", not "apply" from the question's sentence
            "problem4.q4_2.reason": "It sharpens the image: fine details and edges get stronger.",
            "lab1.lms.w": [-0.9992, 1.0008, -2.0007],  # "w = [...] is the final weight vector"
            "lab3.analysis": "With zero weights every gradient is zero except the last layer's bias.",
        },
        {},
        {"problem1.q1_2.answer", "problem1.q1_3.answer", "problem1.q1_4.answer", "problem1.q1_1.reason",
         "problem2.q2_1.function", "problem2.q2_2", "problem2.q2_3", "problem2.q2_4", "problem3.q3_1", "problem3.q3_2",
         "problem4.q4_1", "lab1.closed_form.w", "lab1.analysis", "lab2.table"},
    ),
    "report.ipynb": (
        {
            "problem1.q1_3.answer": False,
            "problem2.q2_1.function": "NAND",  # a wrong answer the report gives is scored (wrong)
            "problem4.q4_2.kind": "edge detection",
            "lab1.closed_form.w": [-0.99932, 1.00061, -2.00032], "lab1.closed_form.mse": 0.0001008,  # a cell's output
        },
        {"problem2.q2_2.w": [-1, -1, -1]},  # printed as "w0, w1, w2 = [-1 -1 -1]": no label per weight
        {"problem1.q1_1.answer", "problem1.q1_2.answer", "problem1.q1_4.answer", "problem1.q1_5.answer",
         "problem2.q2_3", "problem2.q2_4", "problem3.q3_1", "problem3.q3_2", "problem4.q4_1", "lab1.lms.w",
         "lab1.analysis", "lab2.table", "lab3.analysis"},
    ),
    "report.docx": (
        {
            "problem2.q2_2.w": [-1, -1, -1],
            "problem2.q2_2.truth_table": [[-1, -1, 1, 1], [-1, 1, -1, -1], [1, -1, -1, -1], [1, 1, -3, -1]],  # a Word table
            "problem2.q2_4.w": [1.5, 1, 1],  # "w22 = 1 (an OR of the hidden units)."
            "problem4.q4_2.kind": "sharpening",
            "lab2.table": {  # a Word table
                "conv1": {"input_shape": [1, 3, 32, 32], "output_shape": [1, 6, 28, 28], "weight_shape": [6, 3, 5, 5],
                          "params": 450, "macs": 352800},
                "conv2": {"input_shape": [1, 6, 14, 14], "output_shape": [1, 16, 10, 10], "weight_shape": [16, 6, 5, 5],
                          "params": 2400, "macs": 240000},
                "fc1": {"input_shape": [1, 400], "output_shape": [1, 120], "weight_shape": [120, 400], "params": 48000,
                        "macs": 48000},
                "fc2": {"input_shape": [1, 120], "output_shape": [1, 84], "weight_shape": [84, 120], "params": 10080,
                        "macs": 10080},
                "fc3": {"input_shape": [1, 84], "output_shape": [1, 10], "weight_shape": [10, 84], "params": 840,
                        "macs": 840},
            },
        },
        {},
        NOT_GIVEN_P1 | {"problem2.q2_1.function", "problem2.q2_3", "problem3.q3_1", "problem3.q3_2", "problem4.q4_1",
                        "lab1.closed_form.w", "lab1.lms.w", "lab1.analysis", "lab3.analysis"},
    ),
}


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict) and not (prefix.endswith("lab2.table") or not data):
        out: dict[str, Any] = {}
        for k, v in data.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: data}


def read(plan: Plan, tmp_path: Path, name: str, *, extra: dict[str, bytes] | None = None) -> Answers:
    d = tmp_path / name.replace(".", "_")
    d.mkdir()
    shutil.copy(STYLES / name, d / name)
    for other, content in (extra or {}).items():
        (d / other).write_bytes(content)
    with open_submission(d) as sub:
        answers, _ = load_answers_or_writeup(sub, plan=plan)  # read in the limited child, as when grading
    assert answers.error is None, answers.error
    return answers


@pytest.mark.parametrize("name", sorted(CASES))
def test_scored_waiting_and_not_found(plan: Plan, tmp_path: Path, name: str) -> None:
    scored, waiting, not_found = CASES[name]
    answers = read(plan, tmp_path, name)
    # free text (reasons, analyses) goes to a TA anyway: pinned only where listed
    got = {k: v for k, v in _flat(answers.data).items() if k in scored or not k.endswith((".reason", ".analysis"))}
    assert got == scored
    assert {r.path: r.value for r in answers.pending} == waiting
    assert all(r.confidence < plan.rubric.writeup.review_below for r in answers.pending)
    assert all(r.where.startswith(name) and r.excerpt for r in answers.pending)
    for path in not_found:
        assert not any(k == path or k.startswith(path + ".") for k in got), path
        assert any(f": {path}: " in w for w in answers.warnings), f"{path} is not reported as not found"
    covered = set(scored) | set(waiting) | not_found
    assert all(any(c == p or c.startswith(p + ".") for c in covered) for p in ALL_GRADED), "a graded answer unaccounted for"


@pytest.mark.parametrize("name", sorted(CASES))
def test_graded_checks_use_only_what_the_report_gives(answers_grader: Grader, tmp_path: Path, name: str) -> None:
    """End to end: a check is scored (pass/fail/partial) only from a value listed as scored;
    a value waiting for a TA leaves its check waiting; nothing found is missing, not zero by guess."""
    scored, waiting, not_found = CASES[name]
    d = tmp_path / "sub"
    d.mkdir()
    shutil.copy(STYLES / name, d / name)
    r = answers_grader.grade_path(d)
    checks = {(q.id, c.id): c for q in r.questions for c in q.checks}
    for q in answers_grader.plan.questions:
        for pc in q.checks:
            path = pc.spec.answer
            if not path or pc.spec.kind == "manual" or pc.spec.points == 0:
                continue
            c = checks[(q.id, pc.spec.id)]
            given = any(k == path or k.startswith(path + ".") for k in scored)
            if c.status.value in ("pass", "fail", "partial"):
                assert given, f"{name}: {path} scored {c.status.value} from a value the report does not give"
            if any(k == path or k.startswith(path + ".") for k in waiting):
                assert c.status.value == "manual" and c.message.startswith("read from your report, waiting for a TA")
            if path in not_found:
                assert c.status.value == "missing", (path, c.status, c.message)


def test_a_report_image_is_graded_as_the_questions_figure(answers_grader: Grader, tmp_path: Path) -> None:
    for name in ("jupyter.pdf", "report.ipynb", "report.docx"):
        d = tmp_path / name.replace(".", "_")
        d.mkdir()
        shutil.copy(STYLES / name, d / name)
        r = answers_grader.grade_path(d)
        fig = next(c for q in r.questions if q.id == "lab1.c" for c in q.checks if c.id == "figure")
        assert fig.status.value == "manual", (name, fig.message)  # readable: waits for a TA to look at it
        assert "lab1c_figure1.png" in str(fig.views) + str(fig.details), (name, fig.views)


def test_a_readme_and_notes_beside_report_pdf_do_not_refuse_the_folder(plan: Plan, tmp_path: Path) -> None:
    answers = read(plan, tmp_path, "word.pdf", extra={"README.md": b"# How to run\n", "notes.md": b"Q2.1 OR\n",
                                                      "lab1.ipynb": b"{}"})
    assert answers.data is not None and answers.data["problem2"]["q2_1"]["function"] == "AND"
    assert any("2 documents and no answers file: word.pdf is read as the report (a PDF); ignored: notes.md" in w
               for w in answers.warnings)


def test_not_found_says_where_it_looked(plan: Plan, tmp_path: Path) -> None:
    answers = read(plan, tmp_path, "word.pdf")
    text = "\n".join(answers.warnings)
    assert ("lab1.lms.w: not found: no section for lab1.b (looked for a header such as '(b)' under 'Lab 1'; "
            "headers in the write-up: 'Problem 1' (p.1 l.2)") in text
    assert "'5 Lab: LMS Algorithm' (p.2 l." in text  # the course's lab heading was seen, as Lab 1


def test_neighbouring_sections_do_not_run_into_each_other(plan: Plan, tmp_path: Path) -> None:
    answers = read(plan, tmp_path, "word.pdf")
    reason = answers.data["problem4"]["q4_2"]["reason"] if answers.data else ""
    assert reason == "Different from a blurring kernel, this one sharpens the image."  # Problem 4 stops at "5 Lab"
    assert "LeNet" not in str(answers.data.get("lab1")) if answers.data else True
