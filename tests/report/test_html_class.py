"""The class report, rendered from a class of 25 varied submissions graded by the real
engine (right, partly wrong, missing, broken, hostile, unreadable) plus one whose code
ran and failed."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import numpy as np
import pytest

from grader.report.html import GradingFailure, ManualItem, manual_items, render_class_report
from grader.results import Status, SubmissionResult

from report_helpers import HOSTILE_ID, HOSTILE_REASON, MUTATIONS, Classroom, element, failing_answers, page_text


def _points(x: float) -> str:
    return f"{round(x, 2):g}"


@pytest.fixture(scope="module")
def results(classroom: Classroom, failing_result: SubmissionResult) -> list[SubmissionResult]:
    return [*classroom.results, failing_result]


@pytest.fixture(scope="module")
def links(results: list[SubmissionResult]) -> dict[str, str]:
    return {r.submission: f"{r.submission}.html" for r in results}


@pytest.fixture(scope="module")
def report(results: list[SubmissionResult], classroom: Classroom, links: dict[str, str]) -> str:
    return render_class_report(results, failures=classroom.failures, links=links, timings=classroom.timings)


def _question(r: SubmissionResult, qid: str):
    return next(q for q in r.questions if q.id == qid)


def test_class_is_varied(classroom: Classroom, results: list[SubmissionResult]) -> None:
    assert len(results) >= 20
    statuses = {c.status for r in results for q in r.questions for c in q.checks}
    assert {Status.PASS, Status.FAIL, Status.ERROR, Status.MISSING, Status.MANUAL} <= statuses
    assert len({r.score for r in results}) >= 8
    assert classroom.failures


def test_summary_and_histogram(report: str, results: list[SubmissionResult], classroom: Classroom) -> None:
    scores = [r.score for r in results]
    top = max(r.max_score for r in results)
    hero = page_text(report[: report.index("<nav")])
    assert f"{len(results)} submissions graded, {len(classroom.failures)} could not be graded" in hero
    dist = page_text(element(report, "distribution"))
    for value, label in ((statistics.fmean(scores), "mean"), (statistics.median(scores), "median"),
                         (statistics.stdev(scores), "standard deviation"), (min(scores), "lowest"),
                         (max(scores), "highest")):
        assert f"{_points(value)} {label}" in dist
    # one bar per tenth of the maximum, counting every graded submission once
    expected = [0] * 10
    for s in scores:
        expected[min(int(s / top * 10), 9)] += 1
    bars = re.findall(r'<rect class="bar"[^>]*><title>([^<]*): (\d+) submissions?</title>', report)
    assert [int(n) for _, n in bars] == expected


def test_per_question_mean_pass_rate_and_discrimination(report: str, results: list[SubmissionResult]) -> None:
    qids = [q.id for q in results[0].questions]
    assert "Pearson correlation between the question's score and the rest-of-test score" in page_text(report)
    for qid in qids:
        qs = [_question(r, qid) for r in results]
        row = page_text(element(report, f"stats-{qid}"))
        mean = statistics.fmean(q.score for q in qs)
        assert f"{_points(mean)} / {_points(qs[0].max_score)}" in row
        # full marks on the automatically graded checks
        eligible = [(q.score, q.max_score - sum(c.max_score for c in q.checks if c.status == Status.MANUAL))
                    for q in qs]
        eligible = [(s, auto) for s, auto in eligible if auto > 0]
        if eligible:
            rate = sum(s >= auto - 1e-9 for s, auto in eligible) / len(eligible)
            assert f"{100 * rate:.0f}%" in row
        item = np.array([q.score for q in qs])
        rest = np.array([r.score for r in results]) - item
        if item.std() > 0 and rest.std() > 0:
            r = float(np.corrcoef(item, rest)[0, 1])
            assert f"{r:.2f}" in row.split()
            assert ("⚑" in row) == (r < 0.2)
        else:
            assert "—" in row


def test_most_common_wrong_answers(report: str, classroom: Classroom, failing_result: SubmissionResult) -> None:
    """Wrong answers not named as a known mistake (those are counted in their own section)."""
    section = element(report, "wrong")
    checked = 0
    results = [*classroom.results, failing_result]
    for name, m in MUTATIONS.items():
        named = sum(any(c.details.get("diagnosis") for q in r.questions if q.id == m.question for c in q.checks)
                    for r in results)
        n = classroom.wrong_count(name) + m.carried_by(failing_answers()) - named
        if m.shown_as is None or n == 0:
            continue
        row = page_text(section[section.index(f"<b>{m.question}</b>"):])
        row = row[: row.index(")", row.index(m.shown_as)) + 1]
        assert f"{m.shown_as} — {n} student{'s' if n != 1 else ''}" in row, (name, row)
        checked += 1
    assert checked >= 4
    # a wrong answer with HTML in it is counted as text
    assert "&lt;b&gt;or&lt;/b&gt;</span> — <b>1 student</b>" in section


def test_failures_and_code_errors(report: str, classroom: Classroom, failing_result: SubmissionResult) -> None:
    section = element(report, "failures")
    text = page_text(section)
    for f in classroom.failures:
        assert f.submission in text and " ".join(f.reason.split()) in text
    assert "corrupt.zip" in text and "not a valid zip archive" in text
    # graded submissions whose checks could not run, and why
    assert "answers file unreadable" in text  # the broken YAML
    assert "two answers files" in text
    code_errors = [c for q in failing_result.questions for c in q.checks if c.status == Status.ERROR]
    assert code_errors
    row = text[text.index(failing_result.student["id"]):]
    assert code_errors[0].message.splitlines()[0] in row


def test_students_sorted_and_linked(report: str, results: list[SubmissionResult], links: dict[str, str]) -> None:
    def order(table_html: str) -> list[str]:
        return re.findall(r'<tr>\s*<td data-v="[^"]*"><a href="([^"]+)\.html">', table_html)

    def label(r: SubmissionResult) -> str:
        return (r.student.get("name") or r.student.get("id") or r.submission).casefold()

    by_name = [r.submission for r in sorted(results, key=lambda r: (label(r), r.student.get("id", r.submission),
                                                                     r.submission))]
    by_score = [r.submission for r in sorted(results, key=lambda r: (r.score, label(r), r.submission))]
    main = element(report, "students")
    assert order(main) == by_name
    assert order(element(report, "by-score")) == by_score
    for r in results:
        cells = main[main.index(f'href="{r.submission}.html"'):]
        cells = cells[: cells.index("</tr>")]
        assert f'<td data-v="{r.score}" class="num nowrap"><b>{_points(r.score)}</b>' in cells
        assert cells.count('class="h h') == len(r.questions)
    assert 'data-sortable="off"' in main  # switched on by the optional script


def test_timings_and_manual_queue(report: str, results: list[SubmissionResult], classroom: Classroom) -> None:
    timing = page_text(element(report, "timing"))
    times = list(classroom.timings.values())
    assert f"{sum(times):.1f} s in all" in timing
    slowest = max(classroom.timings, key=classroom.timings.__getitem__)
    assert f"({classroom.timings[slowest]:.2f} s)" in timing
    queue = page_text(element(report, "queue"))
    items = manual_items(results)
    assert len(items) == sum(c.status == Status.MANUAL for r in results for q in r.questions for c in q.checks)
    assert f"{len(items)} answers waiting" in queue
    groups = {(it.question, it.check, it.label) for it in items}
    assert len(groups) >= 5
    for qid, cid, label in groups:
        n = sum((it.question, it.check) == (qid, cid) for it in items)
        assert f"{qid} · {label} — {n} waiting" in queue


def test_manual_queue_given_by_class_mode(results: list[SubmissionResult]) -> None:
    """Class mode passes its own queue (e.g. without the items a TA already scored)."""
    items = [it for it in manual_items(results) if not it.question.startswith("problem1.")]
    extra = ManualItem(submission="s00", question="lab1.c", check="figure", label="figure", points=2.0,
                       text="<svg onload=alert(5)>")
    html = render_class_report(results, manual_queue=[*items, extra])
    queue = element(html, "queue")
    assert f"{len(items) + 1} answers waiting" in page_text(queue)
    assert "problem1.q1_1" not in queue
    assert "lab1.c · figure — 1 waiting" in page_text(queue)
    assert "<svg onload" not in html and "&lt;svg onload=alert(5)&gt;" in queue


def test_links_never_run_script(results: list[SubmissionResult]) -> None:
    subs = [r.submission for r in results]
    html = render_class_report(results, links={subs[0]: "javascript:alert(1)", subs[1]: "//evil.example/x",
                                               subs[2]: "https://lms.example/feedback?id=2"})
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert not [h for h in hrefs if h.lower().startswith(("javascript:", "//"))]
    assert "javascript%3Aalert%281%29" in hrefs
    assert "https://lms.example/feedback?id=2" in hrefs


def test_hostile_student_and_reason_escaped(report: str) -> None:
    assert HOSTILE_ID not in report and "<img src=x" not in report
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in report
    text = page_text(report)
    assert HOSTILE_ID in text and HOSTILE_REASON in text
    assert report.count("<script") == 1  # the page's own sorting script, nothing else


def test_empty_class_and_only_failures() -> None:
    html = render_class_report([], failures=[GradingFailure(submission="a.zip", reason="not a valid zip archive")],
                               title="HW1 <draft>")
    text = page_text(html)
    assert "HW1 <draft>" in text and "<draft>" not in html
    assert "0 submissions graded, 1 could not be graded" in text
    assert "No submission was graded." in text and "a.zip error not a valid zip archive" in text


def test_report_is_deterministic(results: list[SubmissionResult], classroom: Classroom, links: dict[str, str]) -> None:
    a = render_class_report(results, failures=classroom.failures, links=links, timings=classroom.timings)
    b = render_class_report(list(reversed(results)), failures=list(reversed(classroom.failures)), links=links,
                            timings=classroom.timings)
    assert a == b


def test_writes_a_self_contained_file(report: str, tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    path.write_text(report, encoding="utf-8")
    assert not re.search(r'(src|href)="(https?:)?//', report)  # no network
    assert "<link" not in report and "@import" not in report
