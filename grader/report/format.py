"""How the HTML reports show numbers, statuses and links: shared by the feedback page, the
class report and the charts, so a score reads the same on each."""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import quote, urlsplit

from grader.results import Status, fmt_points


_STATUS_LABEL = {
    Status.PASS: "passed",
    Status.PARTIAL: "partly right",
    Status.FAIL: "wrong",
    Status.ERROR: "error",
    Status.MISSING: "not submitted",
    Status.MANUAL: "manual review",
}


_STATUS_ICON = {
    Status.PASS: "✓",
    Status.PARTIAL: "◐",
    Status.FAIL: "✗",
    Status.ERROR: "!",
    Status.MISSING: "∅",
    Status.MANUAL: "✎",
}


def fmt_number(v: Any) -> str:
    """Numbers as people write them: 6 significant digits, whole numbers without '.0',
    None (a non-finite value) as '—'."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return f"{v:.6g}"
    return str(v)


def _points(v: float) -> str:
    """Points on a page: to 2 decimals (read, not summed; the JSON keeps 4), else as
    `fmt_points` writes them."""
    return fmt_points(round(v, 2))


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100.0 * v:.0f}%"


def _status_info(status: Status) -> dict[str, str]:
    return {"key": status.value, "label": _STATUS_LABEL[status], "icon": _STATUS_ICON[status]}


def safe_href(href: str) -> str:
    """A link target that cannot run script: an http(s) URL, or else a file path relative
    to the page (percent-quoted, so a name like "javascript:..." stays a file name)."""
    if urlsplit(href).scheme.lower() in ("http", "https"):
        return quote(href, safe="/#?&=%.-_~+:@")
    path = quote(href, safe="/")
    return "./" + path.lstrip("/") if path.startswith("//") else path


def _anchor(*parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", p) for p in parts)


def _fraction(score: float, max_score: float) -> float:
    return min(max(score / max_score, 0.0), 1.0) if max_score > 0 else 0.0
