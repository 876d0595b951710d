"""Class mode on a varied class: per-submission JSON byte-identical to grading each one
alone, one CSV row per student (failures included, with their reason), class report.

The corrupt archive and the empty folder are scored 0 "not submitted" with their reason
(issue 12.13: they used to be "failed" with a blank Total), and the run exits 4 because
they could not be graded (issue 12.15: it used to exit 0)."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from batchkit import grade_cli, make, read_csv
from grader.classmode.run import output_stem
from grader.cli import main
from grader.engine import Grader
from grader.results import Status, SubmissionResult
from grader.rubric import Plan


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str
    fmt: str = "dir"
    sid: str | None = "auto"
    top: bool = False

    @property
    def key(self) -> str:
        """The student key the gradebook must use (see grader.classmode.gradebook)."""
        if self.sid is None or self.kind in ("broken_answers", "corrupt"):
            return self.name  # no id, or no readable answers file to take it from
        return f"id-{self.name}" if self.sid == "auto" else self.sid


CLASS = (
    Entry("alice", "correct"),
    Entry("bob", "correct", "zip"),
    Entry("carol", "correct", "tar.gz", top=True),
    Entry("dave", "sign_error"),
    Entry("erin", "transpose", "zip", top=True),
    Entry("frank", "no_bias", "tar.gz"),
    Entry("grace", "ce_sum"),
    Entry("heidi", "table_cells", "zip"),
    Entry("ivan", "conv_wrong", "tar.gz", top=True),
    Entry("judy", "nor_sign"),
    Entry("mallory", "missing_parts", "zip"),
    Entry("niaj", "broken_answers"),
    Entry("olivia", "crash_import", "tar.gz"),
    Entry("peggy", "crash_exit"),
    Entry("rupert", "corrupt"),
    Entry("sybil", "no_id", "zip", sid=None),
    Entry("trent", "correct", sid="id-alice"),  # claims alice's student id
    Entry("victor", "sign_error", "tar.gz"),
    Entry("walter", "transpose"),
    Entry("yves", "correct", "zip", top=True),
    Entry("zoe", "no_bias"),
    Entry("maría josé", "sign_error", "zip"),  # not a plain file name: its outputs get a safe one
)
FAILING = {"rupert", "empty"}  # a corrupt archive, an empty folder: scored 0, "not submitted"


@dataclass(frozen=True)
class Run:
    root: Path
    results: Path
    paths: dict[str, Path]
    rc: int
    out: str
    err: str


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    base = tmp_path_factory.mktemp("class")
    root = base / "submissions"
    paths = {e.name: make(root, e.name, e.kind, sid=e.sid, fmt=e.fmt, salt=i, top_folder=e.top)
             for i, e in enumerate(CLASS)}
    (root / "empty").mkdir()
    paths["empty"] = root / "empty"
    (root / "roster.txt").write_text("not a submission\n")
    results = base / "results"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(root), "--out", str(results), "--jobs", "2", "--json", str(base / "summary.json")])
    return Run(root=root, results=results, paths=paths, rc=rc, out=out.getvalue(), err=err.getvalue())


@pytest.fixture(scope="module")
def single(plan: Plan) -> Grader:
    with Grader.create(plan, device="cpu", isolation="auto") as g:
        yield g


def test_completes_with_exit_4_when_some_could_not_be_graded(run: Run) -> None:
    assert run.rc == 4, run.err
    assert "2 not submitted (empty or unreadable), 0 failed of 23" in run.out
    assert "ignored 1 entry" in run.out and "roster.txt" in run.out
    summary = json.loads((run.results.parent / "summary.json").read_text())
    assert summary["total"] == 23 and summary["failed"] == 0 and summary["graded"] == 21
    assert summary["not_submitted"] == 2
    assert {s["submission"] for s in summary["submissions"] if s["outcome"] == "not_submitted"} == FAILING


def test_one_log_line_per_submission_when_not_a_terminal(run: Run) -> None:
    lines = [line for line in run.out.splitlines() if line.startswith("[")]
    assert len(lines) == 23
    assert all("/23] " in line for line in lines)
    assert any("rupert: 0 / 100, not submitted: " in line for line in lines)


def test_json_is_byte_identical_to_grading_each_alone(run: Run, single: Grader) -> None:
    graded = [e for e in CLASS if e.name not in FAILING]
    for e in graded:
        alone = single.grade_path(run.paths[e.name]).to_json()
        assert (run.results / f"{output_stem(e.name)}.json").read_text(encoding="utf-8") == alone, e.name
    for name in FAILING:  # scored 0, every check "not submitted" with the reason
        res = SubmissionResult.from_json((run.results / f"{name}.json").read_text())
        assert res.score == 0 and all(c.message.startswith("not submitted: ") for q in res.questions for c in q.checks)
    odd = output_stem("maría josé")
    assert odd.startswith("mar_a_jos_-") and json.loads((run.results / f"{odd}.json").read_text())["submission"] == "maría josé"


@pytest.mark.parametrize("name", ["bob", "olivia"])  # a flat zip; a tar.gz whose lab1.py crashes
def test_json_matches_the_grade_command_on_one_submission(run: Run, name: str, tmp_path: Path, capsys) -> None:
    rc, _, err = grade_cli([run.paths[name], "--json", tmp_path / "one.json"], capsys)
    assert rc == 0, err
    assert (tmp_path / "one.json").read_bytes() == (run.results / f"{name}.json").read_bytes()


def test_crashing_lab1_costs_lab1_only(run: Run) -> None:
    crash = SubmissionResult.from_json((run.results / "olivia.json").read_text())
    good = SubmissionResult.from_json((run.results / "alice.json").read_text())
    for q_crash, q_good in zip(crash.questions, good.questions):
        code_lab1 = [c for c in q_crash.checks if (c.source or "").startswith("code:lab1.py")]
        if code_lab1:
            assert all(c.status == Status.ERROR for c in code_lab1), q_crash.id
            assert all("left-over debugging code" in c.message for c in code_lab1), q_crash.id
        else:
            assert q_crash.score == q_good.score, q_crash.id


def test_csv_has_one_row_per_student_including_failures(run: Run, plan: Plan) -> None:
    table = read_csv(run.results / "grades.csv")
    qids = [q.id for q in plan.questions]
    assert list(table[0]) == ["Student", "SIS User ID", "Submission", *qids, "Total", "Max Points", "Status", "Reason"]
    by_sub = {r["Submission"]: r for r in table}
    assert set(by_sub) == {e.name for e in CLASS} | {"empty"}
    for e in CLASS:
        assert by_sub[e.name]["SIS User ID"] == e.key, e.name
    for name in FAILING:
        row = by_sub[name]
        assert row["Status"] == "not submitted" and row["Total"] == "0" and all(row[q] == "0" for q in qids)
    assert "not a valid zip" in by_sub["rupert"]["Reason"] and "rupert.zip" in by_sub["rupert"]["Reason"]
    assert "empty" in by_sub["empty"]["Reason"]
    for e in CLASS:
        if e.name in FAILING:
            continue
        result = json.loads((run.results / f"{output_stem(e.name)}.json").read_text())
        row = by_sub[e.name]
        assert float(row["Total"]) == result["score"]
        assert [float(row[q]) for q in qids] == [q["score"] for q in result["questions"]]
        pending = any(c["status"] == "manual" for q in result["questions"] for c in q["checks"])
        assert row["Status"] == ("needs review" if pending else "graded")


def test_two_submissions_claiming_one_student_are_kept_apart_with_a_warning(run: Run) -> None:
    table = read_csv(run.results / "grades.csv")
    claimed = [r for r in table if r["SIS User ID"] == "id-alice"]
    assert sorted(r["Submission"] for r in claimed) == ["alice", "trent"]
    assert "also claimed by submission(s) trent" in next(r for r in claimed if r["Submission"] == "alice")["Reason"]
    assert "'id-alice' is claimed by 2 submissions: alice, trent" in run.err


def test_html_pages_and_class_report(run: Run) -> None:
    pytest.importorskip("grader.report.html")
    report = (run.results / "report.html").read_text(encoding="utf-8")
    for e in CLASS:
        assert (run.results / f"{output_stem(e.name)}.html").is_file(), e.name
        assert f'href="{output_stem(e.name)}.html"' in report, e.name
    assert "rupert" in report and "not a valid zip" in report
