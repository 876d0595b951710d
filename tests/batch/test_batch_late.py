"""Late work (issue 19.9): a deadline, a grace period, a per-day penalty with a cap and
per-student extensions, from the rubric or a course file, applied in class mode and shown
in grades.csv, the per-submission JSON and the feedback page; what was graded stays
unchanged in the gradebook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from batchkit import make, read_csv

from grader.late import LateBook, LateError, LatePolicy, read_extensions
from grader.results import CheckResult, QuestionResult, Status, SubmissionResult

DEADLINE = datetime(2026, 10, 3, 23, 59, tzinfo=timezone(timedelta(hours=-4)))
POLICY = LatePolicy(deadline=DEADLINE, grace_minutes=15, per_day=0.25, cap=0.4)


def _result(score: float) -> SubmissionResult:
    c = CheckResult(id="c", status=Status.PASS, score=score, max_score=10, message="m")
    q = QuestionResult(id="q", title="Q", score=score, max_score=10, status=Status.PASS, checks=[c])
    return SubmissionResult(assignment="a", submission="s", score=score, max_score=10, questions=[q])


@pytest.mark.parametrize(("after", "days"), [(timedelta(minutes=-5), 0), (timedelta(minutes=14), 0),
                                             (timedelta(minutes=16), 1), (timedelta(hours=30), 2),
                                             (timedelta(days=9), 9)])
def test_days_late_count_started_days_after_the_grace(after: timedelta, days: int) -> None:
    book = LateBook(policy=POLICY, times={"s": DEADLINE + after})
    assert book.days_late("s", "id")[0] == days


def test_the_penalty_is_per_day_capped_and_never_below_zero() -> None:
    one = LateBook(policy=POLICY, times={"s": DEADLINE + timedelta(hours=2)}).apply(_result(8), "s", "id")
    assert one.score == 5.5 and "1 day(s) late" in one.warnings[-1] and "-25% of the points, 2.5 point(s)" in one.warnings[-1]
    capped = LateBook(policy=POLICY, times={"s": DEADLINE + timedelta(days=5)}).apply(_result(8), "s", "id")
    assert capped.score == 4  # 40% of 10 at most
    low = LateBook(policy=POLICY, times={"s": DEADLINE + timedelta(days=5)}).apply(_result(1), "s", "id")
    assert low.score == 0
    on_time = LateBook(policy=POLICY, times={"s": DEADLINE}).apply(_result(8), "s", "id")
    assert on_time.score == 8 and not on_time.warnings


def test_extensions_by_date_or_days(tmp_path: Path) -> None:
    f = tmp_path / "ext.csv"
    f.write_text("student,deadline\ns1,3\ns2,2026-10-10T12:00:00+00:00\n")
    ext = read_extensions(f, DEADLINE)
    assert ext == {"s1": DEADLINE + timedelta(days=3), "s2": datetime(2026, 10, 10, 12, tzinfo=UTC)}
    book = LateBook(policy=POLICY, deadlines=ext, times={"a": DEADLINE + timedelta(days=2)})
    assert book.apply(_result(8), "a", "s1").score == 8 and book.apply(_result(8), "a", "s9").score == 4
    f.write_text("s1,soon\n")
    with pytest.raises(LateError, match=r"ext.csv:1: 'soon' is not an ISO 8601 time"):
        read_extensions(f, DEADLINE)
    with pytest.raises(ValueError, match="time zone"):
        LatePolicy(deadline=datetime(2026, 10, 3), per_day=0.1)


def test_class_mode_applies_the_course_files_policy(tmp_path: Path) -> None:
    from grader.cli import main

    root = tmp_path / "subs"
    make(root, "ann", "correct")
    make(root, "ben", "correct")
    make(root, "cal", "correct")
    (tmp_path / "ext.csv").write_text("id-cal,7\n")
    course = tmp_path / "course.yaml"
    course.write_text(f"late:\n  deadline: '{DEADLINE.isoformat()}'\n  grace_minutes: 15\n  per_day: 0.1\n"
                      "  cap: 0.5\n  extensions: ext.csv\n")
    times = tmp_path / "times.csv"
    times.write_text(f"submission,time\nann,{DEADLINE.isoformat()}\nben,{(DEADLINE + timedelta(days=1, hours=1)).isoformat()}\n"
                     f"cal,{(DEADLINE + timedelta(days=5)).isoformat()}\n")
    out = tmp_path / "results"
    assert main([str(root), "--out", str(out), "--quiet", "--late", str(course), "--submitted-at", str(times)]) == 0
    rows = {r["Submission"]: r for r in read_csv(out / "grades.csv")}
    ann, ben, cal = (float(rows[n]["Total"]) for n in ("ann", "ben", "cal"))
    assert ann == cal and ben == pytest.approx(ann - 0.2 * float(rows["ben"]["Max Points"]))  # 2 started days
    assert "2 day(s) late" in rows["ben"]["Reason"] and "late" not in rows["cal"]["Reason"]  # cal: an extension
    ben_json = SubmissionResult.from_json((out / "ben.json").read_text())
    assert ben_json.score == ben and any("day(s) late" in w for w in ben_json.warnings)
    if (out / "ben.html").exists():
        assert "day(s) late" in (out / "ben.html").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("late:\n  deadline: '2026-10-03T23:59:00'\n")
    assert main([str(root), "--out", str(out), "--quiet", "--late", str(bad)]) == 2


def test_the_rubrics_policy_and_modification_times(tmp_path: Path, plan) -> None:
    import argparse
    import dataclasses
    import os

    from grader.classmode.discover import Task
    from grader.classmode.run import make_late_book

    sub = tmp_path / "dan"
    sub.mkdir()
    (sub / "answers.yaml").write_text("{}")
    late = (DEADLINE + timedelta(days=3)).timestamp()
    os.utime(sub / "answers.yaml", (late, late))
    with_late = dataclasses.replace(plan, rubric=plan.rubric.model_copy(update={"late": POLICY}))
    book = make_late_book(argparse.Namespace(late=None, submitted_at=None), with_late, [Task(name="dan", path=sub)])
    assert book is not None and book.days_late("dan", "x")[0] == 3
    assert make_late_book(argparse.Namespace(late=None, submitted_at=None), plan, []) is None  # no policy: nothing
