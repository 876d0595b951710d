"""The HW2 student kit is no answer key: answers are checked for their form only, code
runs on public inputs only (never a grading seed or shape), no hidden check, oracle,
known mistake or reference solution is in it, and no expected number appears in any of
its files. It grades the example fully on its public checks and still catches a mistake."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from grader.cli import main
from grader.packs import Pack
from grader.rubric import load_plan

PACK = Pack.at(__file__)
RUBRIC = yaml.safe_load((PACK.root / "rubric.yaml").read_text())


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hw2kit") / "kit"
    assert main(["student-kit", "--assignment", "hw2", "--out", str(out)]) == 0
    return out


def _own_files(kit: Path) -> list[Path]:
    return [p for p in kit.rglob("*") if p.is_file() and "_grader" not in p.parts]


def _checks(rubric: dict) -> dict[tuple[str, str], dict]:
    return {(q["id"], c["id"]): c for q in rubric["questions"] for c in q["checks"]}


def test_no_solution_oracle_or_mistake_ships(kit: Path) -> None:
    names = {p.name for p in _own_files(kit)}
    assert not names & {"oracles.py", "mistakes.py", "handcalc.py", "examples.yaml", "ASSIGNMENT.md"}
    assert not any("reference" in p.parts for p in _own_files(kit))
    assert (kit / "rubrics/hw2/probes.py").read_text() == (PACK.root / "probes.py").read_text()
    stub = (kit / "optim.py").read_text()
    assert "raise NotImplementedError" in stub and "mul_" not in stub


def test_answers_checked_for_form_and_code_only_on_public_inputs(kit: Path) -> None:
    full, shipped = _checks(RUBRIC), _checks(yaml.safe_load((kit / "rubrics/hw2.yaml").read_text()))
    for key, check in shipped.items():
        original = full[key]
        assert original.get("visibility", "public") == "public" and "oracle" not in original, key
        if "answer" in original:
            assert check["kind"] == "form" and "expected" not in check, key
        else:
            assert check["args"] == original["public_args"] != original["args"], key
    hidden = {k for k, c in full.items() if c.get("visibility") == "hidden" or "oracle" in c}
    assert hidden and not hidden & set(shipped)


def test_no_expected_number_or_grading_seed_in_any_kit_file(kit: Path) -> None:
    handcalc = PACK.module("reference.handcalc")
    numbers = {f"{v:.3f}".lstrip("-") for row in handcalc.NORMALIZED for v in row if abs(v) > 1e-9}
    numbers.add(str(PACK.module("reference.model").PARAM_COUNT))
    seeds = {str(c["args"]["seed"]) for c in _checks(RUBRIC).values() if "args" in c and "seed" in c.get("args", {})}
    text = "\n".join(p.read_text(errors="replace") for p in _own_files(kit) if p.suffix in (".py", ".yaml", ".yml", ".md", ".toml"))
    found_numbers = {n for n in numbers if re.search(rf"(?<![\d.]){re.escape(n)}", text)}
    assert not found_numbers
    rubric_text = (kit / "rubrics/hw2.yaml").read_text()
    assert not {s for s in seeds if re.search(rf"seed: {s}\b", rubric_text)} - {"0"}


@pytest.mark.slow
def test_the_kit_grades_the_example_and_catches_a_mistake(kit: Path, tmp_path: Path) -> None:
    plan = load_plan(kit / "rubrics/hw2.yaml")
    from grader.engine import Grader

    sub = tmp_path / "sub"
    shutil.copytree(PACK.root / "examples/example", sub)
    with Grader.create(plan, device="cpu") as grader:
        right = grader.grade_path(sub)
        assert right.score == right.max_score == 56
        shutil.copy(PACK.root / "examples/conv_no_padding/conv.py", sub / "conv.py")
        wrong = grader.grade_path(sub)
    conv = next(q for q in wrong.questions if q.id == "problem3.conv")
    assert conv.score == 0 and "returned shape" in conv.checks[0].message
    assert "conv_no_padding" not in wrong.to_json()  # known mistakes are the course's, not the kit's
