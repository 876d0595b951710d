"""Rubric fields of the notebook mode: the students' environment and `notebooks`, checked
when the rubric loads, with the file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.rubric import Environment, RubricError, compile_rubric, load_plan, load_rubric

PACK = Path(__file__).resolve().parent / "pack"


def _rubric(tmp_path: Path, extra: str, checks: str = "") -> Path:
    text = (PACK / "nbtoy.yaml").read_text()
    text = text.replace("environment:\n  packages: [numpy, torch, matplotlib, mpl_toolkits, scipy, pandas]\n", extra)
    if checks:
        text = text.replace('probe: notebook.value, args: {name: W_star}}', checks, 1)
    if not (tmp_path / "nbtoy_ref").exists():  # the rubric beside a copy of the pack's folders
        shutil.copytree(PACK / "nbtoy_ref", tmp_path / "nbtoy_ref")
        shutil.copytree(PACK / "data", tmp_path / "data")
        shutil.copy(PACK / "probes.py", tmp_path / "probes.py")
    path = tmp_path / "nbtoy.yaml"
    path.write_text(text)
    return path


def test_packages_are_top_level_import_names(tmp_path: Path) -> None:
    path = _rubric(tmp_path, "environment:\n  packages: [numpy, scikit-learn, scipy.io]\n")
    with pytest.raises(RubricError) as err:
        load_rubric(path)
    assert "nbtoy.yaml:" in str(err.value) and "environment.packages" in str(err.value)
    assert "sklearn, not scikit-learn" in str(err.value)


def test_preimports_must_be_declared_packages(tmp_path: Path) -> None:
    with pytest.raises(RubricError, match="preimport 'plotly.express' is not in `packages`"):
        load_rubric(_rubric(tmp_path, "environment:\n  packages: [numpy]\n  preimport: [plotly.express]\n"))


def test_default_preimports_are_the_heavy_modules_of_the_packages() -> None:
    env = Environment(packages=["numpy", "matplotlib", "scipy", "pandas"])
    assert env.modules_to_preimport() == ["matplotlib.pyplot", "scipy.io", "scipy.optimize", "scipy.linalg", "scipy.stats", "pandas"]
    assert Environment(packages=["numpy"], preimport=["numpy.linalg"]).modules_to_preimport() == ["numpy.linalg"]


def test_a_notebook_probe_needs_the_notebook_declared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PACK))
    path = _rubric(tmp_path, "", 'probe: notebook.value, args: {name: W_star}}').read_text()
    path = path.replace("notebooks:\n  lab1:", "notebooks:\n  lab9:")
    rubric_file = tmp_path / "nbtoy.yaml"
    rubric_file.write_text(path)
    with pytest.raises(RubricError, match=r"add `notebooks: \{lab1: \{\}\}` to the rubric"):
        load_plan(rubric_file)


def test_an_unknown_builtin_probe_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PACK))
    path = _rubric(tmp_path, "", 'probe: notebook.valeu, args: {name: W_star}}')
    rubric = load_rubric(path)
    with pytest.raises(RubricError, match=r"unknown built-in probe 'notebook.valeu' \(known: notebook.cells, notebook.figures, notebook.value\)"):
        compile_rubric(rubric, rubric_path=str(path), rubric_bytes=path.read_bytes())


def test_path_aliases_are_absolute_and_file_patterns_are_top_level(tmp_path: Path) -> None:
    base = (PACK / "nbtoy.yaml").read_text()
    for bad, field in (("path_aliases: [content/drive]", "path_aliases"), ("files: ['sub/lab1.ipynb']", "files")):
        path = tmp_path / "r.yaml"
        path.write_text(base.replace("lab1: {cell_wall_s: 5,", "lab1: {" + bad + ", cell_wall_s: 5,"))
        with pytest.raises(RubricError, match=rf"notebooks.lab1.{field}"):
            load_rubric(path)


def test_the_builtin_probes_get_the_notebook_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(PACK))
    plan = load_plan(PACK / "nbtoy.yaml")
    value_keys = [k for k in plan.probe_keys if k.probe == "notebook.value"]
    assert value_keys and all(k.args["notebook"] == "lab1" for k in value_keys)


def test_a_student_kit_keeps_the_environment_and_the_notebook_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from grader.kit import kit_rubric
    from grader.rubric import Rubric

    monkeypatch.syspath_prepend(str(PACK))
    plan = load_plan(PACK / "nbtoy.yaml")
    # give one code check public inputs, as a kit needs
    data = plan.rubric.model_dump(by_alias=True, exclude_none=True)
    data["questions"][0]["checks"][0]["public_args"] = {"name": "Xb"}
    plan = dataclasses.replace(plan, rubric=Rubric.model_validate(data))
    plan = compile_rubric(plan.rubric, rubric_path=str(PACK / "nbtoy.yaml"), rubric_bytes=b"")
    doc = kit_rubric(plan)
    assert doc["environment"]["packages"] == ["numpy", "torch", "matplotlib", "mpl_toolkits", "scipy", "pandas"]
    assert doc["notebooks"]["lab1"]["cell_wall_s"] == 5
    Rubric.model_validate({**doc, "files": "x"})  # still a valid rubric
