"""`figure`: a figure file is present and readable as an image, and what it shows is
scored by a TA. Files are matched by name prefix and extension; content is sniffed, not
trusted.

A readable figure is ``manual``: its points wait in the review queue until a TA scores
it (``grade review``), like free text. What the TA sees: the file name, its type, size
and dimensions, its sha256 (``details``; the review digest covers it, so a resubmitted
figure suspends an earlier score), and for a PNG or JPEG of at most ``INLINE_MAX`` bytes
the image itself (``details.image``, a data URI the feedback page shows). A missing or
unreadable figure is scored here: 0 with the reason, no review needed."""

from __future__ import annotations

import base64
import hashlib
import struct
from typing import Any, Literal

from pydantic import Field

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome
from grader.results import Status, TextView

INLINE_MAX = 128 * 1024  # bytes of a figure shown inline on the feedback page (PNG/JPEG only)
_MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}


class Spec(CheckSpecBase):
    kind: Literal["figure"]
    prefix: str = Field(description="the figure file's name without extension, e.g. plot_loss")
    extensions: list[str] = Field(["png", "svg", "jpg", "jpeg", "pdf"], description="accepted file extensions")


def sniff(data: bytes, ext: str) -> str | None:
    """Why the bytes are not a readable image of that type, or None when they are."""
    if ext == "png":
        if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) < 33 or data[12:16] != b"IHDR":
            return "not a PNG file"
        w, h = struct.unpack(">II", data[16:24])
        return None if w > 0 and h > 0 else "a PNG of size 0"
    if ext in ("jpg", "jpeg"):
        return None if data.startswith(b"\xff\xd8\xff") and b"\xff\xd9" in data[-1024:] else "not a complete JPEG file"
    if ext == "pdf":
        return None if data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:] else "not a complete PDF file"
    if ext == "svg":
        head = data[:4096].decode("utf-8", errors="replace").lower()
        return None if "<svg" in head else "not an SVG file"
    return "unsupported type"


def _describe(name: str, data: bytes, ext: str) -> tuple[str, dict[str, Any]]:
    """The line a TA reads, and the details that identify the figure."""
    details: dict[str, Any] = {"file": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    kind = ext.upper() if ext != "jpeg" else "JPG"
    size = ""
    if ext == "png":
        w, h = struct.unpack(">II", data[16:24])
        details["width"], details["height"] = w, h
        size = f", {w}x{h}"
    text = f"{name} ({kind}{size}, {len(data)} bytes)"
    if ext in _MIME and len(data) <= INLINE_MAX:
        details["image"] = f"data:{_MIME[ext]};base64,{base64.b64encode(data).decode('ascii')}"
    else:
        text += f": open {name} in the submission to see it"
    return text, details


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    matches = sorted(
        f for f in ctx.files
        if "/" not in f and f.lower().startswith(spec.prefix.lower()) and f.rsplit(".", 1)[-1].lower() in spec.extensions
    )
    if not matches:
        return outcome(Status.MISSING, f"not submitted: no file named {spec.prefix}*.{{{','.join(spec.extensions)}}}")
    problems = []
    for name in matches:
        data = ctx.file_bytes(name) if ctx.file_bytes else b""
        ext = name.rsplit(".", 1)[-1].lower()
        why = sniff(data, ext)
        if why is None:
            text, details = _describe(name, data, ext)
            others = [m for m in matches if m != name]
            if others:
                details["others"] = others
                text += f"; also submitted: {', '.join(others)}"
            return outcome(Status.MANUAL, "left for manual review",
                           details=details, views=[TextView(label="figure", text=text)])
        problems.append(f"{name}: {why}")
    return outcome(Status.FAIL, "; ".join(problems))
