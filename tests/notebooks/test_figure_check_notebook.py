"""The `figure` check on an executed notebook's figures: PNGs from the student's process are
bounded and re-encoded before use; structure asked by the rubric is scored; the rest goes
to a TA with the image beside it."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import numpy as np
import pytest

from grader.checks.base import CheckContext, ProbeOutput, Tolerance
from grader.checks.figure import Spec, clean_png, grade
from grader.results import Status


def _png(width: int = 40, height: int = 30) -> np.ndarray:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buf, format="PNG")
    return np.frombuffer(buf.getvalue(), dtype=np.uint8).copy()


def _figure(source: str, axes: list[dict[str, Any]], png: Any = None) -> dict[str, Any]:
    return {"source": source, "cell": int(source.split()[-1]), "png": _png() if png is None else png,
            "width": 40, "height": 30, "axes": axes, "note": ""}


def _ax(projection: str = "rectilinear", lines: int = 0, surfaces: int = 0, title: str = "") -> dict[str, Any]:
    return {"projection": projection, "lines": lines, "surfaces": surfaces, "images": 0, "collections": 0,
            "title": title, "xlabel": "", "ylabel": ""}


def _ctx(value: Any, status: str = "ok", message: str = "") -> CheckContext:
    return CheckContext(answer=None, answer_line=None, answers_file=None, answers_error=None, expected=None,
                        actual=ProbeOutput(status=status, value=value, message=message), tolerance=Tolerance(0, 0))


def _spec(**kw: Any) -> Spec:
    return Spec(id="plot", kind="figure", points=1, code="lab1.ipynb:plot", probe="notebook.figures", **kw)


def test_the_figure_with_the_asked_structure_is_picked_and_reviewed_with_its_image() -> None:
    figs = [_figure("cell 4", [_ax(lines=2, title="MSE")]), _figure("cell 6", [_ax("3d", surfaces=1, title="plane")])]
    res = grade(_spec(projection="3d", surfaces=1), _ctx(figs))
    assert res.status == Status.MANUAL
    assert res.details["image"].startswith("data:image/png;base64,")
    assert [f["caption"].split(":")[0] for f in res.details["figures"]] == ["cell 6"]  # only the one that counts
    passed = grade(_spec(title_contains="mse", lines=2, axes=1, review=False), _ctx(figs))
    assert passed.status == Status.PASS and passed.fraction == 1.0


def test_a_figure_without_the_structure_fails_with_what_it_has() -> None:
    res = grade(_spec(projection="3d"), _ctx([_figure("cell 4", [_ax(lines=1)])]))
    assert res.status == Status.FAIL and "cell 4: rectilinear: 1 line (no 3d axes)" in res.message
    assert res.details["figures"]  # shown beside the check even so


def test_no_figure_and_failed_runs_are_reported() -> None:
    assert grade(_spec(), _ctx([])).status == Status.MISSING
    assert grade(_spec(cell=9), _ctx([_figure("cell 4", [_ax()])])).message.startswith("no figure was drawn by cell 9")
    err = grade(_spec(), _ctx(None, status="error", message="lab1.ipynb cell 2, line 1: SyntaxError"))
    assert err.status == Status.ERROR and "cell 2" in err.message


@pytest.mark.parametrize("data, why", [
    (np.frombuffer(b"GIF89a" + b"\0" * 40, dtype=np.uint8), "not a PNG"),
    (np.zeros(10, dtype=np.float64), "not image bytes"),
    (np.frombuffer(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + struct.pack(">II", 100_000, 100_000) + b"\x08\x02\0\0\0" + b"\0" * 20, dtype=np.uint8),
     "more than a figure needs"),
    (np.frombuffer(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + struct.pack(">II", 10, 10) + b"\x08\x02\0\0\0" + zlib.compress(b"x"), dtype=np.uint8),
     "not a readable PNG"),
])
def test_hostile_pngs_are_refused_before_or_while_decoding(data: np.ndarray, why: str) -> None:
    png, reason = clean_png(data)
    assert png is None and why in reason
    res = grade(_spec(), _ctx([{"source": "cell 3", "cell": 3, "png": data, "axes": [_ax()], "note": ""}]))
    assert res.status == Status.FAIL and "image" not in res.details


def test_a_large_figure_is_shrunk_to_show_inline() -> None:
    rng = np.random.default_rng(0)
    from PIL import Image

    noisy = Image.fromarray(rng.integers(0, 255, size=(700, 700, 3), dtype=np.uint8))
    buf = io.BytesIO()
    noisy.save(buf, format="PNG")
    png, why = clean_png(np.frombuffer(buf.getvalue(), dtype=np.uint8))
    assert png is not None and why == "" and len(png) <= 128 * 1024


def test_spec_needs_a_file_prefix_or_a_notebook() -> None:
    with pytest.raises(ValueError, match="names a submitted file"):
        Spec(id="f", kind="figure", points=1)
    Spec(id="f", kind="figure", points=1, prefix="lab1c")  # the file form is unchanged


def test_a_figure_survives_the_bounds_of_a_results_details() -> None:
    """A figure's data URI (up to 128 KiB of PNG) used to be cut at 4000 characters like any
    string of details, so no figure larger than 3 KB ever reached the feedback page."""
    from grader.results import MAX_DETAIL_TEXT, CheckResult

    image = "data:image/png;base64," + "A" * 100_000
    check = CheckResult(id="f", status=Status.MANUAL, score=0, max_score=1, message="m",
                        details={"image": image, "figures": [{"image": image, "caption": "c"}], "other": "x" * 5000})
    assert check.details["image"] == image and check.details["figures"][0]["image"] == image
    assert len(check.details["other"]) <= MAX_DETAIL_TEXT + 40  # other strings keep their bound
    too_big = "data:image/png;base64," + "A" * 400_000
    cut = CheckResult(id="f", status=Status.MANUAL, score=0, max_score=1, message="m", details={"image": too_big})
    assert len(cut.details["image"]) < 200_000
