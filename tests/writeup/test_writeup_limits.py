"""A write-up is read in a limited child: a PDF built to be slow, or a reader that eats
memory, is cut off at the limit with a message naming the file and the limit, the other
checks are still graded, and what the child sends back is exactly what reading in the
grader's own process would give."""

from __future__ import annotations

import time
import zlib
from pathlib import Path

import pytest
from writeup_helpers import assemble_pdf, make_pdf, markdown_as_printed, paginate

from grader.engine import Grader
from grader.rubric import Plan
from grader.submission import open_submission
from grader.writeup import isolate
from grader.writeup.extract import extract
from grader.writeup.isolate import WriteupLimits, extraction_from_json, extraction_to_json, run_limited
from grader.writeup.loader import load_answers_or_writeup, read_writeup, support_names
from grader.writeup.source import WriteupError, read_text

FIXTURES = Path(__file__).resolve().parent / "fixtures"
FAST = WriteupLimits(cpu_seconds=1, wall_seconds=3, memory_bytes=256 << 20)


def pdf_with_content(content: bytes) -> bytes:
    """A one-page PDF whose page content stream is ``content`` (compressed, as a real one is)."""
    data = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
        b"/Contents 5 0 R >>",
        f"<< /Length {len(data)} /Filter /FlateDecode >>\nstream\n".encode() + data + b"\nendstream",
    ]
    return assemble_pdf(objects)


def slow_pdf() -> bytes:
    """5 kB on disk; a million tiny text operators once decompressed: pypdf needs seconds
    (and time that grows faster than the operators) to extract its text."""
    return pdf_with_content(b"BT /F1 9 Tf 11 TL 36 770 Td\n" + b"(Problem 1) Tj T*\n" * 100_000 + b"ET\n")


def folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    d = tmp_path / "sub"
    d.mkdir()
    for name, content in files.items():
        (d / name).write_bytes(content)
    return d


def test_a_pdf_built_to_be_slow_is_cut_off_at_the_limit(plan: Plan, tmp_path: Path) -> None:
    pdf = slow_pdf()
    assert len(pdf) < 10_000
    with open_submission(folder(tmp_path, {"report.pdf": pdf})) as sub:
        t0 = time.monotonic()
        answers, view = load_answers_or_writeup(sub, plan=plan, limits=FAST)
        elapsed = time.monotonic() - t0
    assert answers.data is None and view is sub
    assert answers.error == "could not read the write-up (report.pdf: took longer than 1 s to read)"
    assert elapsed < FAST.wall_seconds + 1.5


def test_the_wall_clock_limit_stops_a_reader_that_sleeps() -> None:
    limits = WriteupLimits(cpu_seconds=30, wall_seconds=0.5)
    t0 = time.monotonic()
    with pytest.raises(WriteupError, match=r"^report\.md: took longer than 0\.5 s to read$"):
        run_limited(lambda: time.sleep(60), filename="report.md", limits=limits)
    assert time.monotonic() - t0 < 3


def test_the_memory_limit_stops_a_reader_that_allocates() -> None:
    limits = WriteupLimits(cpu_seconds=10, wall_seconds=10, memory_bytes=64 << 20)
    with pytest.raises(WriteupError, match=r"^report\.pdf: needs more than 67\.1 MB of memory to read$"):
        run_limited(lambda: len(bytearray(512 << 20)), filename="report.pdf", limits=limits)


def test_a_result_over_the_cap_is_refused() -> None:
    limits = WriteupLimits(max_result_bytes=1000)
    with pytest.raises(WriteupError, match=r"^report\.md: reading it produced more than 1\.0 kB of text$"):
        run_limited(lambda: "x" * 5000, filename="report.md", limits=limits)


def test_a_reader_that_dies_is_an_error_not_a_crash() -> None:
    import os
    import signal

    with pytest.raises(WriteupError, match=r"^a\.pdf: cannot be read \(the reader was stopped by signal 11\)$"):
        run_limited(lambda: os.kill(os.getpid(), signal.SIGSEGV), filename="a.pdf")
    with pytest.raises(WriteupError, match=r"^a\.pdf: cannot be read \(ZeroDivisionError: division by zero\)$"):
        run_limited(lambda: 1 / 0, filename="a.pdf")


def test_the_reader_cannot_open_network_sockets() -> None:
    import socket

    def connect() -> str:
        try:
            socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
        except PermissionError:
            return "refused"
        return "opened"

    assert run_limited(connect, filename="a.pdf") == "refused"


def test_a_slow_writeup_costs_its_answers_only(answers_grader: Grader, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolate, "DEFAULT_LIMITS", FAST)
    d = folder(tmp_path, {"report.pdf": slow_pdf(), "lab1.py": b"def lms(*a, **k):\n    return None\n"})
    r = answers_grader.grade_path(d)
    checks = [c for q in r.questions for c in q.checks]
    answer_checks = [c for q in r.questions for c in q.checks if "lab" not in q.id]
    assert answer_checks and all(c.status.value == "error" for c in answer_checks)
    assert all("could not read the write-up (report.pdf: took longer than 1 s to read)" in c.message
               for c in answer_checks)
    assert len(checks) > len(answer_checks)  # the rest is graded: the result has every question


@pytest.mark.parametrize("name", ["markdown_fenced.md", "plain_text.txt", "unusual_order.md", "gaps.txt"])
def test_reading_in_the_child_gives_what_reading_here_gives(plan: Plan, tmp_path: Path, name: str) -> None:
    d = folder(tmp_path, {name: (FIXTURES / name).read_bytes()})
    with open_submission(d) as sub:
        here = extract(read_text((FIXTURES / name).read_bytes(), filename=name), plan=plan, support=support_names(plan))
        assert read_writeup(sub, name, plan=plan) == here
        assert extraction_from_json(extraction_to_json(here)) == here


def test_a_pdf_read_in_the_child_gives_what_reading_here_gives(plan: Plan, tmp_path: Path) -> None:
    md = (FIXTURES / "pdf_source.md").read_text(encoding="utf-8")
    pdf = make_pdf(paginate(markdown_as_printed(md), per_page=45))
    with open_submission(folder(tmp_path, {"report.pdf": pdf})) as sub:
        here = extract(read_text(pdf, filename="report.pdf"), plan=plan, support=support_names(plan))
        assert here.items and read_writeup(sub, "report.pdf", plan=plan) == here


def test_the_child_never_runs_the_graders_pending_finalizers(tmp_path: Path) -> None:
    """Garbage the grader has not collected yet (a cycle holding a temporary folder's
    finalizer) must not be collected, and the folder removed, by the reading child."""
    import gc
    import shutil
    import weakref

    keep = tmp_path / "view"
    keep.mkdir()

    class Node:
        pass

    gc.disable()
    try:
        a, b = Node(), Node()
        a.other, b.other = b, a  # a cycle: freed only by the collector
        weakref.finalize(a, shutil.rmtree, keep, True)
        del a, b
        assert run_limited(lambda: gc.collect() >= 0, filename="report.md") is True
        assert keep.exists()
    finally:
        gc.enable()
        gc.collect()


def test_a_reader_forked_after_a_pid_wrap_around_can_still_signal_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """The full suite failed here once: the no-network filter was built in the grader naming
    the grader's pid, and a reader forked after the pids wrapped around (a smaller pid than
    the grader's) was refused a signal to itself. The filter now names the reader's own pid."""
    import os
    import signal

    isolate._network_filter.cache_clear()
    with monkeypatch.context() as patch:  # the grader as if its pid were near the top
        patch.setattr(os, "getpid", lambda: (1 << 22) - 1)
        isolate._network_filter()
    try:
        with pytest.raises(WriteupError, match=r"^a\.pdf: cannot be read \(the reader was stopped by signal 11\)$"):
            run_limited(lambda: os.kill(os.getpid(), signal.SIGSEGV), filename="a.pdf")
    finally:
        isolate._network_filter.cache_clear()
