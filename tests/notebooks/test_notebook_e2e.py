"""A notebook written the way the course's students write (imports of matplotlib/scipy/
pandas at the top, `%matplotlib inline`, `!pip install`, top-level cells that leave
variables, `plt.show()`, data read from `dataset.mat` through a Colab drive path, a plotly
output saved in the notebook) graded end to end in the sandbox with the toy notebook pack
(tests/notebooks/pack: its rubric names W_star, mse_history, SimpleNN and two figures);
its figures appear in the feedback page, checked in a real browser."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from grader.engine import Grader
from grader.report.html import render_feedback
from grader.results import Status, SubmissionResult
from grader.rubric import load_plan

PACK = Path(__file__).resolve().parent / "pack"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SubmissionResult]]:
    sys.path.insert(0, str(PACK))  # the pack's reference package, nbtoy_ref
    old_cache = os.environ.get("GRADER_CACHE_DIR")
    os.environ["GRADER_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    try:
        plan = load_plan(PACK / "nbtoy.yaml")
        with Grader.create(plan) as grader:
            yield {name: grader.grade_path(PACK / "submissions" / name) for name in ("good", "broken")}
    finally:
        sys.path.remove(str(PACK))
        if old_cache is None:
            os.environ.pop("GRADER_CACHE_DIR", None)
        else:
            os.environ["GRADER_CACHE_DIR"] = old_cache


def _checks(result: SubmissionResult) -> dict[str, object]:
    return {f"{q.id}/{c.id}": c for q in result.questions for c in q.checks}


def test_a_students_notebook_is_graded_by_the_names_it_leaves(graded: dict[str, SubmissionResult]) -> None:
    good = graded["good"]
    checks = _checks(good)
    status = {k: c.status for k, c in checks.items()}  # type: ignore[attr-defined]
    assert status == {
        "lab1.closed_form/course_data": Status.PASS, "lab1.closed_form/hidden_data": Status.PASS,
        "lab1.lms/mse_history": Status.PASS, "lab1.lms/curve_plot": Status.PASS,
        "lab1.lms/plane_plot": Status.MANUAL, "lab1.lms/plotly_plot": Status.PASS, "lab1.model/forward": Status.PASS,
    }
    assert good.score == 7 and good.max_score == 8
    notes = "\n".join(good.notes)
    assert "lab1.ipynb cell 2 line 6: skipped magic `%matplotlib inline`" in notes
    assert "lab1.ipynb cell 3 line 1: skipped shell escape `!pip install scipy`" in notes
    assert "'/content/drive/MyDrive/ECE661/HW1/dataset.mat' was read as 'dataset.mat'" in notes
    assert "lab1.ipynb cell 11, line 1: ModuleNotFoundError: the course environment has no `plotly`; ask your instructor" in notes
    # the 3-D plane: drawn with matplotlib in cell 8, and the plotly surface re-drawn from the saved output
    plane = checks["lab1.lms/plane_plot"]
    assert [f["caption"] for f in plane.details["figures"]] == ["cell 8: 3d: 1 surface, 1 collection, title 'fitted plane'"]  # type: ignore[attr-defined]
    plotly = checks["lab1.lms/plotly_plot"]
    assert plotly.details["figures"][0]["caption"].startswith("saved output of cell 11: 3d: 1 surface")  # type: ignore[attr-defined]


def test_a_failing_cell_costs_only_what_depends_on_it(graded: dict[str, SubmissionResult]) -> None:
    broken = graded["broken"]
    checks = _checks(broken)
    w_star = checks["lab1.closed_form/course_data"]
    assert w_star.status == Status.ERROR  # type: ignore[attr-defined]
    assert w_star.message.startswith("NameError: W_star was not defined: lab1.ipynb cell 4, line 2: ValueError")  # type: ignore[attr-defined]
    assert checks["lab1.lms/mse_history"].status == Status.PASS  # type: ignore[attr-defined]
    assert checks["lab1.lms/curve_plot"].status == Status.PASS  # type: ignore[attr-defined]
    assert checks["lab1.lms/plane_plot"].status == Status.FAIL  # type: ignore[attr-defined]  # its cell needed W_star
    assert checks["lab1.model/forward"].status == Status.PASS  # type: ignore[attr-defined]
    notes = "\n".join(broken.notes)
    assert "lab1.ipynb cell 7 not run: it uses W_star, not defined because of lab1.ipynb cell 4, line 2" in notes
    assert "lab1.ipynb cell 11: stopped after 5 s (the time limit of one cell)" in notes
    assert "lab1.ipynb cell 9, line 1: MemoryError" in notes and "(the memory limit of one cell)" in notes
    assert "the course environment has no `plotly`" in notes


def test_matplotlib_in_the_sandbox_without_a_declared_environment(tmp_path: Path) -> None:
    """A rubric without `environment` (HW1): a student module that plots and calls
    plt.show() runs headless as before; a notebook module captures its figures."""
    from grader.sandbox import Limits, ProbeCall, Sandbox

    (tmp_path / "probes.py").write_text(
        "def run(ctx):\n    return ctx.module('lab1').done\n\n"
        "def figs(ctx):\n    return [f['source'] for f in ctx.notebook('lab2').figures()]\n\n"
        "def drawn(ctx):\n    ctx.module('lab1').curve([3, 1, 2])\n    return [(f['source'], f['axes'][0]['lines']) for f in ctx.figures()]\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "lab1.py").write_text("import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()\ndone = plt.get_backend()\n"
                                 "plt.close('all')\n\ndef curve(v):\n    plt.figure()\n    plt.plot(v)\n    plt.plot(v[::-1])\n")
    from nbfixtures import write_notebook

    write_notebook(sub / "lab2.ipynb", ["import matplotlib.pyplot as plt\n%matplotlib inline", "plt.plot([1, 2])\nplt.show()"])
    limits = Limits(wall_s=120, cpu_s=120)
    with Sandbox(probes_file=tmp_path / "probes.py", support_files={}, default_limits=limits) as box:
        out = box.run(sub, [ProbeCall("a", "lab1", "run"), ProbeCall("c", "lab1", "drawn")])
    plain, drawn = out["a"], out["c"]
    assert plain.status == "ok" and plain.value.lower() == "agg", plain
    assert drawn.status == "ok" and drawn.value == [["figure 1", 2]], drawn  # a function's figure, captured
    with Sandbox(probes_file=tmp_path / "probes.py", support_files={}, default_limits=limits, notebooks={"lab2": {}}) as box:
        shown = box.run(sub, [ProbeCall("b", "lab2", "figs")])["b"]
    assert shown.status == "ok" and shown.value == ["cell 2"], shown


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (setup.sh installs it when run as root)")
def test_the_figures_appear_in_the_feedback_page(graded: dict[str, SubmissionResult], tmp_path: Path) -> None:
    from PIL import Image

    page = tmp_path / "notebook-feedback.html"
    html = render_feedback(graded["good"])
    assert html.count('<img src="data:image/png;base64,') >= 3
    page.write_text(html, encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / "feedback-notebook-figures.png"
    shot.unlink(missing_ok=True)
    chromium = _chromium()
    assert chromium is not None
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        proc = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               "--force-device-scale-factor=1", "--enable-logging=stderr", "--v=0",
                               f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1280,5000",
                               page.as_uri()], capture_output=True, text=True, timeout=180, env={**os.environ, "HOME": profile})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not [ln for ln in proc.stderr.splitlines() if ":CONSOLE" in ln or "Uncaught" in ln]
    with Image.open(io.BytesIO(shot.read_bytes())) as img:
        pixels = np.asarray(img.convert("RGB"), dtype=np.int16)
    # matplotlib's first colour (#1f77b4), the learning curve's line: only a rendered figure has it
    blue = np.abs(pixels - np.array([31, 119, 180])).sum(axis=2) < 30
    assert blue.sum() > 200, "no figure is visible in the page"
