"""`figure`: a figure file is present and readable as an image (what it shows is left to a
TA). Files are matched by name prefix and extension; content is sniffed, not trusted."""

from __future__ import annotations

import struct
from typing import Literal

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome
from grader.results import Status, TextView


class Spec(CheckSpecBase):
    kind: Literal["figure"]
    prefix: str  # e.g. "lab1c"
    extensions: list[str] = ["png", "svg", "jpg", "jpeg", "pdf"]


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
        why = sniff(data, name.rsplit(".", 1)[-1].lower())
        if why is None:
            return outcome(Status.PASS, f"{name} is a readable image; what it shows is left for manual review",
                           views=[TextView(label="figure", text=name)])
        problems.append(f"{name}: {why}")
    return outcome(Status.FAIL, "; ".join(problems))
