"""The child's handling of student code: notebooks, messages, tracebacks, safe text."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from grader.sandbox._child.student import load_student_module
from grader.sandbox._child.studentcode import (
    NotebookError,
    StudentFileMissing,
    classify,
    describe_exception,
    notebook_cells,
    safe_text,
)


def notebook(*cells: str | tuple[str, str]) -> str:
    out = []
    for cell in cells:
        kind, source = cell if isinstance(cell, tuple) else ("code", cell)
        out.append({"cell_type": kind, "source": source.splitlines(True), "metadata": {}, "outputs": []})
    return json.dumps({"cells": out, "nbformat": 4, "nbformat_minor": 5, "metadata": {}})


def test_magics_and_shell_escapes_are_skipped_and_reported() -> None:
    text = notebook(
        ("markdown", "# Lab 1\n!not code"),
        "%matplotlib inline\nimport math",
        "x = 1\n!pip install foo\nif x:\n    !echo inside\nfiles = !ls -la\nres = %timeit -o pass",
        "%%time\nraise SystemExit('a cell magic must not run')",
        "y = (x\n     % 2)\nz = '''\n!not an escape, a string\n'''",
    )
    cells, notes = notebook_cells(text, "lab1.ipynb")
    assert [n for n, _ in cells] == [2, 3, 5]
    assert notes == [
        "lab1.ipynb cell 2 line 1: skipped magic `%matplotlib inline`",
        "lab1.ipynb cell 3 line 2: skipped shell escape `!pip install foo`",
        "lab1.ipynb cell 3 line 4: skipped shell escape `!echo inside`",
        "lab1.ipynb cell 3 line 5: skipped shell escape `files = !ls -la`",
        "lab1.ipynb cell 3 line 6: skipped magic `res = %timeit -o pass`",
        "lab1.ipynb cell 4: skipped cell magic `%%time` (the whole cell)",
    ]
    namespace: dict[str, object] = {}
    for _, source in cells:
        exec(compile(source, "<cell>", "exec"), namespace)  # the rewritten cells still run
    assert namespace["files"] is None and namespace["y"] == 1
    assert "!not an escape" in str(namespace["z"])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("not json", "invalid JSON"),
        ("[1, 2]", "no list of cells"),
        ('{"cells": [{"cell_type": "code", "source": 3}]}', "cell 1 has no readable source"),
    ],
)
def test_broken_notebooks_are_named(text: str, fragment: str) -> None:
    with pytest.raises(NotebookError, match=fragment):
        notebook_cells(text, "lab1.ipynb")


def _error_of(source_dir: Path, name: str) -> BaseException:
    try:
        load_student_module(name, str(source_dir))
    except BaseException as exc:  # noqa: BLE001 - whatever the module raises
        return exc
    finally:
        sys.modules.pop(name, None)
    raise AssertionError("the module imported")


def test_import_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "sbx_lab1.py").write_text("import math\n\nx = 1 / 0\n")
    exc = _error_of(tmp_path, "sbx_lab1")
    message, lines = describe_exception(exc, str(tmp_path))
    assert message == "sbx_lab1.py:3: ZeroDivisionError: division by zero"
    assert lines == ["sbx_lab1.py:3 in <module>", "ZeroDivisionError: division by zero"]


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "sbx_lab2.py").write_text("x = 1\ndef f(:\n    pass\n")
    message, _ = describe_exception(_error_of(tmp_path, "sbx_lab2"), str(tmp_path))
    assert message.startswith("sbx_lab2.py:2: SyntaxError: ")


def test_notebook_errors_name_the_cell(tmp_path: Path) -> None:
    (tmp_path / "sbx_nb.ipynb").write_text(notebook(("markdown", "intro"), "def boom():\n    return 1 / 0\n", "boom()"))
    message, lines = describe_exception(_error_of(tmp_path, "sbx_nb"), str(tmp_path))
    assert message == "sbx_nb.ipynb cell 2, line 2: ZeroDivisionError: division by zero"
    assert lines[:2] == ["sbx_nb.ipynb cell 3, line 1 in <module>", "sbx_nb.ipynb cell 2, line 2 in boom"]


def test_a_missing_file_is_its_own_error(tmp_path: Path) -> None:
    exc = _error_of(tmp_path, "sbx_absent")
    assert isinstance(exc, StudentFileMissing)
    assert str(exc) == "sbx_absent.py (or sbx_absent.ipynb) was not submitted"
    assert classify(exc) == ("missing", None)


def test_only_student_frames_are_kept(tmp_path: Path) -> None:
    (tmp_path / "sbx_lab3.py").write_text("import json\n\ndef parse(s):\n    return json.loads(s)\n")
    sys.path.insert(0, str(tmp_path))
    try:
        module, _ = load_student_module("sbx_lab3", str(tmp_path))
        with pytest.raises(ValueError) as info:
            module.parse("{")
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("sbx_lab3", None)
    message, lines = describe_exception(info.value, str(tmp_path))
    assert lines[0] == "sbx_lab3.py:4 in parse" and len(lines) == 2  # no json/decoder.py frames
    assert message.startswith("sbx_lab3.py:4: JSONDecodeError: ")


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no")


class Huge(Exception):
    def __str__(self) -> str:
        return "x" * 10_000


def test_safe_text_survives_broken_and_huge_str() -> None:
    assert safe_text(Unprintable()) == "<Unprintable whose str() raised RuntimeError>"
    text = safe_text(Huge())
    assert len(text) < 600 and text.endswith("[9500 more characters]")
    message, _ = describe_exception(Unprintable(), "/nowhere")
    assert message == "Unprintable: <Unprintable whose str() raised RuntimeError>"


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (MemoryError(), ("memory", "memory_mb")),
        (RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried"), ("memory", "memory_mb")),
        (RuntimeError("CUDA out of memory. Tried to allocate"), ("memory", "memory_mb")),
        (RuntimeError("shape mismatch"), ("error", None)),
        (SystemExit(0), ("error", None)),
    ],
)
def test_classify(exc: BaseException, expected: tuple[str, str | None]) -> None:
    assert classify(exc) == expected


def test_sys_exit_is_named() -> None:
    message, _ = describe_exception(SystemExit(3), "/nowhere")
    assert message == "SystemExit: 3 (the code called sys.exit)"
