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
4. **CPU time per child**: the zygote's own CPU time plus that of the supervisors and
   children it reaped, plus the grader process's, over the single-call runs: a figure
   that depends less on how busy a shared machine is than wall time does.
5. **naive baseline**: a fresh `python -c "import torch"` per call (median of
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


def zygote_cpu(box: Sandbox) -> float:
    """CPU seconds the zygote spent, itself and in the supervisors and children it
    reaped (a fork's page-table copy is charged to the forking process)."""
    with open(f"/proc/{box.zygote_pid}/stat", "rb") as fh:
        fields = fh.read().rsplit(b")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def naive_once() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch"], check=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=60, help="runs per isolation mode")
    parser.add_argument("--naive", type=int, default=5, help="fresh interpreters for the baseline")
    args = parser.parse_args()
    modes = ["full", "basic"] if os.geteuid() == 0 else ["basic"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "probes.py").write_text(PROBES)
        sub = root / "submission"
        sub.mkdir()
        (sub / "student.py").write_text(STUDENT)
        boxes, startup = {}, {}
        for mode in modes:
            start = time.perf_counter()
            boxes[mode] = Sandbox(probes_file=root / "probes.py", support_files={}, isolation=mode)  # type: ignore[arg-type]
            startup[mode] = time.perf_counter() - start
        try:
            for box in boxes.values():
                for _ in range(2):
                    timed(box, sub, [one()])
            # Rounds interleave the baseline with both modes, so that a shared machine's
            # changing load weighs on every figure alike.
            single: dict[str, list[float]] = {m: [] for m in modes}
            cpu: dict[str, float] = {m: 0.0 for m in modes}
            naive: list[float] = []
            rounds = max(args.naive, 1)
            for r in range(rounds):
                if r < args.naive:
                    naive.append(naive_once())
                for mode, box in boxes.items():
                    before, own = zygote_cpu(box), time.process_time()
                    single[mode] += [timed(box, sub, [one()]) for _ in range(args.n // rounds)]
                    time.sleep(1.0)  # let the zygote reap the last supervisors
                    cpu[mode] += zygote_cpu(box) - before + time.process_time() - own
            extra = {}
            for mode, box in boxes.items():
                many = [timed(box, sub, [one(n=i) for i in range(21)]) for _ in range(5)]
                crash = [one(n=0), one("leave", 1), one(n=2), one(n=3), one(n=4)]
                healthy = [one(n=i) for i in range(5)]
                with_crash = [timed(box, sub, crash) for _ in range(5)]
                without = [timed(box, sub, healthy) for _ in range(5)]
                extra[mode] = {
                    "per_call": (statistics.median(many) - statistics.median(single[mode])) / 20,
                    "crash": statistics.median(with_crash),
                    "no_crash": statistics.median(without),
                }
            layers = {mode: box.layers for mode, box in boxes.items()}
        finally:
            for box in boxes.values():
                box.close()
    baseline = statistics.median(naive)
    print(f"sandbox benchmark: {args.n} runs per mode, load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"naive baseline, fresh `python -c 'import torch'`: median {baseline * 1000:.0f} ms (n={len(naive)})")
    for mode in modes:
        times, f = single[mode], extra[mode]
        median = statistics.median(times)
        print(f"\n{mode} isolation: layers {', '.join(layers[mode])}")
        print(f"  zygote start-up (torch import + self-test): {startup[mode]:.2f} s")
        print(
            f"  fixed overhead per child: median {median * 1000:.1f} ms, p95 {percentile(times, 0.95) * 1000:.1f} ms, "
            f"min {min(times) * 1000:.1f} ms (n={len(times)})"
        )
        print(f"  naive baseline / median overhead: {baseline / median:.0f}x; / p95: {baseline / percentile(times, 0.95):.0f}x")
        print(f"  CPU time per child (zygote, supervisor, child, grader side): {cpu[mode] / len(times) * 1000:.1f} ms")
        print(f"  each extra call in the same child: {f['per_call'] * 1000:.2f} ms")
        print(
            f"  5 calls, the 2nd ends the process (restart-and-skip): {f['crash'] * 1000:.1f} ms "
            f"vs {f['no_crash'] * 1000:.1f} ms with no crash"
        )


if __name__ == "__main__":
    main()
