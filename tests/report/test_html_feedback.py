"""The student feedback page, rendered from real graded submissions."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.commands.grade import write_outputs
from grader.report.format import fmt_number
from grader.report.html import HtmlRenderer, render_feedback
from grader.results import (
    CurvesView,
    MatrixView,
    MismatchView,
    Status,
    SubmissionResult,
    TableView,
    TextView,
    TruthTableView,
    Visibility,
)

from report_helpers import EXAMPLE, HOSTILE_ID, REPO, Classroom, element, page_text, sandbox_available


def _points(x: float) -> str:
    return f"{round(x, 2):g}"


def _checks(result: SubmissionResult):
    for q in result.questions:
        for c in q.checks:
            yield q, c


def _views(result: SubmissionResult, kind: type):
    for q, c in _checks(result):
        for v in c.views:
            if isinstance(v, kind):
                yield q, c, v


# ------------------------------------------------------------------ the example


def test_example_shows_total_and_every_question(example_result: SubmissionResult) -> None:
    html = render_feedback(example_result)
    text = page_text(html)
    hero = page_text(html[: html.index('<nav class="toc"')])
    assert f"{_points(example_result.score)} / {_points(example_result.max_score)}" in hero
    assert example_result.student["name"] in hero
    for q in example_result.questions:
        section = page_text(element(html, f"q-{q.id}"))
        assert q.title in section
        assert f"{_points(q.score)} / {_points(q.max_score)}" in section
    # every public check says what it found, in the student's terms
    for q, c in _checks(example_result):
        if c.visibility == Visibility.PUBLIC and c.status != Status.MANUAL:
            assert " ".join(c.message.split()) in text, (q.id, c.id)


def test_example_manual_review_section(example_result: SubmissionResult) -> None:
    student = render_feedback(example_result, audience="student")
    instructor = render_feedback(example_result, audience="instructor")
    manual = [(q, c, v) for q, c, v in _views(example_result, TextView) if c.status == Status.MANUAL]
    assert manual, "the example has free-text answers"
    s_section = page_text(element(student, "manual"))
    i_section = page_text(element(instructor, "manual"))
    for q, c, v in manual:
        assert " ".join(v.text.split()) in s_section, (q.id, c.id)
        if v.key:  # the key is for TAs only
            assert " ".join(v.key.split()) not in page_text(student)
            assert " ".join(v.key.split()) in i_section
    pending = sum(c.max_score for _, c in _checks(example_result) if c.status == Status.MANUAL)
    assert f"up to {_points(pending)} points waiting for manual review" in page_text(student)


def test_rendering_is_deterministic(example_result: SubmissionResult, failing_result: SubmissionResult) -> None:
    shared = HtmlRenderer()  # what class mode reuses for many pages
    for result in (example_result, failing_result):
        page = render_feedback(result)
        assert page == render_feedback(result) == render_feedback(result, renderer=shared)


# ------------------------------------------------------------------ a failing submission


def test_failing_matrix_marks_exactly_the_wrong_cells(failing_result: SubmissionResult) -> None:
    html = render_feedback(failing_result)
    [(q, c, v)] = list(_views(failing_result, MatrixView))
    assert v.wrong, "the failing submission has wrong convolution cells"
    grid = element(html, f"q-{q.id}-{c.id}")
    assert grid.count('<td class="wrong"') == len(v.wrong)
    for i, j in v.wrong:
        assert f"{fmt_number(v.got[i][j])}<span class=\"exp\">exp. {fmt_number(v.expected[i][j])}</span>" in grid
    assert f"{len(v.wrong)} of {sum(map(len, v.got))} elements wrong" in page_text(grid)


def test_failing_truth_table_marks_failing_rows(failing_result: SubmissionResult) -> None:
    html = render_feedback(failing_result)
    failing = [(q, c, v) for q, c, v in _views(failing_result, TruthTableView) if v.failing]
    assert failing
    for q, c, v in failing:
        card = element(html, f"q-{q.id}-{c.id}")
        assert card.count('<tr class="failing">') == len(v.failing)
        assert c.message in page_text(card)
        if c.hint:
            assert c.hint in page_text(card)


def test_failing_mismatch_shows_the_numbers(failing_result: SubmissionResult) -> None:
    html = render_feedback(failing_result)
    shown = [(q, c, v) for q, c, v in _views(failing_result, MismatchView) if c.visibility == Visibility.PUBLIC]
    assert shown
    for q, c, v in shown:
        card = page_text(element(html, f"q-{q.id}-{c.id}"))
        for g in v.groups:
            assert f"{g.mismatched} of {g.total} element" in card
            if g.max_abs_diff is not None:
                assert f"greatest absolute difference {fmt_number(g.max_abs_diff)}" in card
            assert f"{fmt_number(g.atol)} + {fmt_number(g.rtol)} × |expected|" in card
            for idx, got, exp in g.sample:
                assert f"{idx} {got} {exp}" in card  # one Index | Got | Expected row


def test_failing_curves_drawn_beside_the_reference(failing_result: SubmissionResult) -> None:
    html = render_feedback(failing_result)
    curves = list(_views(failing_result, CurvesView))
    assert curves
    broken = 0
    for q, c, v in curves:
        card = element(html, f"q-{q.id}-{c.id}")
        svg = card[card.index("<svg"): card.index("</svg>")]
        for s in v.series:
            assert f'data-series="{s.name}"' in svg
        # a non-finite value breaks the line and is marked
        nones = sum(val is None for s in v.series for val in s.values)
        assert svg.count('class="brk"') == nones
        broken += nones
        if v.log_y:
            assert "log scale" in svg
    assert broken, "the reference diverges to non-finite values at r = 1"


def test_failing_layer_table_marks_wrong_cells_with_expected(failing_result: SubmissionResult) -> None:
    html = render_feedback(failing_result)
    tables = [(q, c, v) for q, c, v in _views(failing_result, TableView) if v.wrong]
    assert len(tables) >= 2  # the answers table and the model
    for q, c, v in tables:
        card = element(html, f"q-{q.id}-{c.id}")
        if v.compared_with:  # the student's model beside their own table: differing, not wrong (issue 19)
            assert card.count('<td class="differs">') == len(v.wrong) and '<td class="wrong">' not in card
            for i, j in v.wrong:
                assert f'{v.compared_with} says {v.expected_rows[i][j]}' in page_text(card)
            continue
        assert card.count('<td class="wrong">') == len(v.wrong)
        for i, j in v.wrong:
            assert f'expected {v.expected_rows[i][j]}' in page_text(card)


def _assert_code_errors_shown(result: SubmissionResult) -> None:
    html = render_feedback(result)
    errors = [(q, c) for q, c in _checks(result)
              if c.status == Status.ERROR and c.visibility == Visibility.PUBLIC and c.details.get("traceback")]
    assert errors, "lms raises for r = 0.05"
    for q, c in errors:
        card = element(html, f"q-{q.id}-{c.id}")
        text = page_text(card)
        *frames, exception = c.details["traceback"]
        assert frames and all(re.fullmatch(r"lab1\.py:\d+ in lms", f) for f in frames)
        assert exception == "OverflowError: lr=0.05 is too large <i>for me</i>"
        for line in c.details["traceback"]:
            assert line in text
        assert " ".join(c.details["output_tail"].split()) in text
        # printed and raised HTML is shown as text
        assert "<script>alert('printed')" not in card and "<i>for me</i>" not in card
        assert "&lt;script&gt;alert(&#39;printed&#39;)&lt;/script&gt;" in card


def test_failing_code_error_shows_traceback_and_output(failing_result: SubmissionResult) -> None:
    _assert_code_errors_shown(failing_result)


def test_real_sandbox_results_render(sandbox_failing_result: SubmissionResult) -> None:
    """The same buggy submission, its code run by the real sandbox."""
    _assert_code_errors_shown(sandbox_failing_result)
    html = render_feedback(sandbox_failing_result)
    for kind in (CurvesView, MismatchView, TableView, MatrixView, TruthTableView):
        assert list(_views(sandbox_failing_result, kind)), kind.__name__
    assert html.count("<svg") >= len(list(_views(sandbox_failing_result, CurvesView)))
    hidden = [c for _, c in _checks(sandbox_failing_result) if c.visibility == Visibility.HIDDEN]
    assert hidden and all(c.message not in page_text(html) for c in hidden)


def test_hidden_checks_only_points_for_students(failing_result: SubmissionResult) -> None:
    hidden = [(q, c) for q, c in _checks(failing_result) if c.visibility == Visibility.HIDDEN]
    assert hidden and any(c.status != Status.PASS for _, c in hidden)
    student = render_feedback(failing_result, audience="student")
    instructor = render_feedback(failing_result, audience="instructor")
    s_text = page_text(student)
    for q, c in hidden:
        # neither the message, the id nor any detail; the points are there
        assert c.message not in s_text
        assert c.id not in student
        section = page_text(element(student, f"q-{q.id}"))
        assert f"hidden check only its points are shown {_points(c.score)} / {_points(c.max_score)}" in section
        # instructors see everything
        card = page_text(element(instructor, f"q-{q.id}-{c.id}"))
        assert " ".join(c.message.split()) in card
        assert "hidden from students" in card
    n = len(hidden)
    got = sum(c.score for _, c in hidden)
    top = sum(c.max_score for _, c in hidden)
    assert f"{n} hidden checks: {_points(got)} / {_points(top)} points" in s_text
    assert "ZeroDivisionError" not in s_text and "ZeroDivisionError" in page_text(instructor)


def test_student_text_is_escaped(classroom: Classroom, failing_result: SubmissionResult) -> None:
    """Names, ids, answers, printed output and exception text render as text, never markup."""
    hostile = next(r for r in classroom.results if r.student.get("id") == HOSTILE_ID)
    for result in (hostile, failing_result):
        for audience in ("student", "instructor"):
            html = render_feedback(result, audience=audience)  # type: ignore[arg-type]
            assert "<script" not in html  # the feedback page has no script at all
            assert "<b>OR</b>" not in html and "<i>" not in html and "<em>" not in html
            assert "script-src 'none'" in html  # and its CSP forbids any
    text = page_text(render_feedback(hostile))
    assert HOSTILE_ID in text and "Mallory <i>O'Brien</i> & co" in text
    assert "<script>alert('reason')</script> it is convex" in text
    assert 'you answered "<b>OR</b>"' in text
    failing = render_feedback(failing_result)
    assert "The gradients are &lt;em&gt;all&lt;/em&gt; zero &amp; nothing learns." in failing


def test_audience_is_checked(example_result: SubmissionResult) -> None:
    with pytest.raises(ValueError, match="audience"):
        render_feedback(example_result, audience="teacher")  # type: ignore[arg-type]


# ------------------------------------------------------------------ the command line


def test_cli_write_outputs_renders_html(example_result: SubmissionResult, tmp_path: Path) -> None:
    """The CLI's output step (what `grade ... --html FILE --audience A` runs after grading)."""
    for audience in ("student", "instructor"):
        out = tmp_path / f"{audience}.html"
        args = argparse.Namespace(json=None, html=out, audience=audience, gradescope=None, junit=None)
        write_outputs(example_result, args, elapsed_s=0.1)
        assert out.read_text(encoding="utf-8") == render_feedback(example_result, audience=audience)


@pytest.mark.slow  # > 10 s
@pytest.mark.skipif(not sandbox_available(), reason="grader.sandbox is not available yet: `grade` needs it to run code")
def test_grade_command_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "feedback.html"
    proc = subprocess.run([sys.executable, "-m", "grader", str(EXAMPLE), "--html", str(out), "--device", "cpu"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    total = re.search(r"total: ([\d.]+) / ([\d.]+)", proc.stdout)
    assert total
    html = out.read_text(encoding="utf-8")
    hero = page_text(html[: html.index('<nav class="toc"')])
    assert f"{_points(float(total[1]))} / {_points(float(total[2]))}" in hero
