"""Any value at any answer key ends as a scored check with a message (issue 12, item 5).

An answers file is hostile input: `.inf` in a weight, a 400-digit integer, a mapping
where a number belongs, text nested 60 levels deep. Grading must never crash, never
report an internal error, and the result JSON must serialise (allow_nan=False) and read
back to the same bytes. Answers-only grading: the shared `answers_grader` has no sandbox."""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.engine import Grader
from grader.results import SubmissionResult

from hw1_testing import EXAMPLE, check

# --------------------------------------------------------------------------- writers


def _toml_str(s: str) -> str:
    """A TOML basic string: JSON's escapes, but non-ASCII written as itself (a JSON
    surrogate-pair escape is not valid TOML) and DEL escaped (TOML forbids it raw)."""
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v if x is not None) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_toml_str(k)} = {_toml_value(x)}" for k, x in v.items() if x is not None) + "}"
    raise TypeError(type(v))


def to_toml(data: dict[str, Any]) -> str:
    """TOML has no null: None values are left out, as a student writing TOML would."""
    lines = []
    for section, body in data.items():
        if isinstance(body, dict):
            lines.append(f"[{_toml_str(section)}]")
            lines += [f"{_toml_str(k)} = {_toml_value(v)}" for k, v in body.items() if v is not None]
        elif body is not None:
            lines.insert(0, f"{_toml_str(section)} = {_toml_value(body)}")
    return "\n".join(lines) + "\n"


WRITERS = {
    "answers.yaml": lambda d: yaml.safe_dump(d, sort_keys=False, allow_unicode=True),
    "answers.json": lambda d: json.dumps(d, allow_nan=True),  # NaN / Infinity: the loader accepts them
    "answers.toml": to_toml,
}


def grade(grader: Grader, name: str, text: str) -> SubmissionResult:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / name).write_text(text, encoding="utf-8")
        return grader.grade_path(Path(tmp))


def assert_sound(result: SubmissionResult) -> None:
    text = result.to_json()  # raises on NaN/inf anywhere (allow_nan=False)
    assert SubmissionResult.from_json(text).to_json() == text
    assert len(text) < 2_000_000
    for q in result.questions:
        for c in q.checks:
            assert c.message, (q.id, c.id)
            assert "internal error" not in c.message, (q.id, c.id, c.message)
            assert 0 <= c.score <= c.max_score


# --------------------------------------------------------------------------- the cases from the issue


@pytest.mark.parametrize("name", sorted(WRITERS))
@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_non_finite_weight_is_a_failed_check(answers_grader, name, bad):
    data = {"problem2": {"q2_2": {"w": [bad, 1, 1]}, "q2_3": {"w": [1, bad, 1, 1]}, "q2_4": {"w": [1, 1, bad]}},
            "problem4": {"q4_1": [[bad] * 9] * 5}, "lab1": {"lms": {"w": [bad, 1, 2]}}}
    r = grade(answers_grader, name, WRITERS[name](data))
    assert_sound(r)
    for qid in ("problem2.q2_2", "problem2.q2_3", "problem2.q2_4"):
        c = check(r, qid, "weights")
        assert c.status == "fail" and c.score == 0, (qid, c.message)
    assert check(r, "problem4.q4_1", "output").status == "fail"
    assert check(r, "lab1.b", "reported_w").status == "fail"


@pytest.mark.parametrize("name", ["answers.yaml", "answers.json"])
def test_huge_integers_are_failed_checks_not_internal_errors(answers_grader, name):
    huge = 10**400
    data = {"problem1": {"q1_5": {"answer": huge, "counterexample": {"sizes": [huge, huge], "kernel": huge,
                                                                     "stride": huge, "padding": huge}}},
            "problem2": {"q2_2": {"w": [huge, 1, 1], "truth_table": [[huge, 1, 1, 1]] * 4}},
            "problem4": {"q4_1": [[huge] * 9] * 5},
            "lab1": {"closed_form": {"w": [huge, 1, 1], "mse": -huge}, "lms": {"w": huge}},
            "lab2": {"table": {"conv1": {"input_shape": [huge], "params": huge, "macs": str(huge)}}}}
    r = grade(answers_grader, name, WRITERS[name](data))
    assert_sound(r)
    c = check(r, "problem2.q2_2", "weights")
    assert c.status == "fail" and "too large" in c.message
    assert check(r, "lab1.a", "reported_mse").status == "fail"
    assert check(r, "lab2.b", "table").status == "fail"


@pytest.mark.parametrize("bad", [math.inf, math.nan, 10**400, "1e999", -0.0])
def test_odd_values_in_a_truth_table_after_right_weights(answers_grader, bad):
    """The truth table is read only once the weights are right: the later stage sees odd values too."""
    table = [[-1, -1, 1, 1], [-1, 1, -1, -1], [1, -1, -1, -1], [bad, 1, -3, -1]]
    data = {"problem2": {"q2_2": {"w": [-1, -1, -1], "truth_table": table},
                         "q2_4": {"w": [1.5, 1, 1], "truth_table": [[bad] * 4] * 4}},
            "problem1": {"q1_3": {"counterexample": {"a": {"hidden": [[bad, 1, -1], [-0.5, -1, 1]], "output": [1.5, 1, 1]},
                                                     "b": {"hidden": [[-1, 2, -2], [-1, -2, 2]], "output": [3, 2, bad]}}}}}
    r = grade(answers_grader, "answers.yaml", WRITERS["answers.yaml"](data))
    assert_sound(r)
    c = check(r, "problem2.q2_2", "weights")
    assert c.status in ("partial", "pass") and c.score > 0, c.message


@pytest.mark.parametrize("formula", ["x" * 5_000, "x_1" * 150, "(" * 240 + "x_1" + ")" * 240, 10**4000, "W_2^{99999999999}"])
def test_odd_formulas_are_left_for_review_or_graded(answers_grader, formula):
    r = grade(answers_grader, "answers.yaml", WRITERS["answers.yaml"]({"problem3": {"q3_2": {"dW1": formula}}}))
    assert_sound(r)
    c = check(r, "problem3.q3_2", "gradients")
    assert c.status in ("manual", "fail", "partial"), c.message


# --------------------------------------------------------------------------- any value at any key

ANSWER_PATHS = [
    "student", "student.id", "student.name",
    *[f"problem1.q1_{i}{s}" for i in range(1, 6) for s in ("", ".answer", ".reason")],
    "problem1.q1_3.counterexample", "problem1.q1_3.counterexample.a", "problem1.q1_3.counterexample.a.hidden",
    "problem1.q1_3.counterexample.b.output", "problem1.q1_5.counterexample", "problem1.q1_5.counterexample.sizes",
    "problem1.q1_5.counterexample.kernel", "problem1.q1_5.counterexample.stride", "problem1.q1_5.counterexample.padding",
    "problem2.q2_1.function", "problem2.q2_1.truth_table",
    *[f"problem2.q2_{i}{s}" for i in range(2, 5) for s in ("", ".w", ".truth_table")],
    "problem3.q3_1", "problem3.q3_1.dx", "problem3.q3_1.dW", "problem3.q3_2", "problem3.q3_2.dW1", "problem3.q3_2.db2",
    "problem4.q4_1", "problem4.q4_2", "problem4.q4_2.kind", "problem4.q4_2.reason",
    "lab1.closed_form", "lab1.closed_form.w", "lab1.closed_form.mse", "lab1.lms", "lab1.lms.w", "lab1.lms.mse",
    "lab1.analysis", "lab2.table", "lab2.table.conv1", "lab2.table.conv1.params", "lab2.table.conv1.input_shape",
    "lab3.analysis",
]

KEYS = st.sampled_from(["w", "truth_table", "hidden", "output", "a", "b", "sizes", "kernel", "stride", "padding",
                        "answer", "reason", "layers", "name", "params", "macs", "input_shape", "w0", "w1", "w2",
                        "dx", "dW", "0", "", "x" * 50])
FORMULA_TOKENS = ["W_1", "W_2", "x_1", "x_2", "x_3", "b_1", "t", "y_1", "^T", "^{2}", "^{99999999999}", "^{(1)}", " ",
                  "\\circ", "\\sigma", "(", ")", "1", "0", "1e999", "9" * 400, "-", "+", "/", "\\frac{1}{0}",
                  "\\operatorname{diag}", "{", "}", "\\cdot", "_"]
FORMULAS = st.lists(st.sampled_from(FORMULA_TOKENS), min_size=1, max_size=14).map("".join)
SCALARS = (
    FORMULAS
    | st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([10**400, -(10**400), 2**63, -(2**63) - 1, 2**1024])
    | st.floats()  # nan, inf, -inf, subnormals
    | st.sampled_from([float("inf"), float("-inf"), float("nan"), 1e308, -0.0])
    | st.text(max_size=20)
    | st.sampled_from(["1/0", "nan", "-inf", "1e999", "1/3", "\u22121", "AND", "true", "x" * 5_000, "w0 = 1"])
)
VALUES = st.recursive(
    SCALARS,
    lambda kids: st.lists(kids, max_size=10) | st.dictionaries(KEYS, kids, max_size=6),
    max_leaves=60,
)


@st.composite
def deep(draw: st.DrawFn) -> Any:
    """A value nested up to 60 levels (the loader allows 64 in all)."""
    v: Any = draw(SCALARS)
    for _ in range(draw(st.integers(min_value=1, max_value=58))):
        v = [v] if draw(st.booleans()) else {draw(KEYS): v}
    return v


def _assign(data: dict[str, Any], path: str, value: Any) -> None:
    node = data
    parts = path.split(".")
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[parts[-1]] = value


@st.composite
def answers(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for path in draw(st.lists(st.sampled_from(ANSWER_PATHS), min_size=1, max_size=12)):
        _assign(data, path, draw(VALUES | deep()))
    return data


EXAMPLE_ANSWERS = yaml.safe_load((EXAMPLE / "answers.yaml").read_text(encoding="utf-8"))


def _positions(node: Any, path: tuple = ()) -> list[tuple]:
    """Every position in a document: each mapping value and list item, containers too."""
    out = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _positions(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _positions(v, path + (i,))
    return out


POSITIONS = _positions(EXAMPLE_ANSWERS)


@st.composite
def mutated_example(draw: st.DrawFn) -> dict[str, Any]:
    """The example's (right) answers with a few values replaced by odd ones, so that the
    checks' later stages run too (a truth table read after weights that are right)."""
    data = copy.deepcopy(EXAMPLE_ANSWERS)
    for pos in draw(st.lists(st.sampled_from(POSITIONS), min_size=1, max_size=6)):
        node = data
        try:
            for part in pos[:-1]:
                node = node[part]
            node[pos[-1]] = draw(SCALARS | VALUES | deep())
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation replaced a parent
    return data


@pytest.mark.slow  # > 10 s
@pytest.mark.parametrize("name", sorted(WRITERS))
def test_any_answer_value_at_any_key_is_graded(answers_grader, name):
    write = WRITERS[name]

    @settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(answers() | mutated_example())
    def run(data: dict[str, Any]) -> None:
        try:
            text = write(data)
        except (RecursionError, ValueError, TypeError):
            return  # a document the writer cannot produce; nothing a student could hand in
        assert_sound(grade(answers_grader, name, text))

    run()
