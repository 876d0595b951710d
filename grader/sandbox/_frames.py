"""Reading what a child sent back: every frame is untrusted bytes, validated and bounded
before it becomes plain fields; a child's death is put in words; the child's folders are
named as the child sees them, so no path of the grading machine reaches a result."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ._child import codec
from ._types import CallResult, Limits


_CHILD_STATUSES = frozenset({"ok", "error", "memory", "missing", "bad_output"})


def _text(value: object, limit: int) -> str:
    if type(value) is not str:
        raise codec.CodecError("a text field that is not a string")
    value = codec.clean_text(value)
    return value if len(value) <= limit else value[:limit] + "..."


def _lines(value: object, count: int, limit: int) -> tuple[str, ...]:
    if type(value) is not list:
        raise codec.CodecError("a list field that is not a list")
    lines = [_text(v, limit) for v in value[:count]]
    if len(value) > count:
        lines.append(f"... {len(value) - count} more")
    return tuple(lines)


def decode_frame(head: bytes, blob: bytes, *, kind: str, call_id: str | None) -> dict[str, Any]:
    """Validate one frame from the child (untrusted bytes) into plain fields; raises
    CodecError for anything that is not exactly what a well-behaved child sends. What it
    builds is bounded by the frame: the JSON part is at most `codec.MAX_TREE_BYTES`
    (checked before parsing), and the arrays take at most the blob's bytes."""
    if len(head) > codec.MAX_TREE_BYTES:
        raise codec.CodecError(
            f"a result whose structure takes {len(head):,} bytes, more than {codec.MAX_TREE_BYTES >> 20} MiB "
            "(numbers should come back as arrays)"
        )
    header = codec.loads_json(head)
    if type(header) is not dict:
        raise codec.CodecError("a result header that is not a JSON object")
    if header.get("kind") != kind or (call_id is not None and header.get("id") != call_id):
        raise codec.CodecError(f"a result for another phase (expected the {kind} of {call_id or 'the module'})")
    status = header.get("status")
    if status not in _CHILD_STATUSES or (kind == "import" and status == "bad_output"):
        raise codec.CodecError(f"an unknown status {status!r}")
    out: dict[str, Any] = {
        "status": status,
        "message": _text(header.get("message", ""), 2000),
        "traceback": _lines(header.get("traceback", []), 60, 300),
        "notes": _lines(header.get("notes", []), 40, 300),
        "limit": "memory_mb" if status == "memory" else None,
        "value": None,
    }
    arrays = codec.split_blob(blob, header.get("arrays", []))
    if status == "ok" and kind == "call":
        out["value"] = codec.decode(header.get("value"), arrays)
    elif arrays:
        raise codec.CodecError("array data with a result that has no value")
    return out


class _ChildView:
    """Rewrites what a child reported (messages, tracebacks, output) so that its folders
    are named as the child sees them under full isolation (/sandbox, /support, /tmp), in
    either mode. In basic mode they live under the grader's scratch folder
    (`<tmp>/grader-sandbox-XXXX/run-YYYY/c0/work`): a path of the grading machine, random
    on every run, which would make results differ from run to run and show a student
    where the grader keeps its files. What is left of the scratch folder is named as such."""

    def __init__(self, run_dir: Path, scratch: Path) -> None:
        run = re.escape(str(run_dir))
        self._rules = [
            (re.compile(run + r"/stage/support(?![\w.-])"), "/support"),
            (re.compile(run + r"/(?:stage|[\w-]+)/work(?![\w.-])"), "/sandbox"),
            (re.compile(run + r"/[\w-]+/tmp(?![\w.-])"), "/tmp"),
            (re.compile(re.escape(str(scratch)) + r"[^\s'\")\]]*"), "<sandbox scratch folder>"),
        ]

    def text(self, value: str) -> str:
        for pattern, name in self._rules:
            value = pattern.sub(name, value)
        return value

    def result(self, r: CallResult) -> CallResult:
        return replace(r, message=self.text(r.message), traceback=tuple(self.text(t) for t in r.traceback),
                       stdout_tail=self.text(r.stdout_tail), notes=tuple(self.text(n) for n in r.notes))


def _describe_death(reason: str, detail: str, *, file: str, phase: int, limits: Limits) -> tuple[str, str, str | None]:
    """(status, message, limit) for a child that the supervisor saw end or had to stop.
    Import-time messages name the student's file; call messages speak of "the code"."""
    importing = phase < 0
    during = "while importing" if importing else "during this call"
    subject = file if importing else "the code"
    if reason == "timeout":
        if importing:
            return "timeout", f"{file} did not finish importing within {limits.wall_s:g} s", "wall_s"
        return "timeout", f"did not finish within {limits.wall_s:g} s (wall-clock limit)", "wall_s"
    if reason == "cpu":
        return "timeout", f"{subject} used more than {limits.cpu_s:g} s of CPU time {during}", "cpu_s"
    if reason == "output":
        return "error", f"{subject} printed more than {int(detail):,} bytes {during}; stopped", "output_bytes"
    if reason == "too_big":
        return "bad_output", f"the result is larger than the limit of {limits.result_bytes:,} bytes", "result_bytes"
    if reason == "bad_frame":
        return "bad_output", f"{detail} {during}", None
    if reason == "signal":
        hint = " (out of memory, or the code killed itself)" if detail == "SIGKILL" else ""
        return "crashed", f"the process running {file} was killed by {detail}{hint} {during}", None
    if reason == "channel":
        return "crashed", f"{subject} closed the sandbox's result channel {during}", None
    if reason == "exit":
        return "crashed", f"{subject} ended the process (exit status {detail}, e.g. os._exit) {during}", None
    return "crashed", f"the sandbox stopped the process running {file} ({reason}) {during}", None
