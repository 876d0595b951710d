"""Oracles (issue 11, item 11): a check may derive what it compares from a probe's plain
output with an oracle of the assignment, run in the grader's process on the student's
output and on the reference's; and a code check may compare the student's code with the
student's own answer (`expected_from: answer`)."""

from __future__ import annotations

import shutil
import types
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.checks.base import ProbeOutput
from grader.engine import Grader, derive_reference, derive_student, oracle_keys
from grader.rubric import RubricError, load_plan, load_rubric

from hw1_testing import EXAMPLE, HW1, RUBRIC, check, rubric_copy

PARAM_COUNT = ('      - {id: param_count, kind: exact, points: 0.5, code: "lab2.py:LeNet5", probe: lenet_layers, oracle: lenet_layers,\n'
               '         select: total_params, what: "the number of parameters of your LeNet5"}')


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = RUBRIC.read_text()
    assert old in text
    p = rubric_copy(tmp_path, text.replace(old, new, 1))
    return p


def test_hw1_checks_that_compute_read_oracles(plan) -> None:
    names = {(key.probe, name) for key, name in oracle_keys(plan)}
    assert names == {("lenet_layers", "lenet_layers"), ("lab3_zero_init", "lab3_zero_init")}
    assert plan.rubric.oracles == "oracles.py"
    # the oracles stay on the trusted side: not a support file the sandbox receives
    assert all("oracle" not in str(p) for p in plan.support_files.values())


def test_an_oracle_needs_a_code_check(tmp_path) -> None:
    p = _variant(tmp_path, "{id: answer, kind: choice, points: 1, answer: problem1.q1_1.answer,",
                 "{id: answer, kind: choice, points: 1, oracle: lenet_layers, answer: problem1.q1_1.answer,")
    with pytest.raises(RubricError, match="`oracle` derives from a probe's output: it needs `code`"):
        load_rubric(p)


def test_an_unknown_oracle_or_oracles_file_is_an_instructor_error(tmp_path) -> None:
    p = _variant(tmp_path, "oracle: lab3_zero_init,", "oracle: lab3_zero_innit,")
    with pytest.raises(RubricError, match="oracle 'lab3_zero_innit' is not defined in oracles.py"):
        load_plan(p)
    p = _variant(tmp_path, "oracles: oracles.py", "oracles: oracle.py")
    with pytest.raises(RubricError, match="oracles oracle.py not found in "):
        load_plan(p)
    p = _variant(tmp_path, "oracles: oracles.py\n", "")
    with pytest.raises(RubricError, match="needs `oracles`"):
        load_plan(p)


def _outputs(plan, value):
    return {key: ProbeOutput(status="ok", value=value) for key, _ in oracle_keys(plan)}


def test_the_oracle_runs_here_on_both_sides(plan) -> None:
    seen = []

    def echo(output, args):
        seen.append((output, args))
        return {"derived": output}

    fake = types.SimpleNamespace(lenet_layers=echo, lab3_zero_init=echo)
    ref = derive_reference(plan, fake, {key: "reference output" for key, _ in oracle_keys(plan)})
    got = derive_student(plan, fake, _outputs(plan, "student output"))
    for key, name in oracle_keys(plan):
        assert ref[(key, name)] == {"derived": "reference output"}
        assert got[(key, name)].status == "ok" and got[(key, name)].value == {"derived": "student output"}
    assert {tuple(sorted(args)) for _, args in seen} >= {("arch", "batch", "seed"), ()}


def test_an_output_the_oracle_rejects_fails_with_its_message(plan) -> None:
    def reject(output, args):
        raise ValueError("your model behaves differently while it is measured")

    def crash(output, args):
        raise KeyError("x")

    got = derive_student(plan, types.SimpleNamespace(lenet_layers=reject, lab3_zero_init=crash), _outputs(plan, {}))
    by_name = {name: po for (key, name), po in got.items()}
    assert by_name["lenet_layers"].status == "rejected"
    assert by_name["lenet_layers"].message == "your model behaves differently while it is measured"
    assert by_name["lab3_zero_init"].status == "error" and "internal error in oracle lab3_zero_init" in by_name["lab3_zero_init"].message
    # a failed call stays what it was; without oracles (a student kit) the check says so
    failed = {key: ProbeOutput(status="timeout", message="did not finish") for key, _ in oracle_keys(plan)}
    assert all(po.status == "timeout" for po in derive_student(plan, None, failed).values())
    assert all("computed by the course's grader only" in po.message
               for po in derive_student(plan, None, _outputs(plan, {})).values())


def test_an_oracle_that_fails_on_the_reference_is_a_rubric_error(plan) -> None:
    def crash(output, args):
        raise ValueError("bad")

    with pytest.raises(RubricError, match="oracle lenet_layers fails on the reference's output of probe lenet_layers"):
        derive_reference(plan, types.SimpleNamespace(lenet_layers=crash, lab3_zero_init=crash),
                         {key: {} for key, _ in oracle_keys(plan)})


def test_the_kit_side_plan_has_no_oracle_checks(plan) -> None:
    public = plan.public_only(student_side=True)
    assert oracle_keys(public) == ()
    assert oracle_keys(plan.public_only())  # an instructor's --public run still has them


@pytest.mark.slow  # > 10 s
def test_expected_from_answer_compares_code_with_the_students_own_report(tmp_path) -> None:
    """The parameter count a student reports, against their own model's (not the reference's)."""
    p = _variant(tmp_path, PARAM_COUNT, PARAM_COUNT[:-1] + ", answer: lab2.total_params, expected_from: answer}")
    plan = load_plan(p)
    scores = {}
    with Grader.create(plan) as grader:
        for reported in (61984, 61706, None):
            sub = tmp_path / f"sub{reported}"
            shutil.copytree(EXAMPLE, sub)
            answers = yaml.safe_load((sub / "answers.yaml").read_text())
            if reported is not None:
                answers["lab2"]["total_params"] = reported
            (sub / "answers.yaml").write_text(yaml.safe_dump(answers))
            scores[reported] = check(grader.grade_path(sub), "lab2.a", "param_count")
    assert scores[61984].status == "pass"
    assert scores[61706].status == "fail" and "61984" in scores[61706].message and "61706" in scores[61706].message
    assert scores[None].status == "missing" and "lab2.total_params" in scores[None].message


def test_expected_from_answer_needs_an_answer(tmp_path) -> None:
    p = _variant(tmp_path, PARAM_COUNT, PARAM_COUNT[:-1] + ", expected_from: answer}")
    with pytest.raises(RubricError, match="expected_from: answer compares the student's code with their answer"):
        load_rubric(p)


def test_gradients_after_zero_init_do_not_depend_on_torch_in_the_sandbox(plan) -> None:
    """The oracle's gradients come from the parameters alone: the same arrays give the
    same gradients whatever the student's process did to torch."""
    oracles = HW1.module("oracles")

    key = next(k for k, name in oracle_keys(plan) if name == "lab3_zero_init")
    shapes = oracles._arch_parameters(key.args["arch"])
    zeros = {"params": {n: np.zeros(s) for n, s in shapes.items()}}
    out = oracles.lab3_zero_init(zeros, key.args)
    assert out["nonzero_params"] == [] and set(out["grads"]) == set(shapes)
    assert [n for n, g in out["grads"].items() if g.any()] == ["fc3.bias"]


_plain = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8)
    | st.builds(np.zeros, st.lists(st.integers(0, 3), max_size=3).map(tuple)),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["modules", "parameters", "calls", "recorded", "outputs", "plain", "hooked", "params", "name",
                         "type", "weight_shape", "input_shape", "output_shape", "conv1.weight", "fc3.bias"]), inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(output=_plain)
def test_oracles_answer_any_student_output_with_a_value_or_a_message(plan, output) -> None:
    """What comes back from the sandbox is hostile: an oracle either derives a value or
    raises ValueError (a message for the student), never anything else."""
    oracles = HW1.module("oracles")

    for key, name in oracle_keys(plan):
        try:
            getattr(oracles, name)(output, key.args)
        except ValueError as err:
            assert str(err)


def test_the_lenet_oracle_refuses_implausible_sizes() -> None:
    oracles = HW1.module("oracles")

    raw = {"modules": [{"name": "fc1", "type": "fc", "scaffold": True, "weight_shape": [2**30, 2**30]}],
           "parameters": [], "calls": [], "recorded": {}, "outputs": {"plain": np.zeros((1, 10)), "hooked": np.zeros((1, 10))}}
    with pytest.raises(ValueError, match="more than any layer"):
        oracles.lenet_layers(raw, {})


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _replaced(value, path, new):
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


@pytest.fixture(scope="module")
def real_outputs(plan):
    from grader.engine import ReferenceContext

    probes = HW1.module("probes")
    return {(key, name): getattr(probes, key.probe)(ReferenceContext(plan, "cpu"), **key.args) for key, name in oracle_keys(plan)}


@pytest.mark.slow  # > 10 s
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_oracles_answer_a_damaged_real_output_with_a_value_or_a_message(real_outputs, data) -> None:
    oracles = HW1.module("oracles")

    (key, name), raw = data.draw(st.sampled_from(sorted(real_outputs.items(), key=lambda kv: kv[0][1])))
    path = data.draw(st.sampled_from(list(_paths(raw))))
    damaged = _replaced(raw, path, data.draw(_plain))
    try:
        getattr(oracles, name)(damaged, key.args)
    except ValueError as err:
        assert str(err)
