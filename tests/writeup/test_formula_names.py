"""Function and symbol names in formulas (issue 19, small ones): an upright word that is
no known function (`\\mathrm{Sigmoid}`) and a blackboard-bold letter (`\\mathbb{I}`) are
named as written in the feedback ("uses Sigmoid"), never read as a product of letters or
as the plain letter I; `\\mathrm{sigmoid}`, `\\operatorname{sigmoid}` and `\\sigma` are the
sigmoid."""

from __future__ import annotations

import pytest

from grader.checks import formula
from grader.checks.base import CheckContext, Tolerance
from grader.rubric import Plan
from grader.mathexpr import Call, parse, symbols


@pytest.mark.parametrize("text", [r"\sigma(W x)", r"\mathrm{sigmoid}(W x)", r"\operatorname{sigmoid}(W x)",
                                  r"\text{sigmoid}(W x)", r"sigmoid(W x)"])
def test_the_sigmoid_in_every_spelling(text: str) -> None:
    tree = parse(text)
    assert isinstance(tree, Call) and tree.fn == "sigma" and symbols(tree) == ["W", "x"]


@pytest.mark.parametrize(("text", "names"), [
    (r"\mathrm{Sigmoid}(W_1 x)", ["Sigmoid", "W_1", "x"]),
    (r"\operatorname{ReLU}(x)", ["ReLU", "x"]),
    (r"\mathbb{I} - x x^T", [r"\mathbb{I}", "x"]),
    (r"\mathrm{W}_1 x", ["W_1", "x"]),  # one upright letter is only a typeface
])
def test_words_and_blackboard_letters_are_one_symbol_each(text: str, names: list[str]) -> None:
    assert symbols(parse(text)) == names


def test_the_feedback_names_them_as_written(plan: Plan) -> None:
    q = next(q for q in plan.questions if q.id == "problem3.q3_2")
    spec = next(a.spec for c in q.checks for a in c.alternatives if a.spec.kind == "formula")
    ctx = CheckContext(answer={"dW1": r"\mathrm{Sigmoid}(W_1 x_1) x_1^T", "db1": r"\mathbb{I} x_2"}, answer_line=None,
                       answers_file="report.pdf", answers_error=None, expected=None, actual=None,
                       tolerance=Tolerance(rtol=1e-7, atol=1e-7))
    out = formula.grade(spec, ctx)  # type: ignore[arg-type]
    targets = out.details["targets"]
    assert "uses Sigmoid, which the grader does not know" in targets["dW1"]["message"]
    assert r"uses \mathbb{I}, which the grader does not know" in targets["db1"]["message"]
