"""`figure`: a figure file is present and readable as an image, and what it shows is
scored by a TA. Files are matched by name prefix and extension; content is sniffed, not
trusted.

On a notebook (`code: "lab1.ipynb:<label>"`, `probe: notebook.figures`), the figures are
those the executed notebook drew or saved (grader/sandbox/_child/notebook.py): PNGs that
came from the student's process, so each is checked (size, pixel count) before Pillow
decodes it, and re-encoded before it is shown. What the rubric asks of its structure
(`axes`, `lines`, `surfaces`, `projection`, `cell`, `title_contains`) is scored here; a
figure that has it goes to the TA's review queue with the image beside it (`review: true`)
or passes (`review: false`).

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

from pydantic import Field, model_validator

from grader.checks.base import CheckContext, CheckOutcome, CheckSpecBase, outcome
from grader.results import Status, TextView

INLINE_MAX = 128 * 1024  # bytes of a figure shown inline on the feedback page (PNG/JPEG only)
_MIME = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}


MAX_PNG_BYTES = 4 << 20  # a captured figure's PNG as it came back (the child bounds it at 2 MB)
MAX_PIXELS = 4_000_000  # decoded pixels of one captured figure
MAX_SHOWN = 4  # figures shown beside one check
MAX_FIGURES = 100  # figures of one notebook looked at (the child keeps at most its rubric's max_figures)


class Spec(CheckSpecBase):
    kind: Literal["figure"]
    prefix: str | None = Field(None, description="a submitted figure file's name without extension, e.g. lab1c "
                               "(lab1c.png, lab1c_plot.pdf, ...); or `code` with probe notebook.figures")
    extensions: list[str] = Field(default_factory=lambda: ["png", "svg", "jpg", "jpeg", "pdf"], description="accepted file extensions")
    # on an executed notebook (code + probe notebook.figures): which figure, and what it must hold
    cell: int | None = Field(default=None, ge=1, description="only figures drawn (or saved) by this cell")
    title_contains: str | None = Field(default=None, description="only figures with an axes title containing this (case-insensitive)")
    axes: int | None = Field(default=None, ge=0, description="the figure has exactly this many axes")
    lines: int | None = Field(default=None, ge=0, description="some axes has at least this many lines")
    surfaces: int | None = Field(default=None, ge=0, description="some axes has at least this many 3-D surfaces")
    projection: str | None = Field(default=None, description="some axes has this projection (3d, polar, rectilinear)")
    review: bool = Field(default=True, description="a figure with the right structure goes to a TA (true) or passes (false)")

    @model_validator(mode="after")
    def _source(self) -> Spec:
        if (self.prefix is None) == (self.code is None):
            raise ValueError("a figure check names a submitted file (`prefix`) or an executed notebook (`code` with probe notebook.figures)")
        return self


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


def clean_png(data: Any) -> tuple[bytes | None, str]:
    """A PNG that came from a student's process, decoded under bounds and re-encoded
    (only pixels survive), or None and why it was refused."""
    import io

    import numpy as np

    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 1:
        return None, "not image bytes"
    raw = data.tobytes()
    if len(raw) > MAX_PNG_BYTES:
        return None, f"larger than {MAX_PNG_BYTES >> 20} MB"
    why = sniff(raw, "png")
    if why is not None:
        return None, why
    w, h = struct.unpack(">II", raw[16:24])
    if w * h > MAX_PIXELS:
        return None, f"{w}x{h} pixels is more than a figure needs"
    try:
        from PIL import Image

        with Image.open(io.BytesIO(raw), formats=["PNG"]) as img:
            if img.size != (w, h):
                return None, "the PNG's size fields disagree"
            img.load()
            rgb = img.convert("RGBA")
        scale = 1.0
        while True:  # shown inline: keep it within INLINE_MAX
            shown = rgb if scale == 1.0 else rgb.resize((max(1, int(w * scale)), max(1, int(h * scale))))
            out = io.BytesIO()
            shown.save(out, format="PNG", optimize=True)
            if out.tell() <= INLINE_MAX or scale < 0.2:
                return out.getvalue(), ""
            scale *= 0.7
    except Exception as exc:  # noqa: BLE001 - a malformed image is the student's, never the grader's crash
        return None, f"not a readable PNG ({type(exc).__name__})"


def _axes_of(fig: dict[str, Any]) -> list[Any]:
    axes = fig.get("axes")
    return axes if isinstance(axes, list) else []


def _summary(fig: dict[str, Any]) -> str:
    axes = _axes_of(fig)
    parts = []
    for ax in axes[:6]:
        if not isinstance(ax, dict):
            continue
        bits = [str(ax.get("projection", ""))[:20] or "axes"]
        for key in ("lines", "surfaces", "images", "collections"):
            n = ax.get(key)
            if isinstance(n, int) and n:
                bits.append(f"{n} {key if n != 1 else key[:-1]}")
        title = ax.get("title")
        if isinstance(title, str) and title:
            bits.append(f"title {title[:60]!r}")
        parts.append(" ".join(bits[:1]) + (": " + ", ".join(bits[1:]) if bits[1:] else ""))
    where = str(fig.get("source", "?"))[:60]
    return f"{where}: " + ("; ".join(parts) if parts else "no axes")


def _wrong(spec: Spec, fig: dict[str, Any]) -> str | None:
    """Why a figure does not have the structure the rubric asks for, or None."""
    axes = [a for a in _axes_of(fig) if isinstance(a, dict)]

    def count(ax: dict[str, Any], key: str) -> int:
        n = ax.get(key)
        return n if isinstance(n, int) and n >= 0 else 0

    if spec.axes is not None and len(axes) != spec.axes:
        return f"{len(axes)} axes, {spec.axes} asked for"
    if spec.projection is not None and not any(str(a.get("projection", "")).lower() == spec.projection.lower() for a in axes):
        return f"no {spec.projection} axes"
    if spec.lines is not None and not any(count(a, "lines") >= spec.lines for a in axes):
        return f"no axes with {spec.lines} line{'s' if spec.lines != 1 else ''}"
    if spec.surfaces is not None and not any(count(a, "surfaces") >= spec.surfaces for a in axes):
        return f"no axes with {spec.surfaces} 3-D surface{'s' if spec.surfaces != 1 else ''}"
    return None


def _grade_notebook(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    actual = ctx.actual
    if actual is None or actual.status != "ok":
        status = Status.MISSING if actual is not None and actual.status == "missing" else Status.ERROR
        return outcome(status, actual.message if actual is not None else "the notebook's figures were not read")
    value = actual.value
    # what came from the student's process is bounded before any image is decoded
    figures = [f for f in value[:MAX_FIGURES] if isinstance(f, dict)] if isinstance(value, list) else []
    if spec.cell is not None:
        figures = [f for f in figures if f.get("cell") == spec.cell]
    if spec.title_contains is not None:
        wanted = spec.title_contains.lower()
        figures = [f for f in figures if any(isinstance(a, dict) and wanted in str(a.get("title", "")).lower()
                                             for a in _axes_of(f))]
    where = f" by cell {spec.cell}" if spec.cell is not None else ""
    titled = f" titled {spec.title_contains!r}" if spec.title_contains is not None else ""
    if not figures:
        notes = [str(f.get("note"))[:200] for f in value if isinstance(f, dict) and f.get("note")] if isinstance(value, list) else []
        extra = f" ({'; '.join(notes[:3])})" if notes else ""
        return outcome(Status.MISSING, f"no figure{titled} was drawn{where} in {spec.code.split(':')[0] if spec.code else 'the notebook'}{extra}")
    shown: list[dict[str, Any]] = []
    refused: list[str] = []
    good = None
    for fig in figures:
        png, why = clean_png(fig.get("png"))
        caption = _summary(fig)
        if png is None:
            refused.append(f"{str(fig.get('source', '?'))[:60]}: {str(fig.get('note') or why)[:200]}")
            continue
        wrong = _wrong(spec, fig)
        entry = {"caption": caption + (f" ({wrong})" if wrong else ""),
                 "image": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                 "sha256": hashlib.sha256(png).hexdigest()}
        if wrong is None and good is None:
            good = entry
            shown.insert(0, entry)
        elif len(shown) < MAX_SHOWN:
            shown.append(entry)
    shown = shown[:MAX_SHOWN]
    details: dict[str, Any] = {"figures": shown}
    if refused:
        details["refused"] = refused[:10]
    if good is None:
        reasons = "; ".join(f["caption"] for f in shown) or "; ".join(refused[:3])
        return outcome(Status.FAIL, f"no figure{titled}{where} has what the question asks for: {reasons}", details=details)
    details.update(figures=[good], image=good["image"], sha256=good["sha256"])  # the one that counts
    text = f"figure from {good['caption']}"
    if not spec.review:
        return outcome(Status.PASS, text, details=details)
    return outcome(Status.MANUAL, "left for manual review", details=details, views=[TextView(label="figure", text=text)])


def grade(spec: Spec, ctx: CheckContext) -> CheckOutcome:
    if spec.code is not None:
        return _grade_notebook(spec, ctx)
    assert spec.prefix is not None
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
