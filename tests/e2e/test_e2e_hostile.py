"""Hostile and broken student code, end to end through the real engine and sandbox.

Each fixture in hostile/ replaces the example submission's lab1.py. Every case must end
with a clear message and zero for the checks lab1.py backs, full marks for every other
question, the grader alive (the next submission grades normally), and no file changed
outside the run's own temporary folders."""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

from grader.engine import Grader
from grader.results import SubmissionResult
from grader.rubric import load_plan

from hw1_testing import EXAMPLE, RUBRIC, check, rubric_copy

HOSTILE = Path(__file__).parent / "hostile"
LAB1_CODE_CHECKS = [("lab1.a", "course_data"), ("lab1.a", "hidden_small"), ("lab1.a", "badly_scaled"),
                    ("lab1.b", "final_w"), ("lab1.b", "mse_curve"), ("lab1.d", "r_0_1"), ("lab1.d", "r_1")]
LAB1_QUESTIONS = {"lab1.a", "lab1.b", "lab1.d"}


@pytest.fixture(scope="module")
def grader(tmp_path_factory):
    """The HW1 rubric with a 3 s wall-clock limit per call, so hangs are cheap to test."""
    os.environ["GRADER_SECRET"] = "s3cret-in-the-grader-environment"
    text = RUBRIC.read_text().replace("limits: {wall_s: 10, cpu_s: 20,", "limits: {wall_s: 3, cpu_s: 6,")
    p = rubric_copy(tmp_path_factory.mktemp("rubric"), text)
    g = Grader.create(load_plan(p), device="cpu")
    yield g
    g.close()
    os.environ.pop("GRADER_SECRET", None)


@pytest.fixture(scope="module")
def baseline(grader) -> SubmissionResult:
    return grader.grade_path(EXAMPLE)


def _submission(tmp_path: Path, case: str) -> Path:
    sub = tmp_path / "sub"
    shutil.copytree(EXAMPLE, sub)
    shutil.copy(HOSTILE / f"{case}.py", sub / "lab1.py")
    return sub


def _assert_contained(result: SubmissionResult, baseline: SubmissionResult) -> None:
    """Other questions keep full marks; lab1's code checks score nothing; its reported
    numbers (answers-backed) still count."""
    for q, bq in zip(result.questions, baseline.questions):
        if q.id not in LAB1_QUESTIONS:
            assert q.score == bq.score, (q.id, [c.message for c in q.checks])
    for qid, cid in LAB1_CODE_CHECKS:
        c = check(result, qid, cid)
        assert c.score == 0 and c.status != "pass", (qid, cid, c.status, c.message)
        assert c.message.strip()
    assert check(result, "lab1.a", "reported_w").status == "pass"
    assert check(result, "lab1.b", "reported_w").status == "pass"


@pytest.mark.parametrize(
    "case, fragment",
    [
        ("import_loop", "import"),
        ("huge_alloc", "memory"),
        ("fork_bomb", ""),
        ("exits", "exit"),
        ("kill_parent", ""),
        ("monkeypatch", "mismatched"),
        ("lying_objects", ""),
        ("fake_output", "mismatched"),
        ("torch_state", "mismatched"),
        ("bad_values", ""),
    ],
)
@pytest.mark.slow  # > 10 s
def test_hostile_lab1_is_contained(grader, baseline, tmp_path, case, fragment):
    result = grader.grade_path(_submission(tmp_path, case))
    _assert_contained(result, baseline)
    msg = check(result, "lab1.a", "course_data").message.lower()
    assert fragment in msg, msg
    # the grader is alive and unaffected: the next submission grades as before
    again = grader.grade_path(EXAMPLE)
    assert again.to_json() == baseline.to_json()


def test_sound_function_beside_a_hanging_one_keeps_its_points(grader, baseline, tmp_path):
    result = grader.grade_path(_submission(tmp_path, "sleep_call"))
    c = check(result, "lab1.a", "course_data")
    assert c.status == "error" and c.score == 0
    assert "lab1.py:closed_form: did not finish within 3 s" in c.message
    for cid in ("final_w", "mse_curve"):
        assert check(result, "lab1.b", cid).status == "pass"
    for q, bq in zip(result.questions, baseline.questions):
        if q.id != "lab1.a":
            assert q.score == bq.score, q.id


def test_unpickling_never_happens(grader, baseline, tmp_path):
    marker = Path("/tmp/grader-pwned-by-pickle")
    marker.unlink(missing_ok=True)
    result = grader.grade_path(_submission(tmp_path, "pickle_bomb"))
    _assert_contained(result, baseline)
    assert not marker.exists()


def test_output_flood_is_bounded(grader, baseline, tmp_path):
    result = grader.grade_path(_submission(tmp_path, "flood"))
    _assert_contained(result, baseline)
    assert len(result.to_json()) < 2_000_000


def test_fake_results_on_stdout_change_nothing(grader, baseline, tmp_path):
    result = grader.grade_path(_submission(tmp_path, "fake_output"))
    _assert_contained(result, baseline)
    assert result.score < baseline.score


def test_files_written_anywhere_stay_in_the_sandbox(grader, baseline, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    sub = _submission(tmp_path, "write_files")
    (sub / "out.txt").write_text(str(outside))
    watched = [outside / "result.json", Path("/tmp/grader-hostile-result.json"), Path("/tmp/results.json"),
               Path.home() / "result.json", Path("/root/result.json"), sub / "result.json", sub / "results.json",
               tmp_path / "result.json", sub.parent.parent / "result.json"]
    for p in watched:
        p.unlink(missing_ok=True)
    result = grader.grade_path(sub)
    _assert_contained(result, baseline)
    leaked = [str(p) for p in watched if p.exists()]
    assert leaked == []


def test_reference_and_secrets_are_out_of_reach(grader, baseline, tmp_path):
    sub = _submission(tmp_path, "snoop")
    (sub / "repo.txt").write_text(str(Path(__file__).resolve().parents[2]))
    result = grader.grade_path(sub)
    _assert_contained(result, baseline)
    # the cheat computes the right answer only when it found the reference or a secret
    assert check(result, "lab1.a", "course_data").status == "fail"
    assert check(result, "lab1.a", "hidden_large").status == "fail"


def test_no_network_even_to_loopback(grader, baseline, tmp_path):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)
    srv.settimeout(0.2)
    got: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
                got.append(conn.recv(100))
                conn.close()
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    sub = _submission(tmp_path, "socket_out")
    (sub / "port.txt").write_text(str(srv.getsockname()[1]))
    try:
        result = grader.grade_path(sub)
    finally:
        stop.set()
        t.join(2)
        srv.close()
    _assert_contained(result, baseline)
    assert got == []


def test_example_gets_every_auto_graded_point(baseline):
    auto = [c for q in baseline.questions for c in q.checks if c.status != "manual"]
    assert all(c.status == "pass" for c in auto), [(c.id, c.message) for c in auto if c.status != "pass"]
    manual_points = sum(c.max_score for q in baseline.questions for c in q.checks if c.status == "manual")
    # 88 + 12 pending review: the lab1.c figure waits for a TA since issue 11.5 (it was 90 + 10)
    assert baseline.score == baseline.max_score - manual_points == 88


@pytest.fixture(scope="module")
def basic_grader(tmp_path_factory):
    """The fallback used where namespaces are not allowed (e.g. GitHub's Ubuntu runners)."""
    text = RUBRIC.read_text().replace("limits: {wall_s: 10, cpu_s: 20,", "limits: {wall_s: 3, cpu_s: 6,")
    p = rubric_copy(tmp_path_factory.mktemp("rubric-basic"), text)
    g = Grader.create(load_plan(p), device="cpu", isolation="basic")
    yield g
    g.close()


@pytest.mark.slow  # > 10 s
def test_fallback_says_so_once_and_still_contains(basic_grader, baseline, tmp_path):
    # the reduced isolation is said once, to the staff (issue 19: students never see the jargon)
    assert len(basic_grader.staff_notes) == 1 and "missing pid-ns, net-ns, mount-ns" in basic_grader.staff_notes[0]
    for case in ("kill_parent", "fork_bomb", "exits"):
        result = basic_grader.grade_path(_submission(tmp_path / case, case))
        _assert_contained(result, baseline)
        assert result.staff_notes[:1] == basic_grader.staff_notes
        assert not any("pid-ns" in n for n in result.notes)
    again = basic_grader.grade_path(EXAMPLE)
    assert again.score == baseline.score


def test_fallback_keeps_files_and_network_in(basic_grader, baseline, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    sub = _submission(tmp_path, "write_files")
    (sub / "out.txt").write_text(str(outside))
    result = basic_grader.grade_path(sub)
    _assert_contained(result, baseline)
    assert not (outside / "result.json").exists()
    assert not Path("/tmp/grader-hostile-result.json").exists()
