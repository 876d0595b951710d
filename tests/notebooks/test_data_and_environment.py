"""Hidden data written in the handout's format (.mat, .npz, .csv) read back as a student's
code reads it; the course environment refusing, by name, a package it does not provide
(only for imports made by student code)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox._child import environment
from grader.sandbox._child.notebook import write_data
from grader.sandbox._child.student import ProbeContext

from nbfixtures import write_notebook


def test_mat_data_reads_back_with_loadmat(tmp_path: Path) -> None:
    import scipy.io

    write_data(str(tmp_path / "dataset.mat"), {"X": [[1.0, 2.0], [3.0, 4.0]], "y": [[1.0], [0.0]]})
    data = scipy.io.loadmat(str(tmp_path / "dataset.mat"))
    assert data["X"].tolist() == [[1.0, 2.0], [3.0, 4.0]] and data["y"].shape == (2, 1)


def test_npz_and_csv_data_read_back(tmp_path: Path) -> None:
    import pandas as pd

    write_data(str(tmp_path / "d.npz"), {"X": np.eye(2)})
    with np.load(tmp_path / "d.npz", allow_pickle=False) as d:
        assert d["X"].tolist() == [[1.0, 0.0], [0.0, 1.0]]
    write_data(str(tmp_path / "cols.csv"), {"x": [1, 2, 3], "y": [2.0, 4.0, 6.0]})
    df = pd.read_csv(tmp_path / "cols.csv")
    assert list(df.columns) == ["x", "y"] and df["y"].tolist() == [2.0, 4.0, 6.0]
    write_data(str(tmp_path / "plain.csv"), [[1, 2], [3, 4]])
    assert np.loadtxt(tmp_path / "plain.csv", delimiter=",").tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError, match="columns of different lengths"):
        write_data(str(tmp_path / "bad.csv"), {"x": [1], "y": [1, 2]})
    with pytest.raises(ValueError, match=".mat, .npz or .csv"):
        write_data(str(tmp_path / "d.xlsx"), {"x": [1]})


def test_a_notebook_runs_again_on_hidden_data_and_the_file_is_put_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_data(str(tmp_path / "dataset.mat"), {"X": [[1.0, 2.0]]})
    original = (tmp_path / "dataset.mat").read_bytes()
    write_notebook(tmp_path / "lab1.ipynb", ["import scipy.io as sio\nX = sio.loadmat('dataset.mat')['X']\ntotal = float(X.sum())"])
    ctx = ProbeContext(device="cpu", workdir=str(tmp_path), support_dir=str(tmp_path), support_names=[],
                       support_modules={}, notebooks={"lab1": {}}, limits=False)
    assert ctx.notebook("lab1").value("total") == 3.0  # type: ignore[attr-defined]
    hidden = {"dataset.mat": {"X": np.array([[10.0, 20.0, 30.0]])}}
    assert ctx.notebook("lab1", hidden).value("total") == 60.0  # type: ignore[attr-defined]
    assert (tmp_path / "dataset.mat").read_bytes() == original
    with pytest.raises(ValueError, match="plain file name"):
        ctx.notebook("lab1", {"../escape.mat": {"X": [1]}})


def test_student_imports_of_undeclared_packages_are_refused_by_name(tmp_path: Path) -> None:
    finder = environment.CourseEnvironment(["numpy"], str(tmp_path))
    sys.meta_path.insert(0, finder)
    try:
        student = compile("import plotly_not_in_course\n", str(tmp_path / "lab1.ipynb[cell 2]"), "exec")
        with pytest.raises(ModuleNotFoundError, match="the course environment has no `plotly_not_in_course`; ask your instructor"):
            exec(student, {})
        exec(compile("import json, numpy\n", str(tmp_path / "lab1.py"), "exec"), {})  # stdlib and declared: fine
        library = compile("import plotly_not_in_course\n", "/usr/lib/python3/some_library.py", "exec")
        with pytest.raises(ModuleNotFoundError) as info:  # a library's own import: Python's usual message
            exec(library, {})
        assert "course environment" not in str(info.value)
        (tmp_path / "helper.py").write_text("VALUE = 1\n")  # the student's own module
        assert finder.find_spec("helper") is None
    finally:
        sys.meta_path.remove(finder)


def test_a_notebook_with_another_name_is_found_by_the_rubrics_patterns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from grader.sandbox._child.notebook import find_notebook

    assert find_notebook(["lab1.py", "lab1.ipynb"], "lab1", ["*"]) == ("lab1.ipynb", None)
    assert find_notebook(["HW1_Lab1_LMS.ipynb", "notes.txt"], "lab1", ["*lab1*.ipynb"]) == ("HW1_Lab1_LMS.ipynb", None)
    found, note = find_notebook(["b_lab1.ipynb", "a_lab1.ipynb", "sub/lab1.ipynb"], "lab1", ["*LAB1*.ipynb"])
    assert found == "a_lab1.ipynb" and note == "2 files could be lab1: a_lab1.ipynb, b_lab1.ipynb; a_lab1.ipynb was run"
    assert find_notebook(["lab2.ipynb"], "lab1", ["*lab1*"]) == (None, None)
    monkeypatch.chdir(tmp_path)
    write_notebook(tmp_path / "ECE661 HW1 Lab1.ipynb", ["W_star = 3"])
    ctx = ProbeContext(device="cpu", workdir=str(tmp_path), support_dir=str(tmp_path), support_names=[],
                       support_modules={}, notebooks={"lab1": {"files": ["*lab1*.ipynb"]}}, limits=False)
    assert ctx.module("lab1").W_star == 3
