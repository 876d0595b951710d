"""Writes the example submissions' PDF reports and Lab 1 code files:

- examples/example/report.pdf from tools/report_example.md, as a student's PDF export
  shows it (headings without marks, tables tab-separated), with the repository's minimal
  PDF writer (tests/writeup/writeup_helpers.py: Courier text that pypdf reads back);
- the typical wrong submissions (examples/wrong-*): the same report and lab1.py with the
  mistakes of VARIANTS (their SimpleNN.ipynb comes from make_notebooks.py).

Run from the repository root: `python assignments/ece661-f23-hw1/tools/make_report.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

PACK = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PACK.parent.parent / "tests" / "writeup"))

from writeup_helpers import make_pdf, markdown_as_printed, paginate

# folder -> {"report": [(old, new), ...], "lab1": [(old, new), ...]}
VARIANTS: dict[str, dict[str, list[tuple[str, str]]]] = {
    "wrong-pool-stride": {
        "report": [
            # read Figure 1's hidden text layer (w0 = -2): AND
            ("s = [1, 3, 5, 7]", "s = [-5, -3, -1, 1]"),
            ("The logic function is constant true (the output is always +1).", "The logic function is AND."),
            # the 1/2 of the loss dropped: L = 29 and every gradient doubled
            ("L = 14.5", "L = 29"),
            ("dW1 = [[0, 13, 26], [0, -1, -2]]", "dW1 = [[0, 26, 52], [0, -2, -4]]"),
            ("db1 = [13, -1]", "db1 = [26, -2]"),
            ("dW2 = [[-4, -4], [-10, -10]]", "dW2 = [[-8, -8], [-20, -20]]"),
            ("db2 = [-2, -5]", "db2 = [-4, -10]"),
            # MSE with a 1/2 factor
            ("$MSE = 1.008 \\times 10^{-4}$", "$MSE = 5.04 \\times 10^{-5}$"),
            # max-pool without stride 2 (PyTorch's stride defaults to the kernel)
            ("| conv2 | (1, 16, 15, 15) | (1, 16, 17, 17) | (16, 16, 3, 3) | 2304 | 665856 |",
             "| conv2 | (1, 16, 8, 8) | (1, 16, 10, 10) | (16, 16, 3, 3) | 2304 | 230400 |"),
            ("| conv3 | (1, 16, 8, 8) | (1, 32, 6, 6) | (32, 16, 7, 7) | 25088 | 903168 |",
             "| conv3 | (1, 16, 3, 3) | (1, 32, 1, 1) | (32, 16, 7, 7) | 25088 | 25088 |"),
            ("| fc1 | (1, 288) | (1, 32) | (32, 288) | 9216 | 9216 |", "| fc1 | (1, 32) | (1, 32) | (32, 32) | 1024 | 1024 |"),
        ],
        # right code under names of the student's own (found by value)
        "lab1": [("W_star", "w_opt"), ("W_lms", "weights")],
    },
    "wrong-macs-zero": {
        "report": [
            # weights that put a row on the boundary: s = 0, and Sign(0) is undefined
            ("$w_0 = 1, w_1 = -1, w_2 = -1$", "$w_0 = 0, w_1 = -1, w_2 = -1$"),
            ("Question 1.4\nFalse.", "Question 1.4\nTrue."),
            # MACs without the output size
            ("| 1200 | 1228800 |", "| 1200 | 1200 |"),
            ("| 2304 | 665856 |", "| 2304 | 2304 |"),
            ("| 25088 | 903168 |", "| 25088 | 25088 |"),
        ],
        # the code file under another name, and the 3-D plot drawn with plotly, which the
        # course environment does not have
        "lab1_name": [("lab1.py", "HW1_LMS.py")],
        "lab1": [("from mpl_toolkits.mplot3d import Axes3D", "from mpl_toolkits.mplot3d import Axes3D\nimport plotly.graph_objects as go")],
    },
}


def _apply(text: str, edits: list[tuple[str, str]], what: str) -> str:
    for old, new in edits:
        if not text.count(old) or (text.count(old) > 1 and not old.isidentifier()):
            raise SystemExit(f"{what}: {old!r} occurs {text.count(old)} times")
        text = text.replace(old, new)  # an identifier (a variable to rename) everywhere
    return text


def _pdf(md: str) -> bytes:
    return make_pdf(paginate(markdown_as_printed(md), per_page=60))


def main() -> None:
    md = (PACK / "tools" / "report_example.md").read_text(encoding="utf-8")
    example = PACK / "examples" / "example"
    (example / "report.pdf").write_bytes(_pdf(md))
    lab1 = (example / "lab1.py").read_text(encoding="utf-8")
    for folder, edits in VARIANTS.items():
        target = PACK / "examples" / folder
        target.mkdir(parents=True, exist_ok=True)
        (target / "report.pdf").write_bytes(_pdf(_apply(md, edits["report"], f"{folder} report")))
        name = dict(edits.get("lab1_name", [])).get("lab1.py", "lab1.py")
        (target / name).write_text(_apply(lab1, edits["lab1"], f"{folder} lab1.py"), encoding="utf-8")


if __name__ == "__main__":
    main()
