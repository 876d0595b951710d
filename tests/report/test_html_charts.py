"""Chart geometry for the inline SVG: lines break at non-finite values, log axes span the
data, everything stays inside the plot area, histogram bins count every score once."""

from __future__ import annotations

import math
import statistics

from hypothesis import given, settings
from hypothesis import strategies as st

from grader.report.charts import histogram, line_chart
from grader.results import CurvesView, Series


def _curves(*series: list[float | None], log_y: bool = True) -> CurvesView:
    names = ["yours", "reference", "other"]
    return CurvesView(title="MSE", x_label="epoch", y_label="value", log_y=log_y,
                      series=[Series(name=names[i], values=v) for i, v in enumerate(series)])


def _points(segment: str) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in segment.split()]  # type: ignore[misc]


def test_a_non_finite_value_breaks_the_line_and_is_marked() -> None:
    chart = line_chart(_curves([1.0, 0.5, None, 0.25, 0.1], [1.0, 0.5, 0.3, 0.2, 0.1]))
    yours, ref = chart.lines
    assert len(yours.segments) == 2 and len(ref.segments) == 1
    assert [len(_points(s)) for s in yours.segments] == [2, 2]
    [mark] = yours.breaks
    assert mark.y == chart.top and "epoch 3: not finite" in mark.title
    # the break sits at epoch 3's x, between the points either side of it
    left, right = _points(yours.segments[0])[-1][0], _points(yours.segments[1])[0][0]
    assert left < mark.x < right
    # smaller values are drawn lower on a log axis (larger SVG y)
    ys = [y for _, y in _points(ref.segments[0])]
    assert ys == sorted(ys)


def test_log_axis_spans_many_decades_with_few_ticks() -> None:
    values = [10.0 ** k for k in range(-3, 301, 16)]
    chart = line_chart(_curves(values))
    assert 2 <= len(chart.y_ticks) <= 8
    assert chart.y_ticks[0].label == "1e-3" and chart.y_ticks[0].pos == chart.bottom
    for t in chart.y_ticks:
        assert chart.top - 1e-6 <= t.pos <= chart.bottom + 1e-6
    [seg] = chart.lines[0].segments
    ys = [y for _, y in _points(seg)]
    assert ys[0] == chart.bottom and ys[-1] == chart.top  # the data span the whole axis


def test_non_positive_values_on_a_log_axis_are_marked_at_the_bottom() -> None:
    chart = line_chart(_curves([1.0, 0.0, 0.5, -1.0]))
    line = chart.lines[0]
    assert len(line.breaks) == 2 and all(b.y == chart.bottom for b in line.breaks)
    assert "not shown on a log axis" in line.breaks[0].title


def test_linear_axis_for_a_constant_series() -> None:
    chart = line_chart(_curves([2.0, 2.0, 2.0], log_y=False))
    assert not chart.empty and len(chart.y_ticks) >= 2
    [seg] = chart.lines[0].segments
    [y] = {y for _, y in _points(seg)}
    assert chart.top < y < chart.bottom


def test_nothing_finite_gives_an_empty_chart_with_the_data_table() -> None:
    chart = line_chart(_curves([None, None], [None, 1.0e-400]))
    assert chart.empty and chart.rows == [["1", "—", "—"], ["2", "—", "0"]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.floats(allow_nan=False, allow_infinity=False)),
                        min_size=1, max_size=30), min_size=1, max_size=3),
       st.booleans())
def test_every_drawn_point_is_inside_the_plot(series: list[list[float | None]], log_y: bool) -> None:
    chart = line_chart(_curves(*series, log_y=log_y))
    for line in chart.lines:
        for seg in line.segments:
            for x, y in _points(seg):
                assert math.isfinite(x) and math.isfinite(y)
                assert chart.left - 1e-6 <= x <= chart.right + 1e-6
                assert chart.top - 1e-6 <= y <= chart.bottom + 1e-6
        drawn = sum(len(_points(s)) for s in line.segments)
        values = series[chart.lines.index(line)]
        assert drawn + len(line.breaks) == len(values)


def test_histogram_counts_every_score_once_and_the_maximum_in_the_last_bin() -> None:
    scores = [0.0, 9.99, 10.0, 55.0, 100.0, 100.0]
    h = histogram(scores, 100.0)
    assert [b.count for b in h.bars] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert h.bars[-1].title.startswith("[90, 100]") and h.bars[0].title.startswith("[0, 10)")
    tallest = max(h.bars, key=lambda b: b.count)
    assert tallest.y >= h.top  # room above the tallest bar
    assert h.mean_label == f"mean {round(statistics.fmean(scores), 2):g}"
    assert h.mean_x is not None and h.left < h.mean_x < (h.left + h.right) / 2
