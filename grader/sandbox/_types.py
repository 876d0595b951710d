"""The sandbox's public value types: limits, one probe call, one call's result."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Literal

Status = Literal["ok", "error", "timeout", "memory", "crashed", "missing", "bad_output", "skipped"]
STATUSES: tuple[str, ...] = ("ok", "error", "timeout", "memory", "crashed", "missing", "bad_output", "skipped")


class SandboxError(RuntimeError):
    """The sandbox itself cannot run (not a student's failure): the probes module does not
    import, full isolation was required but is unavailable, the sandbox was closed."""


@dataclass(frozen=True)
class Limits:
    """Per-call resource limits.

    wall_s: wall-clock seconds for one call (and for importing the student's module,
        with the limits of the first call of a batch).
    cpu_s: CPU seconds for one call (also: the child's RLIMIT_CPU is the sum over its
        calls, so no call can escape the supervisor's measurement for long).
    memory_mb: memory the student's code may allocate on top of the pre-imported
        interpreter, numpy and torch (RLIMIT_AS; RLIMIT_DATA on CUDA, which reserves huge
        address ranges).
    file_size_mb: the largest file the child may write (RLIMIT_FSIZE).
    nproc: processes and threads of the child's uid (RLIMIT_NPROC; binds only where the
        child runs as its own unprivileged uid).
    nofile: open files (RLIMIT_NOFILE).
    output_bytes: how much of the call's stdout/stderr is kept (the tail); a call that
        prints more than 1024 times this is stopped.
    result_bytes: the largest result a call may send back.
    """

    wall_s: float = 10.0
    cpu_s: float = 20.0
    memory_mb: int = 4096
    file_size_mb: int = 16
    nproc: int = 64
    nofile: int = 256
    output_bytes: int = 64_000
    result_bytes: int = 64_000_000

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"Limits.{f.name} must be a positive number, got {value!r}")
        if self.nofile < 16:
            raise ValueError(f"Limits.nofile must be at least 16, got {self.nofile}")

    def process_key(self) -> tuple[int, int, int, int]:
        """The limits fixed for a child's whole life (calls with equal keys share one)."""
        return (int(self.memory_mb), int(self.file_size_mb), int(self.nproc), int(self.nofile))


@dataclass(frozen=True)
class ProbeCall:
    """One probe run on one student module: `probe(ctx, **args)` in the child.

    Calls are grouped per `module` (one child per student file, restarted after a call
    that kills it); `limits` overrides the sandbox's default limits for this call.
    `seed` seeds `random`, numpy's global generator and torch right before the call
    (and before the module is imported, with the first call's seed), so that a call's
    result never depends on what ran before it (see `_child/seeding.py`)."""

    id: str
    module: str
    probe: str
    args: dict[str, Any] = field(default_factory=dict, compare=False)
    limits: Limits | None = None
    seed: int = 0


@dataclass(frozen=True)
class CallResult:
    """What came back for one call.

    status: ok (value holds plain data), error (the code raised), timeout (wall_s or
        cpu_s), memory (an allocation failed), crashed (the process died or exited),
        missing (no such student file), bad_output (not plain data, malformed or too
        large), skipped (not run: the module already failed too many times).
    traceback: the student's own frames ("lab1.py:12 in closed_form"), then the
        exception line.
    stdout_tail: the end of what the call printed (stdout and stderr together).
    limit: the name of the Limits field that was hit, if any.
    notes: remarks about the student's module (skipped notebook magics, which of
        lab1.py / lab1.ipynb was used), the same for every call on that module.
    """

    id: str
    status: Status
    value: Any = None
    message: str = ""
    traceback: tuple[str, ...] = ()
    stdout_tail: str = ""
    limit: str | None = None
    notes: tuple[str, ...] = ()
