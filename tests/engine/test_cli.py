"""The `grade` command on bad paths and its exit codes; results are reproducible."""

from __future__ import annotations

import json
import subprocess
import sys

from grader.cli import main

from hw1_testing import EXAMPLE, REPO


def test_missing_path_is_one_line_exit_2(tmp_path, capsys):
    rc = main([str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.strip().count("\n") == 0 and "nope: no such file or directory" in err
    assert "Traceback" not in err


def test_empty_folder_and_corrupt_archive(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main([str(tmp_path / "empty")]) == 2
    assert "empty" in capsys.readouterr().err
    bad = tmp_path / "s1.zip"
    bad.write_bytes(b"PK\x03\x04 this is not a zip")
    assert main([str(bad)]) == 2
    err = capsys.readouterr().err
    assert "s1.zip" in err and "Traceback" not in err


def test_unknown_assignment_exit_2(capsys):
    assert main([str(EXAMPLE), "--assignment", "hw99"]) == 2
    err = capsys.readouterr().err
    assert "no assignment 'hw99'" in err and "assignments installed: " in err and "hw1" in err


def test_answers_only_grading_is_byte_identical(tmp_path, answers_grader):
    sub = tmp_path / "s"
    sub.mkdir()
    (sub / "answers.yaml").write_bytes((EXAMPLE / "answers.yaml").read_bytes())
    a = answers_grader.grade_path(sub).to_json()
    b = answers_grader.grade_path(sub).to_json()
    assert a == b
    data = json.loads(a)
    assert data["schema"] == "grader.result/v1"
    assert list(data) == sorted(data)
    assert "timings" not in data and "timing_s" not in a


def test_python_dash_m_runs(tmp_path):
    out = subprocess.run([sys.executable, "-m", "grader", "schema"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0 and json.loads(out.stdout)["title"].startswith("Grader rubric")
