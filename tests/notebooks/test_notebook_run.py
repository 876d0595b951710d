"""Running a notebook cell by cell (grader/sandbox/_child/notebook.py), in this process:
failures by cell and line, cells that depend on a failure not run (and why), independent
cells still run, magics noted, Colab paths mapped, figures captured, limits per cell."""

from __future__ import annotations

import base64
import io
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.sandbox._child.notebook import (
    NameUnavailable,
    NotebookConfig,
    render_plotly,
    rewrite_aliases,
    run_notebook,
    use_capture_backend,
)

from nbfixtures import write_notebook


@pytest.fixture(autouse=True)
def _in_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    use_capture_backend()


def _run(path: Path, **config: Any) -> Any:
    return run_notebook(str(path), "lab1", NotebookConfig(**config), workdir=str(path.parent),
                        data_names=frozenset(p.name for p in path.parent.iterdir()), limits="cell_wall_s" in config)


def test_a_failing_cell_is_reported_by_cell_and_line_and_independent_cells_still_run(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "lab1.ipynb", [
        ("markdown", "# Lab 1"),
        "import numpy as np\n%matplotlib inline\nX = np.arange(6.0).reshape(3, 2)",
        "Xb = np.hstack([X, np.ones((3, 1))])\nW_star = np.linalg.inv(Xb.T @ X.T)\nafter = 1",
        "mse_history = [float(v) for v in range(3)]",
        "plane = W_star * 2",
        "twice = plane + 1",
        "def predict(x):\n    return x @ W_star",
        "ok_again = len(mse_history)",
    ])
    run = _run(nb)
    status = {r["cell"]: r["status"] for r in run.cells()}
    assert status == {2: "ok", 3: "error", 4: "ok", 5: "not_run", 6: "not_run", 7: "not_run", 8: "ok"}
    error = run.cells()[1]["message"]
    assert error.startswith("lab1.ipynb cell 3, line 2: ValueError"), error
    assert run.value("Xb").shape == (3, 3)  # ran before the failing line
    assert run.value("mse_history") == [0.0, 1.0, 2.0] and run.value("ok_again") == 3
    for name in ("W_star", "after", "plane", "twice", "predict"):
        with pytest.raises(NameUnavailable, match=rf"{name} was not defined: lab1.ipynb cell 3, line 2: ValueError"):
            run.value(name)
    with pytest.raises(NameUnavailable, match="nowhere is not defined anywhere in lab1.ipynb"):
        run.value("nowhere")
    assert "not run: it uses W_star, not defined because of lab1.ipynb cell 3, line 2" in run.cells()[3]["message"]
    assert any("skipped magic `%matplotlib inline`" in n for n in run.notes)


def test_a_cell_that_runs_too_long_is_stopped_and_the_next_cells_run(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "lab1.ipynb", ["x = 1", "while True:\n    pass", "y = x + 1"])
    run = _run(nb, cell_wall_s=0.3)
    assert [r["status"] for r in run.cells()] == ["ok", "timeout", "ok"]
    assert "stopped after 0.3 s (the time limit of one cell)" in run.cells()[1]["message"]
    assert run.value("y") == 2


def test_a_colab_drive_path_reads_the_working_folders_file(tmp_path: Path) -> None:
    np.savez(tmp_path / "data.npz", X=np.eye(2))
    nb = write_notebook(tmp_path / "lab1.ipynb", [
        "import numpy as np",
        "d = np.load('/content/drive/MyDrive/ECE661/HW1/data.npz')\nX = d['X']",
        "import os\nos.chdir('/content/drive/My Drive/HW1')\nhere = os.getcwd()",
    ])
    run = _run(nb)
    assert run.value("X").tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert run.value("here") == str(tmp_path)
    assert any("'/content/drive/MyDrive/ECE661/HW1/data.npz' was read as 'data.npz'" in n for n in run.notes)


def test_rewrite_aliases_leaves_other_strings_and_code_alone() -> None:
    src = "a = '/content/drive/MyDrive/x/dataset.mat'\nb = '/etc/passwd'\nc = \"/content/\" + 'f.csv'  # '/content/z.mat'\n"
    out, edits = rewrite_aliases(src, ["/content/drive/MyDrive", "/content"], frozenset({"dataset.mat"}))
    assert out == "a = 'dataset.mat'\nb = '/etc/passwd'\nc = './' + 'f.csv'  # '/content/z.mat'\n"
    assert [e[0] for e in edits] == [1, 3]


def test_figures_shown_and_left_open_are_captured_with_their_structure(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "lab1.ipynb", [
        "import matplotlib.pyplot as plt\nimport numpy as np",
        "plt.plot([1, 2, 3])\nplt.plot([3, 2, 1])\nplt.title('MSE')\nplt.show()\nplt.figure(figsize=(300, 300))\nplt.plot([0, 1])",
        "fig = plt.figure()\nax = fig.add_subplot(projection='3d')\ng = np.linspace(0, 1, 5)\nA, B = np.meshgrid(g, g)\nax.plot_surface(A, B, A * B)",
    ])
    run = _run(nb)
    figures = run.figures()
    assert [f["source"] for f in figures] == ["cell 2", "cell 2", "cell 3"]
    first, huge, surface = figures
    assert first["axes"][0]["lines"] == 2 and first["axes"][0]["title"] == "MSE"
    assert max(huge["width"], huge["height"]) <= 1600  # drawn at a dpi that bounds its pixels
    assert surface["axes"][0]["projection"] == "3d" and surface["axes"][0]["surfaces"] == 1
    for f in figures:
        assert f["png"].dtype == np.uint8 and bytes(f["png"][:8]) == b"\x89PNG\r\n\x1a\n"
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []  # captured figures are closed, as Jupyter's inline backend does


def test_saved_outputs_png_and_plotly_become_figures(tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig = plt.figure(figsize=(2, 2))
    plt.plot([1, 2])
    fig.savefig(buf, format="png")
    plt.close(fig)
    png = base64.b64encode(buf.getvalue()).decode()
    traces = [{"type": "surface", "z": [[1, 2], [3, 4]]}, {"type": "scatter3d", "x": [0, 1], "y": [0, 1], "z": [1, 2], "mode": "markers"}]
    html = f'<div id="p"></div><script>Plotly.newPlot("p", {json.dumps(traces)}, {{}})</script>'
    outputs = {
        1: [{"output_type": "display_data", "data": {"image/png": png}, "metadata": {}}],
        2: [{"output_type": "display_data", "data": {"text/html": [html]}, "metadata": {}}],
        3: [{"output_type": "display_data", "data": {"application/vnd.plotly.v1+json": {"data": [{"type": "sankey"}]}}, "metadata": {}}],
    }
    nb = write_notebook(tmp_path / "lab1.ipynb", ["x = 1", "y = 2", "z = 3"], outputs)
    saved = _run(nb).figures()
    assert [f["source"] for f in saved] == ["saved output of cell 1", "saved output of cell 2", "saved output of cell 3"]
    assert saved[0]["width"] == 200
    assert saved[1]["axes"][0]["projection"] == "3d" and saved[1]["axes"][0]["surfaces"] == 1
    assert saved[2]["png"] is None and "could not be rendered" in saved[2]["note"]


def test_plotly_traces_are_bounded() -> None:
    huge = {"data": [{"type": "scatter", "y": list(range(300_000))}]}
    png, *_, note = render_plotly(huge)
    assert png is None and "could not be rendered" in note
    nested = {"data": [{"type": "surface", "z": [[[[1]]]]}]}
    assert render_plotly(nested)[0] is None
    assert render_plotly({"data": "not a list"})[0] is None


def test_a_py_file_runs_as_one_cell(tmp_path: Path) -> None:
    (tmp_path / "lab1.py").write_text("W_star = [1, 2]\nraise RuntimeError('after')\n")
    run = _run(tmp_path / "lab1.py")
    assert run.value("W_star") == [1, 2]
    assert run.cells()[0]["message"].startswith("lab1.py:2: RuntimeError: after")


def test_values_become_plain_data(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "lab1.ipynb", [
        "import numpy as np, torch, pandas as pd\nt = torch.ones(2, requires_grad=True) * 2\ndf = pd.DataFrame({'a': [1, 2]})\n"
        "n = np.float32(1.5)\nclass M:\n    weight = [1, 2]\nm = M()\nf = open",
    ])
    run = _run(nb)
    assert run.value("t").tolist() == [2.0, 2.0]
    assert run.value("df").tolist() == [[1], [2]]
    assert run.value("n") == 1.5
    assert run.value("m", "weight") == [1, 2]
    with pytest.raises(TypeError, match="f is a builtin_function_or_method, which is not plain data"):
        run.value("f")
    with pytest.raises(ValueError):
        run.value("m", "__class__")
    assert os.getcwd() == str(tmp_path)


def test_jupyters_display_and_clear_output_work_without_ipython(tmp_path: Path) -> None:
    nb = write_notebook(tmp_path / "lab1.ipynb", [
        "import matplotlib.pyplot as plt\nfrom IPython.display import clear_output, HTML\nimport IPython",
        "for i in range(3):\n    clear_output(wait=True)\n    print(i)\nfig = plt.figure()\nplt.plot([1, 2])\ndisplay(fig)\nplt.close(fig)",
        "display(HTML('<b>done</b>'))\nok = IPython.get_ipython() is None",
    ])
    run = _run(nb)
    assert [r["status"] for r in run.cells()] == ["ok", "ok", "ok"], run.cells()
    assert [f["source"] for f in run.figures()] == ["cell 2"]
    assert run.value("ok") is True
    import sys

    assert "IPython.display" not in sys.modules or not hasattr(sys.modules["IPython.display"], "_Shown")
