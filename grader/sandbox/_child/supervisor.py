"""The supervisor: one process per (submission, batch of calls on its modules), forked by
the zygote. It forks the child that runs student code (the first process of a new PID
namespace where the kernel allows), then watches it from outside: wall-clock and CPU
limits per phase, the output cap, the size and framing of results. It relays the child's
frames to the grader as opaque bytes together with its own trusted account of what
happened (timeouts, signals, exits, captured output), and it always ends by killing and
reaping everything the child started.

The supervisor never runs student code and never decodes a value.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import signal
import socket
import time
import types
from collections.abc import Mapping, Sequence
from typing import Any, Callable, NoReturn

from . import codec, syscalls, worker

_F_SETPIPE_SZ = 1031
_READ_CHUNK = 1 << 20
_DRAIN_CHUNKS = 8
_SETUP_WALL_S = 60.0
_POLL_S = 0.1
_CLK_TCK = os.sysconf("SC_CLK_TCK")
# A call may print this many times its output cap before the child is stopped.
OUTPUT_KILL_FACTOR = 1024


class _Phase:
    """The import (index -1) or one call (index i): its limits and what it printed."""

    def __init__(self, index: int, limits: Mapping[str, Any], group: int = 0) -> None:
        self.index = index
        self.group = group
        self.wall_s = float(limits["wall_s"])
        self.cpu_s = float(limits["cpu_s"])
        self.output_bytes = int(limits["output_bytes"])
        self.result_bytes = int(limits["result_bytes"])
        self.tail = bytearray()
        self.printed = 0


class _Watch:
    """The supervision loop over one child."""

    def __init__(self, conn: socket.socket, pid: int, plan: Mapping[str, Any], pipes: Mapping[str, int]) -> None:
        self.conn, self.pid, self.plan = conn, pid, plan
        self.result_r, self.output_r, self.setup_r = pipes["result"], pipes["output"], pipes["setup"]
        # one nonce per module: frames and output markers a module's code sent beyond
        # its own phases are dropped, never taken for the next module's
        self.nonces = [bytes.fromhex(g.get("nonce", plan["nonce"])) for g in worker.groups_of(plan)]
        self.phases = [
            phase
            for g, group in enumerate(worker.groups_of(plan))
            for phase in [_Phase(-1, group["import"], g)] + [_Phase(i, c, g) for i, c in enumerate(group["calls"])]
        ]
        self.current = 0
        self.out_phase = 0
        self.out_carry = b""
        self.markers = [worker.output_marker(n) for n in self.nonces]
        self.deadline = 0.0
        self.cpu_start = 0.0
        self.frames = bytearray()
        self.killed_for: tuple[str, str] | None = None
        self.pidfd: int | None
        try:
            self.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self.pidfd = None
        for fd in (self.result_r, self.output_r):
            os.set_blocking(fd, False)

    # -- messages to the grader

    def send(self, header: dict[str, Any], *attachments: bytes) -> None:
        self.conn.sendall(codec.pack_message(header, *attachments))

    def _output_text(self, phase: _Phase) -> dict[str, Any]:
        text = bytes(phase.tail).decode("utf-8", errors="replace")
        omitted = phase.printed - len(phase.tail)
        if omitted > 0:
            text = f"[... {omitted} earlier bytes of output omitted ...]\n" + text
        return {"out": text, "out_bytes": phase.printed}

    # -- the child's state

    def cpu_seconds(self) -> float:
        try:
            with open(f"/proc/{self.pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / _CLK_TCK

    def exited(self, timeout: float) -> bool:
        if self.pidfd is not None:
            return bool(select.select([self.pidfd], [], [], max(timeout, 0))[0])
        time.sleep(max(min(timeout, 0.02), 0))
        try:
            info = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return info is not None

    def kill(self, reason: str, detail: str = "") -> None:
        if self.killed_for is None:
            self.killed_for = (reason, detail)
        targets: tuple[Callable[[], None], ...] = (lambda: os.kill(self.pid, signal.SIGKILL), lambda: os.killpg(self.pid, signal.SIGKILL))
        for target in targets:
            try:
                target()
            except ProcessLookupError:
                pass

    # -- reading

    def drain_output(self, *, until_phase: int | None = None) -> bool:
        """Read what the child printed (a bounded amount per call, so a flood cannot
        starve the result pipe) and file it under the phase it belongs to: the child
        writes a boundary marker to its output before each frame, so output is
        attributed by the markers, not by when it happens to be read. With
        `until_phase`, keep reading until that phase's marker (already in the pipe,
        since it was written before the frame) has been seen, or the pipe is empty.
        True when it stopped with more output possibly waiting."""
        for _ in range(_DRAIN_CHUNKS):
            if until_phase is not None and self.out_phase > until_phase:
                return False
            try:
                chunk = os.read(self.output_r, _READ_CHUNK)
            except BlockingIOError:
                return False
            if not chunk:
                return False
            data = self.out_carry + chunk
            prefix, size = worker.MARKER_PREFIX, len(self.markers[0])
            while True:
                at = data.find(prefix)
                if at < 0:
                    keep = len(prefix) - 1
                    self._file_output(data[:-keep] if len(data) > keep else b"")
                    self.out_carry = data[-keep:] if len(data) > keep else data
                    break
                self._file_output(data[:at])
                if len(data) - at < size:
                    self.out_carry = data[at:]
                    break
                candidate = data[at : at + size]
                group = self.phases[min(self.out_phase, len(self.phases) - 1)].group
                if candidate == self.markers[group]:
                    self.out_phase += 1
                elif candidate not in self.markers[:group]:  # an earlier module's marker is dropped
                    self._file_output(prefix)  # not a marker: the code printed this
                    data = data[at + len(prefix) :]
                    continue
                data = data[at + size :]
            if self.killed_for is not None:
                return False
        return True

    def _file_output(self, data: bytes) -> None:
        if not data or self.out_phase >= len(self.phases):
            return  # output after the last phase (a lingering process) is dropped
        phase = self.phases[self.out_phase]
        phase.printed += len(data)
        phase.tail += data
        if len(phase.tail) > phase.output_bytes:
            del phase.tail[: len(phase.tail) - phase.output_bytes]
        if phase.printed > OUTPUT_KILL_FACTOR * phase.output_bytes:
            self.kill("output", str(OUTPUT_KILL_FACTOR * phase.output_bytes))

    def read_results(self) -> None:
        while True:
            try:
                chunk = os.read(self.result_r, _READ_CHUNK)
            except BlockingIOError:
                break
            if not chunk:
                break
            self.frames += chunk
            if not self.take_frames():
                return
        self.take_frames()

    def take_frames(self) -> bool:
        """Forward every complete frame; False once the child has been stopped."""
        size = codec.FRAME_PREFIX.size
        while len(self.frames) >= size and self.killed_for is None:
            magic, nonce, head_len, blob_len = codec.FRAME_PREFIX.unpack_from(self.frames)
            group = self.phases[min(self.current, len(self.phases) - 1)].group
            stale = nonce in self.nonces[:group]  # an earlier module's code sent more frames than it had calls
            if magic != codec.FRAME_MAGIC or (nonce != self.nonces[group] and not stale):
                self.kill("bad_frame", "the result channel carried bytes that are not a result frame")
                return False
            if stale:
                if head_len + blob_len > self.phases[min(self.current, len(self.phases) - 1)].result_bytes + (1 << 20):
                    self.kill("too_big", str(head_len + blob_len))
                    return False
                if len(self.frames) < size + head_len + blob_len:
                    return True
                del self.frames[: size + head_len + blob_len]
                continue
            if self.current >= len(self.phases):
                self.kill("bad_frame", "a result frame came after the last call")
                return False
            cap = self.phases[self.current].result_bytes
            if head_len + blob_len > cap + (1 << 20):
                self.kill("too_big", str(head_len + blob_len))
                return False
            if len(self.frames) < size + head_len + blob_len:
                return True
            head = bytes(self.frames[size : size + head_len])
            blob = bytes(self.frames[size + head_len : size + head_len + blob_len])
            del self.frames[: size + head_len + blob_len]
            self.drain_output(until_phase=self.current)
            if self.out_phase <= self.current:  # the marker never came (fd 1 was replaced)
                self.out_phase = self.current + 1
            phase = self.phases[self.current]
            self.send({"t": "frame", "group": phase.group, "phase": phase.index, **self._output_text(phase)}, head, blob)
            self.current += 1
            if self.current < len(self.phases):
                self.start_phase()
        return self.killed_for is None

    def start_phase(self) -> None:
        self.deadline = time.monotonic() + self.phases[self.current].wall_s
        self.cpu_start = self.cpu_seconds()

    # -- the loop

    def wait_setup(self) -> dict[str, Any] | None:
        """The child's own report on its isolation, or None if it died or stalled."""
        data = bytearray()
        deadline = time.monotonic() + _SETUP_WALL_S
        while time.monotonic() < deadline:
            ready = select.select([self.setup_r], [], [], _POLL_S)[0]
            self.drain_output()
            if ready:
                chunk = os.read(self.setup_r, 1 << 16)
                if not chunk:
                    break
                data += chunk
        else:
            self.kill("setup", "the sandbox did not finish setting up")
            return None
        try:
            report = json.loads(bytes(data))
        except ValueError:
            return None
        return report if isinstance(report, dict) else None

    def run(self) -> None:
        report = self.wait_setup()
        if report is None or not report.get("ok"):
            error = report.get("error", "") if report else "the sandboxed process ended while setting up"
            self.send({"t": "setup", "ok": False, "error": error})
            self.finish(report_death=False)
            return
        self.send({"t": "setup", **report})
        if self.plan.get("selftest"):
            self.finish(report_death=False)
            return
        self.start_phase()
        while self.current < len(self.phases) and self.killed_for is None:
            now = time.monotonic()
            wait = min(self.deadline - now, _POLL_S)
            fds = [self.result_r, self.output_r] + ([self.pidfd] if self.pidfd is not None else [])
            ready = select.select(fds, [], [], max(wait, 0))[0]
            if self.output_r in ready:
                self.drain_output()
            if self.result_r in ready:
                self.read_results()
            if self.killed_for is not None or self.current >= len(self.phases):
                break
            if self.pidfd is not None and self.pidfd in ready or self.pidfd is None and self.exited(0):
                break
            phase = self.phases[self.current]
            if time.monotonic() >= self.deadline:
                self.kill("timeout", f"{phase.wall_s:g}")
            elif self.cpu_seconds() - self.cpu_start > phase.cpu_s:
                self.kill("cpu", f"{phase.cpu_s:g}")
        self.finish(report_death=True)

    def finish(self, *, report_death: bool) -> None:
        """Wait for the child to exit (killing it if a phase is still owed... or if it
        lingers), collect its last frames and output, reap everything, say how it ended."""
        if not self.exited(2.0 if self.killed_for is None else 0):
            self.kill(self.killed_for[0] if self.killed_for else "lingering", self.killed_for[1] if self.killed_for else "")
        try:
            os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
        except ChildProcessError:
            pass
        try:
            os.killpg(self.pid, signal.SIGKILL)  # the child's group, while its pid still pins the group id
        except (ProcessLookupError, PermissionError):
            pass
        if self.killed_for is None:
            self.read_results()
        for _ in range(64):
            if not self.drain_output():
                break
        _, status = os.waitpid(self.pid, 0)
        if report_death and self.current < len(self.phases):
            phase = self.phases[self.current]
            reason, detail = self.killed_for or _describe_status(status)
            if self.killed_for is None and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGXCPU:
                reason, detail = "cpu", "total"
            retired = (self.killed_for is None and phase.index == -1 and phase.group > 0
                       and os.WIFEXITED(status) and 0 <= os.WEXITSTATUS(status) - worker.RETIRED < len(worker.RETIRE_REASONS))
            if retired:  # between two modules: the grader runs the rest in a fresh child
                self.send({"t": "retired", "group": phase.group, "why": worker.RETIRE_REASONS[os.WEXITSTATUS(status) - worker.RETIRED]})
            else:
                self.send({"t": "died", "group": phase.group, "phase": phase.index, "reason": reason, "detail": detail,
                           **self._output_text(phase)})
        _reap_all()
        self.send({"t": "end"})


def _describe_status(status: int) -> tuple[str, str]:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return "signal", name
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    if code == worker.CHANNEL_FAILED:
        return "channel", str(code)
    return "exit", str(code)


def _children() -> list[int]:
    """Pids of this process's live children, from /proc (what waitpid cannot list)."""
    me, found = str(os.getpid()).encode(), []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[1] == me and fields[0] != b"Z":
                found.append(int(entry))
    return found


def _reap_all() -> None:
    """Kill and reap whatever the child left behind. Orphans are reparented to this
    subreaper; they were killed with the child's process group, unless one escaped the
    group (possible only where seccomp is missing): those are killed here, one
    generation at a time, as each dead parent hands its children over."""
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            for child in _children():
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)


def _pipe(*, size: int | None = None) -> tuple[int, int]:
    r, w = os.pipe()
    if size:
        try:
            fcntl.fcntl(w, _F_SETPIPE_SZ, size)
        except OSError:
            pass
    return r, w


class _Child:
    """A child forked ahead of its request: its pid and the supervisor's pipe ends."""

    def __init__(self, pid: int, pipes: dict[str, int], plan_w: int) -> None:
        self.pid, self.pipes, self.plan_w = pid, pipes, plan_w


def prepare(config: Mapping[str, Any], probes: types.ModuleType, support_modules: Mapping[str, types.ModuleType]) -> _Child:
    """Fork the child before the request is known (it sets up what needs no plan and
    waits for one): in full mode, as the first process of a new PID namespace."""
    if config["mode"] == "full":
        syscalls.unshare(syscalls.CLONE_NEWPID)
    pipes = {"setup": _pipe(), "result": _pipe(size=1 << 20), "output": _pipe(size=1 << 20), "lifeline": _pipe(), "plan": _pipe()}
    pid = os.fork()
    if pid == 0:
        ends = {name: (r if name in ("lifeline", "plan") else w) for name, (r, w) in pipes.items()}
        worker.main(config, ends, probes, support_modules)
    for name, (r, w) in pipes.items():
        os.close(r if name in ("lifeline", "plan") else w)
    ours = {name: (w if name in ("lifeline", "plan") else r) for name, (r, w) in pipes.items()}
    return _Child(pid, ours, ours.pop("plan"))


def run(conn: socket.socket, plan: dict[str, Any], attachments: Sequence[bytes], child: _Child) -> None:
    """Hand the waiting child its plan and supervise it to the end."""
    try:
        data = codec.pack_message(plan, *attachments)
        view = memoryview(data)
        while view:
            view = view[os.write(child.plan_w, view) :]
    except OSError:
        pass  # the child is gone; the watch below reports it
    finally:
        os.close(child.plan_w)
    _Watch(conn, child.pid, plan, child.pipes).run()


def main(
    assign_fd: int,
    zygote_pid: int,
    config: Mapping[str, Any],
    probes: types.ModuleType,
    support_modules: Mapping[str, types.ModuleType],
) -> NoReturn:
    """The supervisor's whole life (in the process the zygote forked): prepare a child,
    wait until the zygote assigns a request (a connection to the grader), run it."""
    code = 1
    conn: socket.socket | None = None
    try:
        syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != zygote_pid:
            os._exit(code)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        syscalls.prctl(syscalls.PR_SET_CHILD_SUBREAPER, 1)
        child, problem = None, ""
        try:
            child = prepare(config, probes, support_modules)
        except OSError as exc:
            problem = str(exc)
        assign = socket.socket(fileno=assign_fd)
        _, fds, _, _ = socket.recv_fds(assign, 64, 1)
        assign.close()
        if not fds:
            return  # type: ignore[misc]  # the zygote is shutting down: `finally` exits
        conn = socket.socket(fileno=fds[0])
        conn.settimeout(None)
        request, attachments = codec.recv_message(conn, max_bytes=1 << 30)
        conn.sendall(codec.pack_message({"t": "started", "pid": os.getpid()}))
        if child is None:
            conn.sendall(codec.pack_message({"t": "setup", "ok": False, "error": problem}))
            conn.sendall(codec.pack_message({"t": "end"}))
        else:
            run(conn, {**config, **request}, attachments, child)
        code = 0
    except BaseException as exc:  # noqa: BLE001 - say what broke, then go
        if conn is not None:
            try:
                conn.sendall(codec.pack_message({"t": "error", "error": f"{type(exc).__name__}: {exc}"}))
            except OSError:
                pass
    finally:
        os._exit(code)
