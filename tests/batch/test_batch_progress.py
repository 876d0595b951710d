"""The progress display: one line redrawn on a terminal (done/total, rate, ETA, failures),
plain log lines otherwise."""

from __future__ import annotations

import io
import re
from pathlib import Path

from grader.classmode.discover import Task
from grader.classmode.run import TaskOutcome, Progress, Rendered


def _graded(name: str) -> TaskOutcome:
    r = Rendered(student=f"id-{name}", score=40.5, max_score=100, json_text="{}", html_text=None, warnings=())
    return TaskOutcome(task=Task(name=name, path=Path(name)), kind="graded", wall_s=0.25, rendered=r)


def _failed(name: str) -> TaskOutcome:
    return TaskOutcome(task=Task(name=name, path=Path(name + ".zip")), kind="failed", wall_s=0.01,
                   failure=f"{name}.zip: not a valid zip archive")


def test_terminal_line_is_redrawn_in_place() -> None:
    out = io.StringIO()
    p = Progress(4, stream=out, tty=True, quiet=False)
    p.add(_graded("a"))
    p.add(_failed("b"))
    p.add(_graded("c"))
    p.add(_graded("d"))
    p.close()
    text = out.getvalue()
    frames = text.split("\r\x1b[2K")[1:]
    assert frames, text
    assert "\n" not in "".join(frames[:-1])  # one line, redrawn
    last = frames[-1]
    assert re.match(r"grading 4/4  \d+\.\d/s  ETA 0:00  failed 1  unchanged 0\n$", last), last


def test_eta_from_the_rate_so_far() -> None:
    out = io.StringIO()
    p = Progress(100, stream=out, tty=True, quiet=False)
    p.t0 -= 10.0  # 10 s in
    p.done = p.graded = 20
    p.add(_graded("x"))  # the 21st, at ~2.1/s: 79 left is ~38 s
    p.draw(force=True)
    last = out.getvalue().split("\r\x1b[2K")[-1]
    m = re.match(r"grading 21/100  (\d+\.\d)/s  ETA 0:(\d\d)  failed 0", last)
    assert m, last
    assert 2.0 <= float(m.group(1)) <= 2.2 and 35 <= int(m.group(2)) <= 40


def test_plain_log_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    p = Progress(2, stream=out, tty=False, quiet=False)
    p.add(_graded("ann"))
    p.add(_failed("bob"))
    assert out.getvalue().splitlines() == ["[1/2] ann (id-ann): 40.5 / 100 in 0.25 s",
                                           "[2/2] bob: FAILED: bob.zip: not a valid zip archive"]


def test_quiet_prints_nothing_per_submission() -> None:
    out = io.StringIO()
    p = Progress(1, stream=out, tty=True, quiet=True)
    p.add(_graded("ann"))
    p.close()
    assert out.getvalue() == ""
