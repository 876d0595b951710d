"""Writes the toy notebook pack's data and notebooks (run once; the outputs are committed).

The notebooks are written the way the course's students write them: imports of
matplotlib/scipy/pandas at the top, `%matplotlib inline`, top-level cells that leave
variables, `plt.show()`, data read from `dataset.mat` (once through a Colab drive path).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import scipy.io

HERE = Path(__file__).resolve().parent


def notebook(cells: list[tuple[str, str]], outputs: dict[int, list[dict]] | None = None) -> dict:
    nb_cells = []
    for i, (kind, source) in enumerate(cells):
        cell = {"cell_type": kind, "metadata": {}, "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = (outputs or {}).get(i + 1, [])
        nb_cells.append(cell)
    return {"cells": nb_cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
            "nbformat": 4, "nbformat_minor": 5}


IMPORTS = """import numpy as np
import matplotlib.pyplot as plt
import scipy.io as sio
import pandas as pd
from mpl_toolkits.mplot3d import Axes3D
%matplotlib inline"""

LOAD = """data = sio.loadmat('{path}')
X = data['X']
y = data['y'].ravel()
print(X.shape, y.shape)"""

CLOSED = """Xb = np.hstack([X, np.ones((X.shape[0], 1))])
W_star = np.linalg.inv(Xb.T @ Xb) @ Xb.T @ y
print('W* =', W_star)"""

LMS = """lr = 0.01
w = np.zeros(3)
mse_history = []
for epoch in range(20):
    for i in range(X.shape[0]):
        xi = np.append(X[i], 1.0)
        w = w + lr * (y[i] - w @ xi) * xi
    mse_history.append(float(np.mean((Xb @ w - y) ** 2)))
W_lms = w"""

PLOT = """plt.figure()
plt.plot(mse_history)
plt.title('LMS learning curve (MSE)')
plt.xlabel('epoch')
plt.ylabel('MSE')
plt.show()"""

SURFACE = """g = np.linspace(-2, 2, 30)
G1, G2 = np.meshgrid(g, g)
Z = W_star[0] * G1 + W_star[1] * G2 + W_star[2]
fig = plt.figure()
ax = fig.add_subplot(111, projection='3d')
ax.plot_surface(G1, G2, Z, alpha=0.5)
ax.scatter(X[:, 0], X[:, 1], y, s=4)
ax.set_title('fitted plane')
plt.show()"""

MODEL = """import torch
import torch.nn as nn

class SimpleNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(2, 8)
        self.fc2 = nn.Linear(8, 1)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))"""

TABLE = """df = pd.DataFrame({'epoch': np.arange(1, len(mse_history) + 1), 'mse': mse_history})
df.tail()"""


def main() -> None:
    rng = np.random.default_rng(661)
    X = rng.normal(size=(80, 2))
    y = X @ np.array([1.5, -2.0]) + 0.5 + 0.1 * rng.normal(size=80)
    scipy.io.savemat(HERE / "data/dataset.mat", {"X": X, "y": y.reshape(-1, 1)})
    # the hidden data set the rubric runs the notebook on again (written as dataset.mat in the child)
    Xh = rng.normal(size=(50, 2))
    yh = Xh @ np.array([-0.5, 3.0]) - 1.0 + 0.05 * rng.normal(size=50)
    (HERE / "nbtoy_ref/hidden.json").write_text(json.dumps({"dataset.mat": {"X": Xh.round(6).tolist(), "y": yh.round(6).reshape(-1, 1).tolist()}}))

    md = ("markdown", "# HW1 Lab 1: LMS\nFill in the cells below.")
    reference = notebook([md, ("code", IMPORTS.replace("%matplotlib inline\n", "").replace("\n%matplotlib inline", "")),
                          ("code", LOAD.format(path="dataset.mat")), ("code", CLOSED), ("code", LMS),
                          ("code", PLOT), ("code", SURFACE), ("code", MODEL)])
    (HERE / "nbtoy_ref/lab1.ipynb").write_text(json.dumps(reference, indent=1))

    # a saved plotly output (the 3-D plot one student submitted only as plotly HTML)
    g = np.linspace(-1, 1, 5)
    plotly = {"data": [{"type": "surface", "z": [[float(a * b) for a in g] for b in g]}],
              "layout": {"title": {"text": "plotly surface"}}}
    html = ('<div id="abc"></div><script type="text/javascript">require(["plotly"], function(Plotly) {'
            f'Plotly.newPlot("abc", {json.dumps(plotly["data"])}, {{}}, {{}})}});</script>')
    good = notebook([md, ("code", IMPORTS), ("code", "!pip install scipy"),
                     ("code", LOAD.format(path="/content/drive/MyDrive/ECE661/HW1/dataset.mat")),
                     ("code", CLOSED), ("code", LMS), ("code", PLOT), ("code", SURFACE), ("code", MODEL), ("code", TABLE),
                     ("code", "import plotly.graph_objects as go\nfig = go.Figure(go.Surface(z=Z))\nfig.show()")],
                    outputs={11: [{"output_type": "display_data", "metadata": {}, "data": {"text/html": html}}]})
    folder = HERE / "submissions/good"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lab1.ipynb").write_text(json.dumps(good, indent=1))

    # a typical mistake: a typo in the closed-form cell; the LMS cell needs Xb from it, the
    # plot cell needs only mse_history (not run either, then), the model cell is independent
    broken = notebook([md, ("code", IMPORTS), ("code", LOAD.format(path="dataset.mat")),
                       ("code", CLOSED.replace("W_star = np.linalg.inv(Xb.T @ Xb)", "W_star = np.linalg.inv(Xb.T @ Xb.T)")),
                       ("code", LMS), ("code", PLOT), ("code", SURFACE), ("code", MODEL),
                       ("code", "big = np.empty(1 << 28)  # 2 GB: within the process limit, past the limit of one cell"), ("code", "import plotly"),
                       ("code", "while True:\n    pass"), ("code", "after_the_loop = 1")])
    folder = HERE / "submissions/broken"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "lab1.ipynb").write_text(json.dumps(broken, indent=1))


if __name__ == "__main__":
    main()
