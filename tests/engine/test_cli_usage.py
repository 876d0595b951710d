"""`grade` as a user first meets it (issue 19, small ones): `--help` lists every
sub-command, and an output file that cannot be written is refused before any grading
(exit 2, naming it), not after minutes of work."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from grader.cli import COMMANDS, main

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "assignments" / "hw1" / "examples" / "example"


def test_help_lists_every_sub_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"grade {name} " in out or out.rstrip().endswith(f"grade {name}"), name
    assert "review" in out and "record, undo" in out


@pytest.mark.parametrize("flag", ["--html", "--json", "--gradescope", "--junit", "--summary-md"])
def test_an_unwritable_output_fails_before_grading(tmp_path: Path, flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    t0 = time.perf_counter()
    assert main([str(EXAMPLE), flag, str(blocker / "out.txt")]) == 2
    assert time.perf_counter() - t0 < 5  # nothing was graded
    err = capsys.readouterr().err
    assert f"{blocker / 'out.txt'}: cannot be written" in err
    assert main([str(EXAMPLE), flag, str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_folder_without_permission_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert main([str(EXAMPLE), "--html", str(locked / "f.html")]) == 2
    assert "no permission" in capsys.readouterr().err
