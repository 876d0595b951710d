"""The student kit of a pack whose student modules are notebooks: `grade student-kit`
builds it (no stub can be imported from a notebook-mode reference: importing
reference/lab1.py runs the script), the README says which notebooks to hand in and under
which names, and Lab 3 stays a bonus."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.engine import Grader
from grader.kit import build_student_kit
from grader.packs import Pack
from grader.results import Status
from grader.rubric import load_plan

PACK = Pack.at(__file__)

pytestmark = pytest.mark.slow  # freezes the reference's outputs and runs both notebooks in the sandbox


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kit") / "ece661-kit"
    build_student_kit(load_plan(Path(PACK.rubric_path)), out)
    return out


def test_notebooks_get_no_stub_and_the_readme_says_what_to_hand_in(kit: Path) -> None:
    assert not (kit / "lab1.py").exists() and not (kit / "SimpleNN.py").exists()
    readme = (kit / "README.md").read_text(encoding="utf-8")
    assert "| `lab1.ipynb` or `lab1.py`; also accepted: `*lab1*.py`" in readme
    assert "| `SimpleNN.ipynb` or `SimpleNN.py`; also accepted: `*simplenn*.ipynb`" in readme
    assert "checked for lab2.a, lab2.b, lab3.a, lab3.b, lab3.c |" in readme
    assert "None*" not in readme  # a figure a notebook draws is not a file to save
    assert "a figure, 2 points: the one your `lab1` notebook (or script) draws" in readme
    assert (kit / "dataset.mat").read_bytes() == (PACK.root / "support" / "dataset.mat").read_bytes()


def test_the_kit_keeps_lab3_as_bonus_and_grades_the_bare_kit(kit: Path) -> None:
    """The kit's rubric loads; Lab 3's public checks stay bonus (out of the kit's total);
    grading the kit folder as handed out (answers.yaml with nulls, no notebook) runs and
    finds nothing submitted, with no error."""
    plan = load_plan(kit / "rubrics" / "ece661-f23-hw1.yaml")
    bonus = {q.id for q in plan.rubric.questions if q.bonus}
    assert bonus and bonus <= {"lab3.a", "lab3.b", "lab3.c"}
    assert plan.max_score == sum(q.points for q in plan.rubric.questions if not q.bonus)
    with Grader.create(plan, device="cpu") as grader:
        got = grader.grade_path(kit)
    checks = [c for q in got.questions for c in q.checks]
    assert checks and all(c.status == Status.MISSING for c in checks), [(c.id, c.status, c.message) for c in checks]
    assert (got.score, got.max_score) == (0, plan.max_score)
