"""Class-mode progress: on a terminal one line redrawn (done/total, rate, ETA, failures so
far); otherwise one log line per submission; ``--quiet`` prints only the summary."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TextIO

from grader.report.terminal import for_terminal

if TYPE_CHECKING:
    from grader.classmode.run import TaskOutcome  # annotations only: run feeds progress

__all__ = ["Progress"]


class Progress:
    """One redrawn line on a terminal; one log line per submission otherwise."""

    def __init__(self, total: int, *, stream: TextIO, tty: bool, quiet: bool) -> None:
        self.total = total
        self.stream = stream
        self.tty = tty
        self.quiet = quiet
        self.done = self.graded = self.skipped = self.failed = 0
        self.t0 = time.monotonic()
        self._last_draw = 0.0

    def add(self, o: TaskOutcome) -> None:
        self.done += 1
        if o.kind == "failed" or o.not_submitted is not None:
            self.failed += 1
        elif o.kind == "graded":
            self.graded += 1
        elif o.kind == "skipped":
            self.skipped += 1
        if self.quiet:
            return
        if self.tty:
            self.draw(force=self.done == self.total)
            return
        width = len(str(self.total))
        head = f"[{self.done:>{width}}/{self.total}] {for_terminal(o.task.name, newlines=False)}"
        if o.kind == "failed":
            line = f"{head}: FAILED: {for_terminal(o.failure, newlines=False)}"
        else:
            r = o.rendered
            who = f" ({for_terminal(r.student, newlines=False)})" if r is not None and r.student != o.task.name else ""
            score = f"{r.score:g} / {r.max_score:g}" if r is not None else "?"
            if o.not_submitted is not None:
                line = f"{head}{who}: {score}, not submitted: {for_terminal(o.not_submitted, newlines=False)}"
            elif o.kind == "graded":
                line = f"{head}{who}: {score} in {o.wall_s:.2f} s"
            else:
                line = f"{head}{who}: {score}, unchanged (not regraded)"
        print(line, file=self.stream, flush=True)

    def draw(self, *, force: bool = False) -> None:
        if not self.tty or self.quiet:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < 0.2:
            return
        self._last_draw = now
        elapsed = max(now - self.t0, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else None
        line = (f"grading {self.done}/{self.total}  {rate:.1f}/s  ETA {_clock(eta)}  "
                f"failed {self.failed}  unchanged {self.skipped}")
        raw = getattr(self.stream, "raw", self.stream)  # our own control sequence: past TerminalStream
        raw.write("\r\x1b[2K" + line)
        raw.flush()

    def close(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
