"""What the students' scientific environment costs the sandbox: the zygote's start time
and memory (PSS and RSS of the zygote process) with numpy+torch only (today's HW1) and
with a rubric's `environment` pre-importing matplotlib, scipy, pandas and scikit-learn,
plus the time of one request on a student module that imports the whole stack (a child
forked from a zygote that has it pays nothing for the imports).

    python benchmarks/zygote_env.py [--repeat 2]

Runs alternate (plain, scientific, plain, ...) so both see the same load; numbers from a
busy machine are only comparable with each other.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.rubric import Environment  # noqa: E402
from grader.sandbox import Limits, ProbeCall, Sandbox  # noqa: E402

PACKAGES = ["numpy", "torch", "matplotlib", "mpl_toolkits", "scipy", "pandas", "sklearn"]
STUDENT = """import numpy as np
import matplotlib.pyplot as plt
import scipy.io as sio
import pandas as pd
from sklearn.linear_model import LinearRegression
from mpl_toolkits.mplot3d import Axes3D
"""
PROBES = "def touch(ctx):\n    return sorted(n for n in vars(ctx.module('lab1')) if not n.startswith('_'))\n"


def _kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def measure(scientific: bool, folder: Path) -> dict[str, float]:
    env = Environment(packages=PACKAGES)
    kw = {"packages": PACKAGES, "preimport": env.modules_to_preimport()} if scientific else {}
    t0 = time.perf_counter()
    box = Sandbox(probes_file=folder / "probes.py", support_files={}, default_limits=Limits(wall_s=180, cpu_s=180),
                  **kw)  # type: ignore[arg-type]
    started = time.perf_counter() - t0
    try:
        pid = int(box._ready["pid"])
        pss, rss = _kb(pid, "Pss"), _kb(pid, "Rss")
        t1 = time.perf_counter()
        result = box.run(folder / "sub", [ProbeCall("c", "lab1", "touch")])["c"]
        request = time.perf_counter() - t1
        assert result.status == "ok", result
    finally:
        box.close()
    return {"start_s": started, "pss_mb": pss / 1024, "rss_mb": rss / 1024, "request_s": request}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=2)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-zygote-") as tmp:
        folder = Path(tmp)
        (folder / "probes.py").write_text(PROBES)
        (folder / "sub").mkdir()
        (folder / "sub" / "lab1.py").write_text(STUDENT)
        runs: dict[bool, list[dict[str, float]]] = {False: [], True: []}
        for _ in range(args.repeat):
            for scientific in (False, True):
                runs[scientific].append(measure(scientific, folder))
    print(f"{'':28}{'numpy+torch':>14}{'+ scientific':>14}")
    for key, label in (("start_s", "zygote start (s)"), ("pss_mb", "zygote PSS (MB)"), ("rss_mb", "zygote RSS (MB)"),
                       ("request_s", "request importing stack (s)")):
        a = statistics.median(r[key] for r in runs[False])
        b = statistics.median(r[key] for r in runs[True])
        print(f"{label:28}{a:14.2f}{b:14.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
