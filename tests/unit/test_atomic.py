"""One atomic write (issue 17): the grader wrote `grade --json` and friends through a fixed
`<name>.tmp` beside the target, which two writers of the same file race on (one renames the
other's half-written file into place) and which clobbers whatever else has that name."""

from __future__ import annotations

from pathlib import Path

from grader.atomic import write_text_atomic


def test_a_file_named_like_a_temporary_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "out" / "result.json"
    target.parent.mkdir()
    other = target.with_name("result.json.tmp")  # another writer's temporary, or a file of the user's
    other.write_text("someone else's bytes")
    assert write_text_atomic(target, '{"score": 1}\n') is True
    assert target.read_text() == '{"score": 1}\n'
    assert other.read_text() == "someone else's bytes"
    assert sorted(p.name for p in target.parent.iterdir()) == ["result.json", "result.json.tmp"]  # no temporary left


def test_unchanged_bytes_are_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    assert write_text_atomic(target, "x\n") is True
    before = target.stat().st_mtime_ns
    assert write_text_atomic(target, "x\n") is False and target.stat().st_mtime_ns == before
    assert write_text_atomic(target, "y\n") is True and target.read_text() == "y\n"


def test_the_grade_command_writes_through_it(tmp_path: Path) -> None:
    import argparse

    from grader.commands.grade import write_outputs
    from grader.results import SubmissionResult

    result = SubmissionResult(assignment="a", submission="s", score=0, max_score=0, questions=[])
    out = tmp_path / "r.json"
    out.with_name("r.json.tmp").write_text("keep")
    args = argparse.Namespace(json=out, html=None, gradescope=None, junit=None, audience="student")
    write_outputs(result, args, elapsed_s=0.0)
    assert out.read_text() == result.to_json() and out.with_name("r.json.tmp").read_text() == "keep"
