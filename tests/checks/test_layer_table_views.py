"""`layer_table` words and views (issue 19, small ones): "match the your table" read
wrong, and model_vs_answer drew a model value red as "expected <table value>" though the
table, not a key, is what it was compared with: cells where the student's model and table
differ are drawn as differing ("your table says 465"), never as wrong."""

from __future__ import annotations

import json

from grader.checks import layer_table
from grader.checks.base import CheckContext, ProbeOutput
from grader.report.html import render_feedback
from grader.results import (
    CheckResult,
    QuestionResult,
    SubmissionResult,
    TableView,
)

MODEL = {"layers": [{"name": "conv1", "params": 456, "macs": 352800}, {"name": "fc1", "params": 48120, "macs": 48000}]}
TABLE = {"c1": {"params": 456, "macs": 352800}, "f1": {"params": 48120, "macs": 48000}}


def _grade(compare: str, *, answer: object, model: object = None, expected: object = None):
    spec = layer_table.Spec(id="t", kind="layer_table", points=2, compare=compare, columns=["params", "macs"],
                            answer="lab2.table" if compare != "model_vs_reference" else None,
                            code="lab2.py:LeNet5" if compare != "answer_vs_reference" else None,
                            probe="lenet_layers" if compare != "answer_vs_reference" else None)
    ctx = CheckContext(answer=answer, answer_line=3, answers_file="answers.yaml", answers_error=None, expected=expected,
                       actual=ProbeOutput(status="ok", value=model) if model is not None else None, tolerance=None)
    return layer_table.grade(spec, ctx)


def test_messages_read_right_for_every_comparison() -> None:
    assert _grade("model_vs_answer", answer=TABLE, model=MODEL).message == "all 4 cells of your model match your table"
    assert _grade("answer_vs_reference", answer=TABLE, expected=MODEL).message == \
        "all 4 cells of your table match the reference"
    assert _grade("model_vs_reference", answer=None, model=MODEL, expected=MODEL).message == \
        "all 4 cells of your model match the reference model"


def test_model_vs_answer_draws_differing_cells_not_wrong_ones() -> None:
    wrong_table = {"c1": {"params": 465, "macs": 352800}, "f1": {"params": 48120, "macs": 48000}}
    out = _grade("model_vs_answer", answer=wrong_table, model=MODEL)
    (view,) = out.views
    assert isinstance(view, TableView) and view.wrong == [(0, 1)] and view.compared_with == "your table"
    assert "your model says 456, your table 465" in out.message
    check = CheckResult(id="model_vs_table", status=out.status, score=0, max_score=2, message=out.message,
                        views=out.views)
    result = SubmissionResult(assignment="a", submission="s", score=0, max_score=2, questions=[
        QuestionResult(id="lab2.b", title="Table", score=0, max_score=2, status=out.status, checks=[check])])
    page = render_feedback(result, audience="student")
    assert "your table says 465" in page and "expected 465" not in page
    assert '<td class="differs">456' in page and '<td class="wrong">456' not in page


def test_other_tables_keep_their_json_bytes() -> None:
    view = TableView(columns=["layer", "# Param"], rows=[["c1", "456"]], expected_rows=[["c1", "465"]], wrong=[(0, 1)])
    assert "compared_with" not in json.dumps(view.model_dump(mode="json"))
    assert TableView.model_validate(view.model_dump(mode="json")) == view
