"""Grading `assignments/hw1/examples/example` once the grader process is up, beside the naive baseline.

    python benchmarks/example.py [--n 15] [--naive 3]

Printed, all from one run on this machine:

1. start-up costs, reported separately: interpreter start + `import torch` (a fresh
   `python -c "import torch"`), and `Grader.create` (rubric compile, reference probes,
   zygote start with its torch import) in this process;
2. grading `assignments/hw1/examples/example` (every check, every code-backed probe through the
   sandbox with every isolation layer the machine allows): median, p95 and min wall time
   of `Grader.grade_path` over `--n` runs, after one warm-up;
3. the naive baseline: one fresh `python` process per submission that imports torch and
   the grader and grades the example (`grade assignments/hw1/examples/example --quiet`), median over
   `--naive` runs; and the ratio of the two.

Targets (issue 4): grading the example at most 0.5 s wall once the grader is up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _fresh(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=15)
    ap.add_argument("--naive", type=int, default=3)
    args = ap.parse_args()
    sys.path.insert(0, str(REPO))
    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")

    t_torch = statistics.median(_fresh([sys.executable, "-c", "import torch"]) for _ in range(3))
    print(f"fresh interpreter + import torch:        {t_torch:7.3f} s (median of 3)")

    t0 = time.perf_counter()
    from grader.engine import Grader
    from grader.rubric import load_plan

    plan = load_plan(REPO / "assignments" / "hw1" / "rubric.yaml")
    t_plan = time.perf_counter() - t0
    t0 = time.perf_counter()
    grader = Grader.create(plan, device="cpu")
    t_create = time.perf_counter() - t0
    layers = grader.sandbox.layers if grader.sandbox else []
    print(f"import grader + compile rubric:          {t_plan:7.3f} s")
    print(f"Grader.create (reference, zygote start): {t_create:7.3f} s")
    print(f"isolation layers: {', '.join(layers)}")
    if grader.notes:
        print(f"note: {grader.notes[0]}")

    example = REPO / "assignments" / "hw1" / "examples" / "example"
    first = grader.grade_path(example)
    times = []
    for _ in range(args.n):
        t0 = time.perf_counter()
        r = grader.grade_path(example)
        times.append(time.perf_counter() - t0)
        assert r.to_json() == first.to_json(), "grading is not reproducible"
    grader.close()
    times.sort()
    med = statistics.median(times)
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    print(f"grade assignments/hw1/examples/example (warm):        median {med:.3f} s, p95 {p95:.3f} s, min {times[0]:.3f} s "
          f"over {args.n} runs; score {first.score:g}/{first.max_score:g}")

    grade = str(Path(sys.executable).with_name("grade"))
    naive = [_fresh([grade, str(example), "--quiet"]) for _ in range(args.naive)]
    t_naive = statistics.median(naive)
    print(f"naive: fresh `grade` process per submission: median {t_naive:.3f} s over {args.naive} runs")
    print(f"speed-up of the warm grader over the naive baseline: {t_naive / med:.1f}x")
    print(f"target: warm grading <= 0.5 s: {'met' if med <= 0.5 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
