"""Benchmark of the sandbox's fixed cost per child, beside the naive baseline.

    python benchmarks/sandbox.py [--n 60] [--naive 5]

All figures come from one run on this machine:

1. **fixed overhead per child** for `isolation="full"` (every layer the machine allows)
   and `isolation="basic"`: the wall time of one `Sandbox.run` on a one-line student
   module with one trivial probe call, as the grader sees it: staging the submission,
   the request to the zygote, forking the supervisor and the child, namespaces, the
   mount view, rlimits, uid, seccomp, Landlock, importing the student's module, the
   call, and the teardown (the child's PID namespace dying, reaping) until the result
   is back. Median, p95 and min over `--n` runs (after two warm-up runs).
2. **per extra call in the same child**: one run of 21 trivial calls on one module,
   minus one single-call run, divided by 20.
3. **restart-and-skip**: 5 calls on one module whose 2nd call ends the process
   (`os._exit`): a fresh child runs calls 3-5. Compared with 5 calls that all succeed.
4. **naive baseline**: a fresh `python -c "import torch"` per call (median of
   `--naive` runs), which is what one interpreter per submission or per call would
   cost before doing any work.

The machine is shared (the load average is printed): compare figures from one run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.sandbox import ProbeCall, Sandbox  # noqa: E402

PROBES = '''
def call(ctx, *, module, func):
    return getattr(ctx.module(module), func)()
'''
STUDENT = '''
import os

def one():
    return 1

def leave():
    os._exit(0)
'''


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(box: Sandbox, sub: Path, calls: list[ProbeCall]) -> float:
    start = time.perf_counter()
    results = box.run(sub, calls)
    elapsed = time.perf_counter() - start
    bad = [r for r in results.values() if r.status not in ("ok", "crashed")]
    if bad:
        raise SystemExit(f"unexpected result: {bad[0]}")
    return elapsed


def one(module_func: str = "one", n: int = 0) -> ProbeCall:
    return ProbeCall(f"c{n}", "student", "call", {"module": "student", "func": module_func})


def measure(isolation: str, root: Path, sub: Path, n: int) -> dict[str, object]:
    start = time.perf_counter()
    box = Sandbox(probes_file=root / "probes.py", support_files={}, isolation=isolation)  # type: ignore[arg-type]
    startup = time.perf_counter() - start
    try:
        for _ in range(2):
            timed(box, sub, [one()])
        single = [timed(box, sub, [one()]) for _ in range(n)]
        many = [timed(box, sub, [one(n=i) for i in range(21)]) for _ in range(5)]
        crash = [one(n=0), one("leave", 1), one(n=2), one(n=3), one(n=4)]
        healthy = [one(n=i) for i in range(5)]
        with_crash = [timed(box, sub, crash) for _ in range(5)]
        without = [timed(box, sub, healthy) for _ in range(5)]
        return {
            "layers": box.layers,
            "startup": startup,
            "single": single,
            "per_call": (statistics.median(many) - statistics.median(single)) / 20,
            "crash": statistics.median(with_crash),
            "no_crash": statistics.median(without),
        }
    finally:
        box.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=60, help="runs per isolation mode")
    parser.add_argument("--naive", type=int, default=5, help="fresh interpreters for the baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "probes.py").write_text(PROBES)
        sub = root / "submission"
        sub.mkdir()
        (sub / "student.py").write_text(STUDENT)
        modes = ["full", "basic"] if os.geteuid() == 0 else ["basic"]
        figures = {mode: measure(mode, root, sub, args.n) for mode in modes}
        naive = []
        for _ in range(args.naive):
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import torch"], check=True)
            naive.append(time.perf_counter() - start)
    baseline = statistics.median(naive)
    print(f"sandbox benchmark: {args.n} runs per mode, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"naive baseline, fresh `python -c 'import torch'`: median {baseline * 1000:.0f} ms (n={args.naive})")
    for mode, f in figures.items():
        single = f["single"]  # type: ignore[assignment]
        median = statistics.median(single)
        print(f"\n{mode} isolation: layers {', '.join(f['layers'])}")  # type: ignore[arg-type]
        print(f"  zygote start-up (torch import + self-test): {f['startup']:.2f} s")
        print(
            f"  fixed overhead per child: median {median * 1000:.1f} ms, p95 {percentile(single, 0.95) * 1000:.1f} ms, "
            f"min {min(single) * 1000:.1f} ms"
        )
        print(f"  naive baseline / median overhead: {baseline / median:.0f}x")
        print(f"  each extra call in the same child: {f['per_call'] * 1000:.2f} ms")  # type: ignore[operator]
        print(
            f"  5 calls, the 2nd ends the process (restart-and-skip): {f['crash'] * 1000:.1f} ms "
            f"vs {f['no_crash'] * 1000:.1f} ms with no crash"
        )


if __name__ == "__main__":
    main()
