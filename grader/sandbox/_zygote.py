"""The processes the parent holds: the zygote and its control socket, the pool of
unprivileged uids its children run as, and the background wait for a supervisor to say
its child is gone."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any

from ._child import codec
from ._types import SandboxError


_DRAIN_S = 30.0


def _matplotlib_cache(fallback: Path) -> str:
    """Where the zygote's matplotlib keeps its font cache: a lasting folder of the grader's
    user (building the cache takes seconds; it is read once, before any child exists)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "grader", "matplotlib")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return str(fallback)
    return folder


class _ZygoteLost(Exception):
    """The zygote died or did not start a supervisor for a request."""


def _repo_root() -> Path | None:
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "grader").is_dir() else None


class _UidPool:
    """Unprivileged uids for children, one per concurrent child: a random block per
    Sandbox (so two graders on one machine are unlikely to share one), handed out round
    robin; a uid whose child was not seen to end cleanly is never reused."""

    SIZE = 1024

    def __init__(self) -> None:
        self.base = 2_000_000 + secrets.randbelow(60_000) * self.SIZE
        self._next = 0
        self._busy: set[int] = set()
        self._bad: set[int] = set()
        self._lock = threading.Lock()

    def acquire(self) -> int:
        with self._lock:
            for _ in range(self.SIZE):
                uid = self.base + self._next
                self._next = (self._next + 1) % self.SIZE
                if uid not in self._busy and uid not in self._bad:
                    self._busy.add(uid)
                    return uid
        raise SandboxError("no free sandbox uid")

    def release(self, uid: int, *, reusable: bool) -> None:
        with self._lock:
            self._busy.discard(uid)
            if not reusable:
                self._bad.add(uid)

    def __contains__(self, uid: int) -> bool:
        return self.base <= uid < self.base + self.SIZE


class _Zygote:
    """One running zygote process and its control socket."""

    def __init__(self, proc: subprocess.Popen[bytes], control: socket.socket, ready: dict[str, Any]) -> None:
        self.proc, self.control, self.ready = proc, control, ready

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        try:
            self.control.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _stop_all(holder: list[_Zygote | None], tmp: Path) -> None:
    zygote = holder[0]
    holder[0] = None
    if zygote is not None:
        zygote.stop()
    shutil.rmtree(tmp, ignore_errors=True)


def _drain(conn: socket.socket, supervisor: int, uids: _UidPool, uid: int | None) -> None:
    """Wait (in a background thread) for a supervisor whose results are all in to say its
    child is gone, then free the child's uid; a supervisor that never says so is killed
    and its uid is never handed out again."""
    clean = False
    try:
        conn.settimeout(_DRAIN_S)
        while not clean:
            message, _ = codec.recv_message(conn, max_bytes=1 << 30)
            clean = message.get("t") == "end"
    except socket.timeout:
        try:
            os.kill(supervisor, signal.SIGKILL)
        except ProcessLookupError:
            pass
    except (EOFError, OSError, ValueError):
        pass
    finally:
        conn.close()
        if uid is not None:
            uids.release(uid, reusable=clean)
