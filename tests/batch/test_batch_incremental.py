"""Re-running a batch: unchanged submissions are not regraded; a changed file, a changed
rubric or --force regrades exactly what it should."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from batchkit import REPO, copy_run, grade_cli, make, rows
from hw1_testing import rubric_copy


def _outcomes(log: str) -> dict[str, str]:
    """submission -> 'graded' | 'unchanged' | 'failed', from the plain log lines."""
    out = {}
    for line in log.splitlines():
        m = re.match(r"\[\s*\d+/\d+\] (\S+)( \([^)]*\))?: (.*)$", line)
        if m:
            tail = m.group(3)
            out[m.group(1)] = ("failed" if tail.startswith("FAILED") else
                               "unchanged" if tail.endswith("unchanged (not regraded)") else "graded")
    return out


@pytest.fixture(scope="module")
def graded_once(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    import contextlib
    import io

    from grader.cli import main

    base = tmp_path_factory.mktemp("incremental")
    root = base / "submissions"
    make(root, "ann", "correct")
    make(root, "ben", "nor_sign", fmt="zip")
    make(root, "cal", "table_cells", fmt="tar.gz")
    out = base / "results"
    log = io.StringIO()
    with contextlib.redirect_stdout(log):
        assert main([str(root), "--out", str(out)]) == 0
    return root, out, log.getvalue()


@pytest.fixture
def graded(graded_once: tuple[Path, Path, str], tmp_path: Path) -> tuple[Path, Path]:
    """A private copy of the graded class: (submissions, results)."""
    return copy_run(graded_once[0], graded_once[1], tmp_path / "copy")


def test_first_run_grades_all(graded_once: tuple[Path, Path, str]) -> None:
    assert _outcomes(graded_once[2]) == {"ann": "graded", "ben": "graded", "cal": "graded"}


def test_unchanged_skipped_changed_regraded(graded: tuple[Path, Path], capsys) -> None:
    klass, out = graded
    before = (out / "ann.json").read_bytes()

    rc, log, err = grade_cli([klass, "--out", out], capsys)
    assert rc == 0, err
    assert _outcomes(log) == {"ann": "unchanged", "ben": "unchanged", "cal": "unchanged"}
    assert "0 graded, 3 unchanged" in log

    answers = klass / "ann" / "answers.yaml"  # ann changes one answer: NOR weights now wrong
    answers.write_text(answers.read_text().replace("w: [-1, -1, -1]", "w: [1, 1, 1]"))
    rc, log, err = grade_cli([klass, "--out", out], capsys)
    assert rc == 0, err
    assert _outcomes(log) == {"ann": "graded", "ben": "unchanged", "cal": "unchanged"}
    after = (out / "ann.json").read_bytes()
    assert after != before and b'"fail"' in after
    history = rows(out, "SELECT submission, count(*) FROM results GROUP BY submission ORDER BY submission")
    assert history == [("ann", 2), ("ben", 1), ("cal", 1)]
    current = rows(out, "SELECT r.content_hash FROM current c JOIN results r ON r.id = c.result_id "
                        "WHERE c.submission = 'ann'")
    newest = rows(out, "SELECT content_hash FROM results WHERE submission = 'ann' ORDER BY id DESC LIMIT 1")
    assert current == newest

    answers.write_text(answers.read_text().replace("w: [1, 1, 1]", "w: [-1, -1, -1]"))  # back: the stored row is reused
    rc, log, err = grade_cli([klass, "--out", out], capsys)
    assert _outcomes(log)["ann"] == "unchanged"
    assert (out / "ann.json").read_bytes() == before


def test_force_regrades_everything(graded: tuple[Path, Path], capsys) -> None:
    klass, out = graded
    first = {p.name: p.read_bytes() for p in out.glob("*.json")}
    rc, log, err = grade_cli([klass, "--out", out, "--force"], capsys)
    assert rc == 0, err
    assert set(_outcomes(log).values()) == {"graded"}
    assert {p.name: p.read_bytes() for p in out.glob("*.json")} == first


def test_changed_rubric_regrades_everything(graded: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    klass, out = graded
    text = (REPO / "assignments" / "hw1" / "rubric.yaml").read_text()
    rubric = rubric_copy(tmp_path, text.replace('title: "Weights for NOR"', 'title: "Weights for NOR (y = +1 only at -1, -1)"'))
    rc, log, err = grade_cli([klass, "--out", out, "--rubric", rubric], capsys)
    assert rc == 0, err
    assert set(_outcomes(log).values()) == {"graded"}
    assert "Weights for NOR (y = +1 only at -1, -1)" in (out / "ann.json").read_text()
    hashes = rows(out, "SELECT DISTINCT rubric_hash FROM results")
    assert len(hashes) == 2


def test_a_rerun_with_nothing_to_grade_starts_no_sandbox(graded: tuple[Path, Path], capsys, monkeypatch) -> None:
    from grader import engine

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("Grader.create was called though nothing needed grading")

    klass, out = graded
    monkeypatch.setattr(engine.Grader, "create", classmethod(refuse))
    rc, log, err = grade_cli([klass, "--out", out], capsys)
    assert rc == 0, err
    assert set(_outcomes(log).values()) == {"unchanged"}


def test_a_reference_that_fails_stops_the_batch_as_a_rubric_error(graded: tuple[Path, Path], capsys,
                                                                  monkeypatch) -> None:
    from grader import engine
    from grader.rubric import RubricError

    def broken(*args: object, **kwargs: object) -> None:
        raise RubricError(["rubrics/hw1.yaml: the reference fails probe lms(...): ValueError: boom"])

    klass, out = graded
    before = {p.name: p.read_bytes() for p in out.glob("*.json")}
    monkeypatch.setattr(engine.Grader, "create", classmethod(broken))
    rc, _, err = grade_cli([klass, "--out", out, "--force"], capsys)
    assert rc == 2 and "the reference fails probe lms" in err
    assert {p.name: p.read_bytes() for p in out.glob("*.json")} == before


def test_an_internal_error_on_one_submission_is_recorded_and_the_batch_goes_on(graded: tuple[Path, Path], capsys,
                                                                               monkeypatch) -> None:
    from grader import engine

    real_grade = engine.Grader.grade_first_try  # what class mode calls

    def grade(self: engine.Grader, sub, **kw):  # type: ignore[no-untyped-def]
        if sub.name == "ben":
            raise KeyError("a grader bug")
        return real_grade(self, sub, **kw)

    klass, out = graded
    monkeypatch.setattr(engine.Grader, "grade_first_try", grade)
    rc, log, err = grade_cli([klass, "--out", out, "--force"], capsys)
    assert rc == 4, err  # completed, but one submission could not be graded (issue 12.15: it was 0)
    assert _outcomes(log) == {"ann": "graded", "ben": "failed", "cal": "graded"}
    assert "ben: FAILED: internal error: KeyError: 'a grader bug'" in log
    assert not (out / "ben.json").exists()
    assert rows(out, "SELECT r.outcome, r.failure FROM current c JOIN results r ON r.id = c.result_id "
                     "WHERE c.submission = 'ben'") == [("failed", "internal error: KeyError: 'a grader bug'")]
    monkeypatch.setattr(engine.Grader, "grade_first_try", real_grade)
    rc, log, err = grade_cli([klass, "--out", out], capsys)  # failures are tried again on the next run:
    # ben's content was graded before the failure, so that stored result stands for it again
    assert _outcomes(log) == {"ann": "unchanged", "ben": "unchanged", "cal": "unchanged"}
    assert (out / "ben.json").is_file()
    rc, log, err = grade_cli([klass, "--out", out, "--force"], capsys)
    assert _outcomes(log) == {"ann": "graded", "ben": "graded", "cal": "graded"}


def test_feedback_pages_are_rendered_after_grading_and_only_where_changed(graded: tuple[Path, Path], capsys,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 20.2: no HTML on a submission's grading path; a re-run where nothing changed
    renders no page, a regraded submission or a missing page is rendered again."""
    from grader.report.html import HtmlRenderer

    klass, out = graded
    rendered: list[str] = []
    real = HtmlRenderer.feedback

    def feedback(self, result, **kw):  # type: ignore[no-untyped-def]
        rendered.append(result.submission)
        return real(self, result, **kw)

    monkeypatch.setattr(HtmlRenderer, "feedback", feedback)
    rc, log, err = grade_cli([klass, "--out", out], capsys)
    assert rc == 0, err
    assert rendered == []
    assert (out / "report.html").is_file() and (out / "ann.html").is_file()

    (out / "ben.html").unlink()
    answers = klass / "ann" / "answers.yaml"
    answers.write_text(answers.read_text().replace("w: [-1, -1, -1]", "w: [1, 1, 1]"))
    rc, log, err = grade_cli([klass, "--out", out], capsys)
    assert rc == 0, err
    assert sorted(rendered) == ["ann", "ben"]
    assert b'"fail"' in (out / "ann.json").read_bytes() and "fail" in (out / "ann.html").read_text()
    assert (out / "ben.html").is_file()
