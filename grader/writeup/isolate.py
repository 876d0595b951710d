"""Read a write-up in a child process with CPU, memory and wall-clock limits.

A write-up is untrusted input, and so is everything that reads it: a 55 kB PDF whose
content streams expand to millions of tiny operators kept pypdf at 100% CPU for minutes
(19 s a page), and the extraction's regular expressions and ``ast.parse`` of code blocks
run on whatever text came out. So the whole reading (the PDF's text layer, or the
decoding of a .md/.txt, then the extraction of answers and code) runs in a child forked
from the grader, which before touching the bytes:

- dies with the grader (``PR_SET_PDEATHSIG``), writes no files (``RLIMIT_FSIZE`` 0) and
  dumps no core;
- may use at most :attr:`WriteupLimits.cpu_seconds` of CPU (``RLIMIT_CPU``) and
  :attr:`WriteupLimits.memory_bytes` of address space beyond what the grader had mapped
  when it forked (``RLIMIT_AS``: the grader's own mappings, torch's included, are not
  the write-up's fault);
- opens no network socket, where the kernel has seccomp (the sandbox's filter, with no
  socket family allowed).

The grader waits at most :attr:`WriteupLimits.wall_seconds`, then kills it. The child
sends back plain JSON (never a pickle: nothing it sends can run code in the grader),
at most :attr:`WriteupLimits.max_result_bytes` of it, read with a cap, and the
:class:`~grader.writeup.extract.Extraction` is rebuilt from it.

Any limit hit is a :class:`~grader.writeup.source.WriteupError` naming the file and the
limit (``report.pdf: took longer than 20 s to read``), which the loader turns into
"could not read the write-up (...)" for the answers the write-up backs; code checks and
everything else are graded as usual.

The limits are the constants of :data:`DEFAULT_LIMITS` (also in the README's
write-up section); a caller can pass others (the tests do). The child costs about
30 ms a write-up (measured on the sample PDF and Markdown write-ups): it is forked,
so it already has the grader's imports (pypdf, the rubric's plan).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import os
import re
import resource
import select
import signal
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from grader.docio import format_size
from grader.writeup.extract import Extraction, Gap, Item, Module
from grader.writeup.formats import MAX_FIGURE_BYTES, MAX_FIGURES, Figure
from grader.writeup.source import Line, Text, WriteupError

__all__ = ["DEFAULT_LIMITS", "WriteupLimits", "extraction_from_json", "extraction_to_json", "run_limited"]


@dataclass(frozen=True)
class WriteupLimits:
    """What reading one write-up may cost."""

    cpu_seconds: float = 20.0  # CPU time of the child (RLIMIT_CPU)
    wall_seconds: float = 30.0  # elapsed time before the child is killed
    memory_bytes: int = 1 << 30  # address space the child may add to what it inherited (RLIMIT_AS)
    max_result_bytes: int = 32 << 20  # JSON the child may send back


DEFAULT_LIMITS = WriteupLimits()

_HEADER = struct.Struct(">Q")
_PR_SET_PDEATHSIG = 1


# --------------------------------------------------------------------------- running


def run_limited(work: Callable[[], Any], *, filename: str, limits: WriteupLimits = DEFAULT_LIMITS) -> Any:
    """``work()`` (which returns JSON-able data) run in a limited child; its result, decoded.

    Raises :class:`WriteupError` when the child hits a limit, sends too much or nothing
    usable, or when ``work`` raised a WriteupError (its message is kept).
    """
    prepared = _network_filter()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(work, write_fd, limits, prepared)
    os.close(write_fd)
    data: bytes | None = b""
    timed_out = True
    try:
        data, timed_out = _collect(read_fd, limits)
    finally:
        os.close(read_fd)
        status = _reap(pid, kill=timed_out or data is None)
    if timed_out:
        raise WriteupError(f"{filename}: took longer than {_secs(limits.wall_seconds)} to read")
    if data is None:
        raise WriteupError(f"{filename}: reading it produced more than {format_size(limits.max_result_bytes)} of text")
    if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
        raise WriteupError(f"{filename}: took longer than {_secs(limits.cpu_seconds)} to read")
    message = _decode(data)
    if message is None:
        how = (f"the reader was stopped by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"the reader exited with status {os.WEXITSTATUS(status)}")
        raise WriteupError(f"{filename}: cannot be read ({how})")
    kind = message.get("kind")
    if kind == "ok":
        return message.get("value")
    if kind == "memory":
        raise WriteupError(f"{filename}: needs more than {format_size(limits.memory_bytes)} of memory to read")
    if kind == "error":
        raise WriteupError(str(message.get("message", "")))
    raise WriteupError(f"{filename}: cannot be read ({str(message.get('message', kind))[:300]})")


def _secs(s: float) -> str:
    return f"{s:g} s"


def _reap(pid: int, *, kill: bool) -> int:
    """The child's wait status; killed first when it must stop, else given a moment to exit
    (it closed the pipe, so it is in ``os._exit``)."""
    if not kill:
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            time.sleep(0.001)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:  # pragma: no cover - a reaped child (cannot happen: we are its only waiter)
        pass
    return os.waitpid(pid, 0)[1]


def _collect(fd: int, limits: WriteupLimits) -> tuple[bytes | None, bool]:
    """(the bytes the child wrote, or None when over the cap; whether the wall limit passed)."""
    deadline = time.monotonic() + limits.wall_seconds
    cap = limits.max_result_bytes + _HEADER.size
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(chunks), True
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks), False
        size += len(chunk)
        if size > cap:
            return None, False
        chunks.append(chunk)


def _decode(data: bytes) -> dict[str, Any] | None:
    if len(data) < _HEADER.size:
        return None
    (length,) = _HEADER.unpack_from(data)
    body = data[_HEADER.size:]
    if length != len(body):
        return None
    try:
        message = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return message if isinstance(message, dict) else None


def _child(work: Callable[[], Any], fd: int, limits: WriteupLimits, prepared: tuple[Any, bytes] | None) -> None:
    """Limit this process, run ``work``, send its result; always ends in ``os._exit``."""
    code = 0
    try:
        _confine(limits, prepared)
        try:
            message: dict[str, Any] = {"kind": "ok", "value": work()}
        except WriteupError as err:
            message = {"kind": "error", "message": str(err)}
        except MemoryError:
            message = {"kind": "memory"}
        except RecursionError:
            message = {"kind": "failed", "message": "nested too deeply"}
        except Exception as err:  # noqa: BLE001 - whatever the reader raises is this write-up's problem
            message = {"kind": "failed", "message": f"{type(err).__name__}: {err}"}
        try:
            body = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
        except MemoryError:
            body = b'{"kind":"memory"}'
        os.write(fd, _HEADER.pack(len(body)))
        view = memoryview(body)
        while view:
            view = view[os.write(fd, view):]
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 70
    finally:
        os._exit(code)


def _confine(limits: WriteupLimits, prepared: tuple[Any, bytes] | None) -> None:
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    import faulthandler
    import gc

    # What the grader had allocated is never collected here: a cycle it left for its own
    # collector may hold finalizers (a temporary folder's removal) that must not run twice.
    gc.freeze()
    faulthandler.disable()  # a crash of the reader is reported by its exit status, not on the terminal
    devnull = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):  # nothing a reader prints reaches the grader's terminal
        os.dup2(devnull, target)
    os.close(devnull)
    cpu = max(1, math.ceil(limits.cpu_seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    with open("/proc/self/statm", "rb") as f:
        mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    memory = mapped + limits.memory_bytes
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        memory = min(memory, hard)
    resource.setrlimit(resource.RLIMIT_AS, (memory, hard))
    _no_network(prepared)


@functools.cache
def _network_filter() -> tuple[Any, Any] | None:
    """(the sandbox's syscalls and seccomp modules), imported once in the grader so a child
    does not pay the import; None where the architecture has no filter. The program itself
    is built in the child: it names the child's own pid (signals to itself stay allowed),
    and a child forked after a pid wrap-around has a smaller pid than the grader's."""
    try:
        from grader.sandbox._child import seccomp, syscalls

        seccomp.build_filter(own_pid=os.getpid(), allow_unix_sockets=False)  # builds here, or fails here
        return syscalls, seccomp
    except Exception:  # noqa: BLE001 - another architecture: the rlimits still hold
        return None


def _no_network(prepared: tuple[Any, Any] | None) -> None:
    """Install the filter (no socket of any family) on this child, where the kernel has seccomp."""
    if prepared is None:
        return
    syscalls, seccomp = prepared
    try:
        program = seccomp.build_filter(own_pid=os.getpid(), allow_unix_sockets=False)
        syscalls.set_no_new_privs()
        seccomp.install(program)
    except Exception:  # noqa: BLE001 - an older kernel: the rlimits still hold
        pass


# --------------------------------------------------------------------------- the extraction as JSON


def extraction_to_json(ex: Extraction) -> dict[str, Any]:
    """Plain data for :func:`extraction_from_json` (what the child sends)."""
    t = ex.text
    return {
        "text": {"filename": t.filename, "kind": t.kind, "pages": t.pages,
                 "lines": [[ln.number, ln.page, ln.page_line, ln.text] for ln in t.lines],
                 "figures": [[f.name, f.line, f.mime, base64.b64encode(f.data).decode("ascii")] for f in t.figures]},
        "items": [{"path": i.path, "value": _tag(i.value), "first": i.first, "last": i.last,
                   "confidence": i.confidence, "how": i.how} for i in ex.items],
        "gaps": [{"path": g.path, "qid": g.qid, "reason": g.reason, "line": g.line, "excerpt": g.excerpt}
                 for g in ex.gaps],
        "modules": [{"filename": m.filename, "source": m.source, "first": m.first, "last": m.last,
                     "defines": list(m.defines), "notes": list(m.notes)} for m in ex.modules],
        "notes": list(ex.notes),
        "figure_files": [list(f) for f in ex.figure_files],
    }


def extraction_from_json(data: dict[str, Any]) -> Extraction:
    """The :class:`Extraction` back from :func:`extraction_to_json`'s data; ValueError if malformed."""
    try:
        t = data["text"]
        text = Text(filename=str(t["filename"]), kind=str(t["kind"]), pages=int(t["pages"]),
                    lines=tuple(Line(number=int(n), page=int(p), page_line=int(k), text=str(s))
                                for n, p, k, s in t["lines"]),
                    figures=tuple(_figure(f) for f in t.get("figures", [])[:MAX_FIGURES]))
        items = tuple(Item(path=str(i["path"]), value=_untag(i["value"]), first=int(i["first"]), last=int(i["last"]),
                           confidence=float(i["confidence"]), how=str(i["how"])) for i in data["items"])
        gaps = tuple(Gap(path=str(g["path"]), qid=str(g["qid"]), reason=str(g["reason"]),
                         line=None if g["line"] is None else int(g["line"]), excerpt=str(g["excerpt"]))
                     for g in data["gaps"])
        modules = tuple(Module(filename=str(m["filename"]), source=str(m["source"]), first=int(m["first"]),
                               last=int(m["last"]), defines=tuple(map(str, m["defines"])),
                               notes=tuple(map(str, m["notes"]))) for m in data["modules"])
        notes = tuple(map(str, data["notes"]))
        figure_files = tuple((str(a), str(b)) for a, b in data.get("figure_files", []))
        if any(not re.fullmatch(r"[A-Za-z0-9_.-]{1,80}", a) for a, _ in figure_files):
            raise ValueError("a figure file name the reader does not make")
    except (KeyError, TypeError, ValueError, binascii.Error) as err:
        raise ValueError(f"malformed extraction ({type(err).__name__}: {err})") from None
    return Extraction(text=text, items=items, gaps=gaps, modules=modules, notes=notes, figure_files=figure_files)


def _figure(f: Any) -> Figure:
    name, line, mime, data = f
    blob = base64.b64decode(str(data), validate=True)
    if len(blob) > MAX_FIGURE_BYTES or str(mime) not in ("image/png", "image/jpeg") \
            or not re.fullmatch(r"figure\d{1,3}\.(?:png|jpg)", str(name)):
        raise ValueError(f"figure {str(name)[:40]!r} is not one the reader makes")
    return Figure(name=str(name), line=int(line), mime=str(mime), data=blob)


def _tag(value: Any) -> Any:
    """JSON has no tuples: mark them, so values come back exactly as extracted."""
    if isinstance(value, tuple):
        return {"__tuple__": [_tag(v) for v in value]}
    if isinstance(value, list):
        return [_tag(v) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[_tag(k), _tag(v)] for k, v in value.items()]}
    return value


def _untag(value: Any) -> Any:
    if isinstance(value, list):
        return [_untag(v) for v in value]
    if isinstance(value, dict):
        if "__tuple__" in value:
            return tuple(_untag(v) for v in value["__tuple__"])
        return {_untag(k): _untag(v) for k, v in value["__dict__"]}
    return value
