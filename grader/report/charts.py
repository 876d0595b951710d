"""Chart geometry for the HTML reports: the coordinates the templates draw as inline SVG
(training curves, the class's score histogram). Pure arithmetic; nothing here is markup."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from grader.report.format import _points, fmt_number
from grader.results import CurvesView


HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str


@dataclass(frozen=True)
class Marker:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class Line:
    name: str
    style: int  # 0: the student's, 1: the reference's, 2+: others
    segments: list[str]  # SVG polyline point lists; a non-finite value breaks the line
    dots: list[Marker]
    breaks: list[Marker]  # where the value was not finite (or not positive on a log axis)


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    lines: list[Line]
    x_label: str
    y_label: str
    log_y: bool
    empty: bool
    rows: list[list[str]]  # epoch, then each series' value: the same data as a table
    series_names: list[str]


def _nice_step(span: float, target: int) -> float:
    raw = span / max(target, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= m * mag:
            return m * mag
    return 10.0 * mag


def line_chart(view: CurvesView, *, width: int = 640, height: int = 280) -> LineChart:
    """The geometry of a curves view: x is the 1-based step (epoch), y linear or log10.
    None values (non-finite) and, on a log axis, values <= 0 break the line and are
    marked at the top (non-finite) or bottom (<= 0) edge."""
    left, right, top, bottom = 70.0, width - 16.0, 14.0, height - 44.0
    n = max((len(s.values) for s in view.series), default=0)
    log = view.log_y

    def plottable(v: float | None) -> bool:
        return v is not None and math.isfinite(v) and (v > 0 or not log)

    vals = [float(v) for s in view.series for v in s.values if v is not None and plottable(v)]
    rows = [[str(i + 1)] + [fmt_number(s.values[i]) if i < len(s.values) else "" for s in view.series]
            for i in range(n)]
    names = [s.name for s in view.series]
    if not vals or n == 0:
        return LineChart(width, height, left, right, top, bottom, [], [], [], view.x_label, view.y_label, log,
                         True, rows, names)
    # axis coordinates: log10(v), or v / scale so that no arithmetic overflows near 1e308
    scale = 1.0 if log else (max(abs(min(vals)), abs(max(vals))) or 1.0)

    def tr(v: float) -> float:
        return math.log10(v) if log else v / scale

    lo, hi = tr(min(vals)), tr(max(vals))
    y_ticks: list[Tick] = []
    if log:
        lo_d, hi_d = math.floor(lo), math.ceil(hi)
        if hi_d == lo_d:
            hi_d += 1
        every = max(1, math.ceil((hi_d - lo_d) / 6))
        lo, hi = float(lo_d), float(hi_d)
        decades = list(range(lo_d, hi_d + 1, every))
        y_ticks = [Tick(d, f"1e{d}" if d not in (0, 1, 2, 3) else fmt_number(10.0 ** d)) for d in decades]
    else:
        if hi - lo < 1e-12:
            pad = abs(hi) * 0.1 or 1.0
            lo, hi = lo - pad, hi + pad
        step = _nice_step(hi - lo, 5)
        lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
        for k in range(round((hi - lo) / step) + 1):
            t = lo + k * step
            y_ticks.append(Tick(t, fmt_number(float(f"{t * scale:.6g}"))))

    def px(i: int) -> float:
        return (left + right) / 2 if n == 1 else left + (right - left) * i / (n - 1)

    def py(t: float) -> float:
        return bottom - (bottom - top) * (t - lo) / (hi - lo)

    y_ticks = [Tick(round(py(t.pos), 2), t.label) for t in y_ticks]
    x_every = max(1, math.ceil(n / 10))
    x_ticks = [Tick(round(px(i), 2), str(i + 1)) for i in range(0, n, x_every)]
    lines: list[Line] = []
    for k, s in enumerate(view.series):
        segments: list[str] = []
        current: list[str] = []
        dots: list[Marker] = []
        breaks: list[Marker] = []
        for i, v in enumerate(s.values):
            if v is not None and plottable(v):
                x, y = round(px(i), 2), round(py(tr(float(v))), 2)
                current.append(f"{x},{y}")
                dots.append(Marker(x, y, f"{s.name}, {view.x_label} {i + 1}: {fmt_number(v)}"))
            else:
                if current:
                    segments.append(" ".join(current))
                    current = []
                edge = top if v is None else bottom
                what = "not finite (nan or inf)" if v is None else f"{fmt_number(v)} (not shown on a log axis)"
                breaks.append(Marker(round(px(i), 2), edge, f"{s.name}, {view.x_label} {i + 1}: {what}"))
        if current:
            segments.append(" ".join(current))
        lines.append(Line(name=s.name, style=min(k, 5), segments=segments,
                          dots=dots if n <= 40 else [], breaks=breaks))
    return LineChart(width, height, left, right, top, bottom, x_ticks, y_ticks, lines, view.x_label,
                     view.y_label, log, False, rows, names)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    h: float
    count: int
    label: str
    title: str


@dataclass(frozen=True)
class Histogram:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bars: list[Bar]
    y_ticks: list[Tick]
    mean_x: float | None
    mean_label: str
    x_label: str
    end_label: str


def histogram(scores: Sequence[float], max_score: float, *, bins: int = HISTOGRAM_BINS,
              width: int = 640, height: int = 240) -> Histogram:
    """Counts of total scores in `bins` equal bins over [0, max_score] (the last bin
    includes max_score), and where the mean falls."""
    left, right, top, bottom = 44.0, width - 12.0, 30.0, height - 44.0
    top_score = max_score if max_score > 0 else max(scores, default=1.0) or 1.0
    counts = [0] * bins
    for s in scores:
        i = int(min(max(s, 0.0), top_score) / top_score * bins)
        counts[min(i, bins - 1)] += 1
    peak = max(counts, default=0) or 1
    step = max(1, math.ceil(peak / 5))
    y_top = math.ceil(peak * 1.12 / step) * step  # room above the tallest bar for its count
    slot = (right - left) / bins
    bars = []
    for i, c in enumerate(counts):
        a, b = top_score * i / bins, top_score * (i + 1) / bins
        h = (bottom - top) * c / y_top
        closing = "]" if i == bins - 1 else ")"
        bars.append(Bar(x=round(left + i * slot + 2, 2), y=round(bottom - h, 2), w=round(slot - 4, 2), h=round(h, 2),
                        count=c, label=f"{_points(a)}",
                        title=f"[{_points(a)}, {_points(b)}{closing}: {c} submission{'s' if c != 1 else ''}"))
    y_ticks = [Tick(round(bottom - (bottom - top) * v / y_top, 2), str(v)) for v in range(0, y_top + 1, step)]
    mean = statistics.fmean(scores) if scores else None
    mean_x = None if mean is None else round(left + (right - left) * min(max(mean, 0), top_score) / top_score, 2)
    return Histogram(width, height, left, right, top, bottom, bars, y_ticks, mean_x,
                     "" if mean is None else f"mean {_points(mean)}", f"total score (of {_points(top_score)})",
                     _points(top_score))
