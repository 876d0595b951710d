"""An instructor's mistakes in a pack are caught before any student's code runs, each with
the rubric file and the YAML line (issue 16.3). The pack is the skeleton of `grade
new-assignment`, edited one mistake at a time; the reference runs in this process only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from packs_testing import edited, line_of

from grader.engine import Grader
from grader.packs import Pack
from grader.rubric import RubricError, load_plan

os.environ.setdefault("GRADER_CACHE_DIR", "off")


def _problems(pack: Pack) -> str:
    """What loading the pack and computing its reference outputs reports (no sandbox)."""
    with pytest.raises(RubricError) as err:
        plan = load_plan(pack.rubric_path)
        Grader.create(plan, device="cpu", with_sandbox=False)
    return "\n".join(err.value.problems)


def test_the_skeleton_itself_has_no_problem(skeleton: Pack) -> None:
    plan = load_plan(skeleton.rubric_path)
    with Grader.create(plan, device="cpu", with_sandbox=False) as grader:
        assert grader.ref_outputs


def test_an_unknown_probe_names_the_probes_defined(skeleton: Pack, tmp_path: Path) -> None:
    pack = edited(skeleton, tmp_path, ("probe: relu_on\n        args: {shapes: [[3, 4]", "probe: relu_of\n        args: {shapes: [[3, 4]"))
    msg = _problems(pack)
    line = line_of(pack.rubric_path, "- id: code")
    assert f"rubric.yaml:{line} questions[0] (q1) check code: unknown probe 'relu_of'; probes.py defines: relu_on" in msg


def test_a_select_path_is_resolved_against_the_reference_output(skeleton: Pack, tmp_path: Path) -> None:
    pack = edited(skeleton, tmp_path, ("args: {shapes: [[1, 1], [4, 3, 2]], seed: 12}",
                                       "args: {shapes: [[1, 1], [4, 3, 2]], seed: 12}\n        select: case2"))
    msg = _problems(pack)
    line = line_of(pack.rubric_path, "- id: hidden_shapes")
    assert f"rubric.yaml:{line} questions[0] (q1) check hidden_shapes: select 'case2' is not in the reference's " \
           f"output of probe relu_on; it has: case0, case1" in msg


def test_a_probe_returning_a_tensor_is_refused_on_the_reference_side(skeleton: Pack, tmp_path: Path) -> None:
    pack = edited(skeleton, tmp_path, ('outputs[f"case{i}"] = _array(relu(x.copy()), f"relu(array of shape {tuple(shape)})")',
                                       'import torch\n        outputs[f"case{i}"] = torch.from_numpy(relu(x.copy()))'),
                  file="probes.py")
    msg = _problems(pack)
    line = line_of(pack.rubric_path, "- id: code")
    assert f"rubric.yaml:{line} questions[0] (q1) check code: the reference's output of probe relu_on(" in msg
    assert "holds a torch.Tensor at case0" in msg


def test_a_reference_that_fails_on_a_case_is_named(skeleton: Pack, tmp_path: Path) -> None:
    # like batch norm on a batch of one: the reference divides by a zero variance
    pack = edited(skeleton, tmp_path, ("return np.maximum(x, 0)", "return np.maximum(x, 0) / (x.shape[0] - 1)"),
                  file="reference/solution.py")
    msg = _problems(pack)
    line = line_of(pack.rubric_path, "- id: hidden_shapes")
    assert f"rubric.yaml:{line} questions[0] (q1) check hidden_shapes: the reference fails on relu_on(" in msg
    assert "not finite at case0[0, 0]" in msg


def test_a_reference_that_raises_is_named(skeleton: Pack, tmp_path: Path) -> None:
    pack = edited(skeleton, tmp_path, ("return np.maximum(x, 0)", "assert x.shape[0] > 1, 'a batch of one'\n    return np.maximum(x, 0)"),
                  file="reference/solution.py")
    msg = _problems(pack)
    assert "the reference fails probe relu_on(" in msg and "AssertionError: a batch of one" in msg


def test_points_that_do_not_add_up(skeleton: Pack, tmp_path: Path) -> None:
    pack = edited(skeleton, tmp_path, ("    points: 6\n", "    points: 7\n"))
    msg = _problems(pack)
    line = line_of(pack.rubric_path, "- id: q1")
    assert f"rubric.yaml:{line} questions[0]: Value error, the checks' points add up to 6, but the question is worth 7" in msg
    pack = edited(skeleton, tmp_path / "total", ("total: 10", "total: 12"))
    assert "the questions' points add up to 10, but total is 12" in _problems(pack)


def test_a_hidden_check_sharing_a_public_probe_call_leaks(skeleton: Pack, tmp_path: Path) -> None:
    pack = edited(skeleton, tmp_path, ("args: {shapes: [[1, 1], [4, 3, 2]], seed: 12}", "args: {shapes: [[3, 4], [2, 5, 1], [7]], seed: 11}"))
    msg = _problems(pack)
    line = line_of(pack.rubric_path, "- id: hidden_shapes")
    assert f"rubric.yaml:{line} questions[0] (q1) check hidden_shapes: a hidden check on the same probe call as " \
           f"public check q1 code" in msg


def test_a_hidden_expected_value_written_in_public_text_leaks(skeleton: Pack, tmp_path: Path) -> None:
    pack = edited(skeleton, tmp_path,
                  ("low: 0.45, high: 0.55,", "low: 0.45, high: 0.55, visibility: hidden,"),
                  ("{id: reason, kind: manual, points: 2, answer: q3.reason, expected: \"its derivative is 1 for every positive input\",",
                   "{id: reason, kind: manual, points: 2, answer: q3.reason, expected: \"its derivative is 1 for every positive input\", visibility: hidden,"),
                  ("label: reason}", "label: reason, hint: \"its derivative is 1 for every positive input\"}"),
                  ("  - id: q3\n    title: \"Why does ReLU not saturate for positive inputs?\"\n    points: 2\n    checks:\n",
                   ("  - id: q3\n    title: \"Why does ReLU not saturate for positive inputs?\"\n    points: 3\n    checks:\n"
                    "      - {id: hint, kind: manual, points: 1, answer: q3.other, label: other, hint: \"its derivative is 1 for every positive input\"}\n")),
                  ("total: 10", "total: 11"))
    msg = _problems(pack)
    assert "check reason: the hidden expected value 'its derivative is 1 for every positive i' is written in public text of question q3" in msg


def test_an_unknown_kind_and_a_broken_kind_module_name_the_line(skeleton: Pack, tmp_path: Path) -> None:
    pack = edited(skeleton, tmp_path, ("kinds: [interval]", "kinds: [interval, bn_table]"))
    line = line_of(pack.rubric_path, "kinds: [interval, bn_table]")
    assert f"rubric.yaml:{line} kinds[1]: kind 'bn_table': no file kinds/bn_table.py in" in _problems(pack)
    pack = edited(skeleton, tmp_path / "b", ('kind: Literal["interval"]', 'kind: Literal["intervals"]'), file="kinds/interval.py")
    assert "kinds[0]: kind 'interval': kinds/interval.py's Spec has kind 'intervals', not 'interval'" in _problems(pack)
    pack = edited(skeleton, tmp_path / "c", ("kinds: [interval]", "kinds: [allclose]"))
    assert "kind 'allclose' is one of the engine's kinds" in _problems(pack)
    pack = edited(skeleton, tmp_path / "d", ("kinds: [interval]", "kinds: []"))
    line = line_of(pack.rubric_path, "kind: interval")
    assert f"rubric.yaml:{line} questions[1].checks[0]: unknown check kind 'interval'; known kinds: allclose" in _problems(pack)
