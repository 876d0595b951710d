"""Module mode (a notebook imported as a module): the notes on skipped magics and shell
escapes reach the result even when a later cell fails the import (they used to be lost)."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.sandbox._child.student import ProbeContext

from nbfixtures import write_notebook


def test_skipped_magics_are_reported_when_a_later_cell_fails(tmp_path: Path) -> None:
    write_notebook(tmp_path / "lab1.ipynb", ["%matplotlib inline\nimport math", "!pip install numpy", "1 / 0"])
    ctx = ProbeContext(device="cpu", workdir=str(tmp_path), support_dir=str(tmp_path), support_names=[], support_modules={})
    with pytest.raises(ZeroDivisionError):
        ctx.module("lab1")
    assert any("skipped magic `%matplotlib inline`" in n for n in ctx.notes), ctx.notes
    assert any("skipped shell escape `!pip install numpy`" in n for n in ctx.notes), ctx.notes
