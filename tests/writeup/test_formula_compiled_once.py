"""A formula check's problem and accepted forms are built once per spec (issue 20: every
submission rebuilt them, autograd on every case): the verdicts are the same as a fresh
build's, for right, transposed and wrong answers, from several threads at once, and a
spec with other cases is never served another spec's forms."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from grader.checks import formula
from grader.checks.base import CheckContext, Tolerance
from grader.rubric import Plan

ANSWERS = [
    {"dW1": r"(((W_2^T (x_3 - t)) \circ x_2) \circ (1 - x_2)) x_1^T"},
    {"dW1": r"x_1 (((W_2^T (x_3 - t)) \circ x_2) \circ (1 - x_2))^T"},  # transposed
    {"dW1": r"(W_2^T (x_3 - t)) x_1^T"},  # wrong values
    {"dW1": r"W_2 x_1"},  # wrong shape
]


def _spec(plan: Plan) -> Any:
    q = next(q for q in plan.questions if q.id == "problem3.q3_2")
    return next(a.spec for c in q.checks for a in c.alternatives if a.spec.kind == "formula")


def _grade(spec: Any, answer: dict[str, str]) -> tuple[str, float, str]:
    ctx = CheckContext(answer=answer, answer_line=None, answers_file="answers.yaml", answers_error=None, expected=None,
                       actual=None, tolerance=Tolerance(rtol=1e-7, atol=1e-7))
    out = formula.grade(spec, ctx)
    return out.status.value, out.fraction, repr(out.details)


def _fresh(spec: Any, answer: dict[str, str]) -> tuple[str, float, str]:
    formula._COMPILED.clear()
    return _grade(spec, answer)


def test_cached_verdicts_equal_fresh_ones(plan: Plan) -> None:
    spec = _spec(plan)
    fresh = [_fresh(spec, a) for a in ANSWERS]
    assert len({f[0] for f in fresh}) > 1  # the answers really differ in verdict
    formula._COMPILED.clear()
    with ThreadPoolExecutor(4) as pool:
        cached = list(pool.map(lambda a: _grade(spec, a), ANSWERS * 5))
    assert cached == fresh * 5
    assert id(spec) in formula._COMPILED and formula._COMPILED[id(spec)][2]  # built once, forms kept


def test_another_spec_gets_its_own_problem(plan: Plan) -> None:
    spec = _spec(plan)
    other = spec.model_copy(update={"cases": [dict(c) for c in spec.cases][:1]})
    _grade(spec, ANSWERS[0])
    got = _grade(other, ANSWERS[0])
    assert got == _fresh(other, ANSWERS[0])
    assert "1 random cases" in got[2] or "on 1 random" in got[2]
