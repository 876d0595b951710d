"""Cold start of `grade assignments/hw1/examples/example` beside a bare `python -c 'import numpy, torch'`,
measured in the same run, alternating (issue 20: target at most 1.5x).

    python benchmarks/coldstart.py [--n 5]

Each sample is a fresh process (wall time, and the CPU time of the process and its
children). The grade runs use a private reference cache: the first run fills it (a miss,
shown on its own), the others read it, as every grade after the first does on a machine.
The machine's load average is printed: on a shared machine, compare the two columns of
the same run, not runs of different days.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5)
    args = ap.parse_args()
    cache = tempfile.mkdtemp(prefix="grader-cache-")
    out = Path(tempfile.mkdtemp(prefix="coldstart-")) / "result.json"
    env = {**os.environ, "GRADER_CACHE_DIR": cache, "PYTHONPATH": str(REPO)}
    bare = [sys.executable, "-c", "import numpy, torch"]
    grade = [sys.executable, "-m", "grader", "assignments/hw1/examples/example", "--json", str(out)]
    load0 = os.getloadavg()[0]
    miss = _run(grade, env)
    torch_s, grade_s = [], []
    for _ in range(args.n):
        torch_s.append(_run(bare, env))
        grade_s.append(_run(grade, env))
    load1 = os.getloadavg()[0]
    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; n = {args.n}; load average {load0:.1f} -> {load1:.1f}")
    if os.environ.get("PYTHONDONTWRITEBYTECODE") and not (REPO / "grader" / "__pycache__").is_dir():
        print("PYTHONDONTWRITEBYTECODE is set and grader/ has no __pycache__: each grade compiles the grader's "
              "modules from source (the torch import reads its installed bytecode)")
    print(f"{'':42}{'wall s (median)':>16}{'CPU s (median)':>16}")
    print(f"{'python -c import numpy, torch':42}{med(torch_s, 0):>16.2f}{med(torch_s, 1):>16.2f}")
    print(f"{'grade assignments/hw1/examples/example (cache hit)':42}{med(grade_s, 0):>16.2f}{med(grade_s, 1):>16.2f}")
    print(f"{'grade assignments/hw1/examples/example (first: miss)':42}{miss[0]:>16.2f}{miss[1]:>16.2f}")
    ratio = med(grade_s, 0) / med(torch_s, 0)
    print(f"cold grade / bare torch import (wall): {ratio:.2f}x  target <= 1.5x: {'met' if ratio <= 1.5 else 'MISSED'}")


if __name__ == "__main__":
    main()
