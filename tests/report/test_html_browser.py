"""Both pages opened in a real headless Chromium: they render (a screenshot that is not
blank), raise no console errors, run only the class report's own script, and print.

Screenshots are kept in artifacts/screenshots/ (git-ignored; CI keeps them as artifacts).
Skipped, with the reason, where Chromium is not installed (setup.sh installs the Debian
package when it runs as root with apt available).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from grader.report.html import render_class_report, render_feedback
from grader.results import SubmissionResult

from report_helpers import REPO, Classroom

SHOTS = REPO / "artifacts" / "screenshots"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--force-device-scale-factor=1", "--enable-logging=stderr", "--v=0",
)
DESKTOP = (1280, 1800)
PHONE = (390, 1400)


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


CHROMIUM = _chromium()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(  # end-to-end: starts a browser
    CHROMIUM is None,
    reason="Chromium is not installed (Debian: `apt-get install chromium`; setup.sh installs it when run as root)",
)]


def browse(url: str, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """One headless Chromium run with a fresh profile; fails on console errors."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "HOME": profile})
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]
    assert not console, "console messages:\n" + "\n".join(console)
    return proc


def png_pixels(data: bytes) -> np.ndarray:
    """Decode an 8-bit RGB/RGBA/grey PNG (what Chromium writes) to an (h, w, channels) array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0, header
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    stride = width * bpp
    raw = zlib.decompress(b"".join(idat))
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1).astype(np.int64)
        if kind == 0:
            cur = line
        elif kind == 1:  # Sub: a running sum per channel
            cur = line.reshape(width, bpp).cumsum(axis=0).reshape(-1) % 256
        elif kind == 2:  # Up
            cur = (line + prev) % 256
        else:  # Average, Paeth: each byte depends on the one decoded before it
            vals, up, rec = line.tolist(), prev.tolist(), [0] * stride
            for x in range(stride):
                a = rec[x - bpp] if x >= bpp else 0
                b = up[x]
                if kind == 3:
                    rec[x] = (vals[x] + (a + b) // 2) & 255
                else:
                    c = up[x - bpp] if x >= bpp else 0
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    rec[x] = (vals[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            cur = np.array(rec, dtype=np.int64)
        out[y] = cur
        prev = cur
    return out.reshape(height, width, bpp)


def screenshot(page: Path, name: str, size: tuple[int, int]) -> np.ndarray:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"{name}.png"
    shot.unlink(missing_ok=True)
    browse(page.as_uri(), f"--screenshot={shot}", f"--window-size={size[0]},{size[1]}")
    pixels = png_pixels(shot.read_bytes())
    assert pixels.shape[:2] == (size[1], size[0])
    rgb = pixels[..., :3].reshape(-1, 3)
    assert float(rgb.std()) > 8.0, f"{shot} looks blank"
    assert len(np.unique(rgb[:: 7], axis=0)) > 40, f"{shot} has almost no colours"
    return pixels


def _write(tmp_path: Path, name: str, html: str) -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def test_feedback_pages_render(example_result: SubmissionResult, failing_result: SubmissionResult,
                               tmp_path: Path) -> None:
    example = _write(tmp_path, "example.html", render_feedback(example_result))
    failing = _write(tmp_path, "failing.html", render_feedback(failing_result))
    instructor = _write(tmp_path, "failing-instructor.html", render_feedback(failing_result, audience="instructor"))
    screenshot(example, "feedback-example", DESKTOP)
    screenshot(failing, "feedback-failing", DESKTOP)
    screenshot(failing, "feedback-failing-phone", PHONE)
    screenshot(instructor, "feedback-failing-instructor", DESKTOP)
    dom = browse(failing.as_uri(), "--dump-dom").stdout
    assert f"{failing_result.score:g}" in dom and "What each check found" in dom
    assert dom.count("<svg") >= 2  # the curves were parsed as SVG


def test_class_report_renders_and_its_script_runs(classroom: Classroom, failing_result: SubmissionResult,
                                                  tmp_path: Path) -> None:
    results = [*classroom.results, failing_result]
    links = {r.submission: f"{r.submission}.html" for r in results}
    report = _write(tmp_path, "report.html", render_class_report(results, failures=classroom.failures, links=links,
                                                                 timings=classroom.timings))
    screenshot(report, "class-report", DESKTOP)
    screenshot(report, "class-report-phone", PHONE)
    dom = browse(report.as_uri(), "--dump-dom").stdout
    # the sorting script ran (its hash is the only script the page's CSP allows)...
    assert re.search(r'<table class="data heat" data-sortable="on" id="students">', dom)
    assert dom.count("<button") >= 3
    # ...and nothing a student wrote became markup
    assert "<img src=\"x\"" not in dom and "alert(1)</script>" not in dom


def test_feedback_prints(failing_result: SubmissionResult, tmp_path: Path) -> None:
    page = _write(tmp_path, "failing.html", render_feedback(failing_result))
    pdf = tmp_path / "failing.pdf"
    browse(page.as_uri(), f"--print-to-pdf={pdf}", "--no-pdf-header-footer")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert pages >= 3, f"{pages} pages"
