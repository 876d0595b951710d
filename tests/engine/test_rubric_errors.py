"""A rubric that does not validate is rejected before any student code runs, with the
file, the YAML line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.cli import main
from grader.rubric import RubricError, json_schema, load_plan, load_rubric

from hw1_testing import RUBRIC, rubric_copy


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = RUBRIC.read_text()
    assert old in text
    p = rubric_copy(tmp_path, text.replace(old, new, 1))
    return p


def _line_of(path: Path, fragment: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if fragment in line)


def test_rtol_without_atol_names_line_and_field(tmp_path):
    p = _broken(tmp_path, "rtol: 1.0e-2, atol: 1.0e-12}", "rtol: 1.0e-2}")
    with pytest.raises(RubricError) as e:
        load_rubric(p)
    line = _line_of(p, "rtol: 1.0e-2}")
    msg = str(e.value)
    assert f"rubric.yaml:{line - 1} questions[13].checks[1]: " in msg  # the check starts a line above
    assert "rtol and atol are given together or not at all" in msg


def test_wrong_field_type_and_unknown_kind(tmp_path):
    p = _broken(tmp_path, "kind: matrix, points: 9", "kind: matrx, points: 9")
    with pytest.raises(RubricError) as e:
        load_rubric(p)
    line = _line_of(p, "kind: matrx")
    assert f"rubric.yaml:{line} questions[11].checks[0]" in str(e.value)
    assert "unknown check kind 'matrx'" in str(e.value) and "matrix" in str(e.value)
    p = _broken(tmp_path, "n_inputs: 3,", "n_inputs: three,")
    with pytest.raises(RubricError) as e:
        load_rubric(p)
    assert f"rubric.yaml:{_line_of(p, 'n_inputs: three')} questions[7].checks[0].n_inputs" in str(e.value)


def test_points_must_add_up(tmp_path):
    p = _broken(tmp_path, "title: \"Weights for NOR\"\n    points: 4", "title: \"Weights for NOR\"\n    points: 5")
    with pytest.raises(RubricError) as e:
        load_rubric(p)
    assert "questions[6]" in str(e.value) and "add up to 4" in str(e.value)


def test_bad_reference_is_an_instructor_error(tmp_path):
    p = _broken(tmp_path, "{ref: problem2.NOR}", "{ref: problem2.NORR}")
    with pytest.raises(RubricError) as e:
        load_plan(p)
    assert "problem2.NORR" in str(e.value) and "problem2.q2_2" in str(e.value)


def test_cli_rubric_error_exit_2_before_student_code(tmp_path, capsys):
    p = _broken(tmp_path, "kind: matrix, points: 9", "kind: matrix, points: -9")
    sub = tmp_path / "sub"
    sub.mkdir()
    # a student file that would leave a mark if it were ever run
    (sub / "lab1.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'w').write('x')\n")
    rc = main([str(sub), "--rubric", str(p)])
    err = capsys.readouterr().err
    assert rc == 2
    assert "rubric error" in err and "questions[11].checks[0].points" in err
    assert not (tmp_path / "ran").exists()


def test_schema_command_prints_json_schema(capsys):
    assert main(["schema"]) == 0
    out = capsys.readouterr().out
    assert '"discriminator"' in out and '"threshold_unit"' not in out  # the engine's kinds only
    assert main(["schema", "--assignment", "hw1"]) == 0
    out = capsys.readouterr().out
    assert '"discriminator"' in out and '"threshold_unit"' in out  # with the pack's own kinds
    assert json_schema()["title"].startswith("Grader rubric")
