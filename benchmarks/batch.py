"""Benchmark of class mode (`grade FOLDER --out DIR`), beside a naive baseline.

    python benchmarks/batch.py [--n 300] [--jobs N] [--timeout-share 0.02] [--naive-sample 10] [--keep DIR]

It writes N student-like HW1 submissions built from ``assignments/hw1/examples/example`` (folders,
.zip and .tar.gz), as a realistic mix: correct ones; typical mistakes (a wrong sign in
the LMS update or in Problem 2 weights, transposed gradients in Problem 3, no bias column
in Lab 1, cross-entropy with sum instead of mean reduction in Lab 3, wrong Lab 2 table
cells, wrong convolution cells); and a few that are incomplete, have a broken answers
file, crash (an exception at import, ``os._exit`` inside a function) or are a corrupt
archive. Then:

1. **batch run**: ``python -m grader FOLDER --out DIR --jobs N --quiet`` (the real
   sandbox, every isolation layer the machine allows), measuring
   - wall time of the whole command (interpreter start, rubric, reference outputs,
     sandbox start included) and submissions/s over it;
   - per-submission wall time (open, hash, sandbox run, checks, rendering: the
     ``wall_s`` the batch stores in the gradebook), p50 and p95;
   - peak memory of the whole process tree: every 50 ms the tree under the ``grade``
     process is walked through ``/proc/*/stat`` (parent pids) and each process's RSS
     (``/proc/PID/statm``) and PSS (``/proc/PID/smaps_rollup``) are summed; the peaks
     of both sums are reported. The RSS sum counts pages shared by the zygote and its
     forked children once per process, so it overstates; PSS divides shared pages among
     their sharers and is the better estimate of what the tree really uses. A child that
     lives less than 50 ms can be missed by the sampler.
2. **naive baseline**: for a sample of ``--naive-sample`` submissions (the same mix; half
   measured just before the batch run, half just after, so both see similar load),
   one fresh ``python`` process per submission that imports numpy and torch, loads the
   probes and runs every probe of the rubric on the student's code, with no sandbox,
   no checks and no reference: a lower bound on the cost of a per-submission
   interpreter. Its throughput is extrapolated from the sample (stated as such).
3. **with timeouts**: the same class with ``--timeout-share`` of the submissions
   replaced by ones whose ``lms`` never returns, graded into a fresh results folder.
   Class mode's first try stops them (2 s of HW1's 10 s) and records them as
   provisional; then the same command runs again (the **retry**), which grades only
   those, with the rubric's full limits, and its time is printed on its own.

The three are printed side by side.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "assignments" / "hw1" / "examples" / "example"

Format = Literal["dir", "zip", "tar.gz"]

# --------------------------------------------------------------------------- submissions

TYPICAL: tuple[str, ...] = (
    "sign_error",
    "transpose",
    "no_bias",
    "ce_sum",
    "table_cells",
    "conv_wrong",
    "nor_sign",
)
OTHER: tuple[str, ...] = ("missing_parts", "broken_answers", "crash_import", "crash_exit", "corrupt", "no_id")
KINDS: tuple[str, ...] = ("correct", *TYPICAL, *OTHER, "timeout", "slow")
SLOW_S = 1.0  # "slow": correct, but lab1.py sleeps this long when imported (for tests that need time)


def _replace(text: str, old: str, new: str, *, what: str) -> str:
    if old not in text:
        raise RuntimeError(f"benchmark generator: {what}: {old!r} is no longer in the example submission")
    return text.replace(old, new)


def submission_files(kind: str, *, student_id: str | None, salt: int) -> dict[str, bytes]:
    """The files of one submission of the given kind (see KINDS)."""
    if kind not in KINDS or kind == "corrupt":
        raise ValueError(f"no files for kind {kind!r}")
    files = {p.name: p.read_bytes() for p in sorted(EXAMPLE.iterdir()) if p.is_file()}
    text = {n: b.decode("utf-8") for n, b in files.items() if n.endswith((".py", ".yaml"))}
    ans = text["answers.yaml"]
    if student_id is None:
        ans = _replace(ans, 'student: {id: "example", name: "Example Student"}\n', "", what="no_id")
    else:
        ans = _replace(ans, 'student: {id: "example", name: "Example Student"}',
                       f'student: {{id: "{student_id}", name: "Student {student_id}"}}', what="student")
    # every student words the free-text answers a little differently
    ans = _replace(ans, "reason: Deeper networks can overfit", f"reason: (take {salt}) Deeper networks can overfit",
                   what="salt")
    if kind == "sign_error":
        text["lab1.py"] = _replace(text["lab1.py"], "w = w + lr * (yi - w @ xi) * xi", "w = w - lr * (yi - w @ xi) * xi",
                                   what=kind)
    elif kind == "transpose":
        text["problem3.py"] = _replace(text["problem3.py"], '"W1": torch.outer(delta, x1)', '"W1": torch.outer(x1, delta)',
                                       what=kind)
        text["problem3.py"] = _replace(text["problem3.py"], '"W2": torch.outer(e, x2)', '"W2": torch.outer(x2, e)', what=kind)
    elif kind == "no_bias":
        text["lab1.py"] = _replace(text["lab1.py"], "return np.hstack([X, np.ones((X.shape[0], 1))])", "return X", what=kind)
        text["lab1.py"] = _replace(text["lab1.py"], "w = np.zeros(3)", "w = np.zeros(A.shape[1])", what=kind)
    elif kind == "ce_sum":
        text["lab3.py"] = _replace(text["lab3.py"], "F.cross_entropy(model(images), labels)",
                                   'F.cross_entropy(model(images), labels, reduction="sum")', what=kind)
    elif kind == "table_cells":
        ans = _replace(ans, "params: 450, macs: 352800", "params: 456, macs: 117600", what=kind)
        ans = _replace(ans, "weight_shape: [120, 400]", "weight_shape: [400, 120]", what=kind)
    elif kind == "conv_wrong":
        ans = _replace(ans, "- [1.75, 1.5, 1, 1, 1, 1, 1, 1.5, 1.75]", "- [1.5, 1.5, 1, 1, 1, 1, 1, 1.5, 1.5]", what=kind)
    elif kind == "nor_sign":
        ans = _replace(ans, "w: [-1, -1, -1]", "w: [1, 1, 1]", what=kind)
    elif kind == "missing_parts":
        for n in ("lab2.py", "lab3.py", "lab1c_planes.png"):
            files.pop(n)
            text.pop(n, None)
        ans = ans[: ans.index("lab2:")]
    elif kind == "broken_answers":
        ans = _replace(ans, "q2_3:\n    w: [0, 1, 1, 1]", "q2_3:\n    w: [0, 1, 1, 1\n", what=kind)
    elif kind == "crash_import":
        text["lab1.py"] += '\nraise RuntimeError("left-over debugging code")\n'
    elif kind == "crash_exit":
        text["lab3.py"] = _replace(text["lab3.py"], "    model.zero_grad(set_to_none=True)\n",
                                   "    import os\n    os._exit(3)\n", what=kind)
    elif kind == "slow":
        text["lab1.py"] = f"import time\ntime.sleep({SLOW_S})\n" + text["lab1.py"]
    elif kind == "timeout":
        text["lab1.py"] = _replace(text["lab1.py"], "    A = _augment(X)\n    w = np.zeros(3)\n",
                                   "    while True:\n        pass\n", what=kind)
    text["answers.yaml"] = ans
    for n, t in text.items():
        files[n] = t.encode("utf-8")
    return files


def make_submission(root: Path, name: str, kind: str, *, student_id: str | None, fmt: Format, salt: int = 0,
                    top_folder: bool = False) -> Path:
    """Write one submission under ``root``: a folder ``name/``, or ``name.zip`` / ``name.tar.gz``."""
    root.mkdir(parents=True, exist_ok=True)
    if kind == "corrupt":
        path = root / f"{name}.zip"
        rng = random.Random(salt)
        path.write_bytes(b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(600)))
        return path
    files = submission_files(kind, student_id=student_id, salt=salt)
    prefix = f"{name}/" if top_folder else ""
    if fmt == "dir":
        d = root / name
        d.mkdir()
        for n, b in files.items():
            (d / n).write_bytes(b)
        return d
    if fmt == "zip":
        path = root / f"{name}.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for n, b in files.items():
                zf.writestr(prefix + n, b)
        return path
    path = root / f"{name}.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for n, b in files.items():
            info = tarfile.TarInfo(prefix + n)
            info.size = len(b)
            info.mtime = 1_700_000_000
            tf.addfile(info, io.BytesIO(b))
    return path


@dataclass(frozen=True)
class Made:
    name: str
    kind: str
    path: Path
    student_id: str | None


def make_class(root: Path, n: int, *, timeout_share: float = 0.0, seed: int = 0) -> list[Made]:
    """N submissions: about 30% correct, 60% typical mistakes, the rest incomplete, broken,
    crashing or corrupt; ``timeout_share`` of them (rounded) replaced by ones that hang."""
    rng = random.Random(seed)
    kinds: list[str] = []
    for i in range(n):
        x = rng.random()
        if x < 0.30:
            kinds.append("correct")
        elif x < 0.90:
            kinds.append(TYPICAL[i % len(TYPICAL)])
        else:
            kinds.append(OTHER[i % len(OTHER)])
    n_timeout = round(n * timeout_share)
    for i in rng.sample(range(n), n_timeout) if n_timeout else []:
        kinds[i] = "timeout"
    made = []
    for i, kind in enumerate(kinds):
        name = f"student{i:04d}"
        sid = None if kind == "no_id" else f"s{i:04d}"
        fmt: Format = ("dir", "zip", "tar.gz")[i % 3]
        made.append(Made(name, kind, make_submission(root, name, kind, student_id=sid, fmt=fmt, salt=i,
                                                     top_folder=i % 2 == 0), sid))
    return made


# --------------------------------------------------------------------------- measuring


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _tree(root: int) -> list[int]:
    kids = _children_map()
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, []))
    return out


def _rss_pss(pid: int) -> tuple[int, int]:
    page = os.sysconf("SC_PAGE_SIZE")
    try:
        with open(f"/proc/{pid}/statm") as f:
            rss = int(f.read().split()[1]) * page
    except (OSError, ValueError, IndexError):
        return 0, 0
    pss = rss
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                    break
    except OSError:
        pass
    return rss, pss


class TreeSampler:
    """Peak summed RSS and PSS of a process and all its descendants, sampled every 50 ms."""

    def __init__(self, pid: int, *, interval_s: float = 0.05) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak_rss = self.peak_pss = 0
        self.peak_procs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TreeSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = _tree(self.pid)
            rss = pss = 0
            for p in pids:
                r, s = _rss_pss(p)
                rss += r
                pss += s
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_procs = max(self.peak_procs, len(pids))
            self._stop.wait(self.interval_s)


@dataclass(frozen=True)
class RunStats:
    label: str
    n: int
    wall_s: float
    per_sub: list[float]
    peak_rss: int
    peak_pss: int
    peak_procs: int
    rc: int
    kinds: dict[str, int]
    failed: int
    provisional: int  # graded on the first try with a call stopped early (graded again by the next run)
    cpu_s: float  # user + system seconds of the whole process tree
    load: tuple[float, float]  # 1-minute load average before and after

    @property
    def cpu_per_sub(self) -> float:
        return self.cpu_s / self.n

    @property
    def rate(self) -> float:
        return self.n / self.wall_s

    def pct(self, q: float) -> float:
        xs = sorted(self.per_sub)
        return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))] if xs else float("nan")


def run_batch(folder: Path, out: Path, *, jobs: int | None, label: str, kinds: dict[str, int]) -> RunStats:
    cmd = [sys.executable, "-m", "grader", str(folder), "--out", str(out), "--quiet", *RUBRIC_ARGS]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    load0 = os.getloadavg()[0]
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with TreeSampler(proc.pid) as sampler:
        stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    cpu = _children_cpu() - cpu0
    if proc.returncode != 0:
        print(stdout, stderr, file=sys.stderr)
    con = sqlite3.connect(f"file:{out / 'gradebook.sqlite'}?mode=ro", uri=True)
    per = [r[0] for r in con.execute("SELECT r.wall_s FROM current c JOIN results r ON r.id = c.result_id")]
    failed = con.execute("SELECT count(*) FROM current c JOIN results r ON r.id = c.result_id "
                         "WHERE r.outcome = 'failed'").fetchone()[0]
    provisional = con.execute("SELECT count(*) FROM current c JOIN results r ON r.id = c.result_id "
                              "WHERE r.failure LIKE 'provisional: %'").fetchone()[0]
    con.close()
    return RunStats(label=label, n=len(per), wall_s=wall, per_sub=per, peak_rss=sampler.peak_rss,
                    peak_pss=sampler.peak_pss, peak_procs=sampler.peak_procs, rc=proc.returncode, kinds=kinds,
                    failed=failed, provisional=provisional, cpu_s=cpu, load=(load0, os.getloadavg()[0]))


def _children_cpu() -> float:
    """CPU seconds of every waited-for descendant so far (the grade process, its zygote and
    the zygote's children, each reaped by its parent, add up here)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


# --------------------------------------------------------------------------- naive baseline

_NAIVE_CHILD = r'''
import importlib.util, json, os, shutil, sys, tempfile, pathlib, traceback
import numpy, torch
probes_file, support, sub_dir, calls = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
work = tempfile.mkdtemp()
for n in os.listdir(sub_dir):
    p = os.path.join(sub_dir, n)
    if os.path.isfile(p):
        shutil.copy(p, work)
for name, src in support.items():
    shutil.copy(src, os.path.join(work, name))
os.chdir(work)
sys.path.insert(0, work)
spec = importlib.util.spec_from_file_location("probes", probes_file)
probes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(probes)
class Ctx:
    device = "cpu"
    def __init__(self):
        self.mods = {}
    def module(self, name):
        if name not in self.mods:
            s = importlib.util.spec_from_file_location(name, os.path.join(work, name + ".py"))
            m = importlib.util.module_from_spec(s)
            sys.modules[name] = m
            s.loader.exec_module(m)
            self.mods[name] = m
        return self.mods[name]
    def data_path(self, name):
        return pathlib.Path(work) / name
ok = 0
for module, probe, args in calls:
    try:
        getattr(probes, probe)(Ctx(), **args)
        ok += 1
    except BaseException:
        pass
print(json.dumps({"ok": ok, "calls": len(calls)}))
shutil.rmtree(work, ignore_errors=True)
'''


def naive_baseline(sample: list[Made], *, timeout_s: float) -> tuple[list[float], float]:
    """Seconds per submission for one fresh interpreter each (folders are extracted first,
    outside the timing, like the batch's archive opening is inside it: a small bias
    in the baseline's favour)."""
    sys.path.insert(0, str(REPO))
    from grader.rubric import load_plan
    from grader.submission import open_submission

    plan = load_plan(REPO / "assignments" / "hw1" / "rubric.yaml")
    calls = json.dumps([[k.module, k.probe, k.args] for k in plan.probe_keys])
    support = json.dumps({n: str(p) for n, p in plan.support_files.items()})
    times: list[float] = []
    if not sample:
        return times, 0.0
    cpu0 = _children_cpu()
    for m in sample:
        with open_submission(m.path) as sub:
            t0 = time.perf_counter()
            try:
                subprocess.run([sys.executable, "-c", _NAIVE_CHILD, str(plan.probes_file), support, str(sub.root), calls],
                               capture_output=True, timeout=timeout_s, cwd=tempfile.gettempdir())
            except subprocess.TimeoutExpired:
                pass
            times.append(time.perf_counter() - t0)
    return times, (_children_cpu() - cpu0) / len(sample)


# --------------------------------------------------------------------------- main


def bookkeeping_costs(results: Path, n: int = 100) -> tuple[float, float, float]:
    """What the grader process spends per submission on its records, measured here on the
    run's own results (median of `n`): encoding a result as JSON (``to_json``), parsing it
    back (``from_json``, what a feedback page is rendered from) and one gradebook write
    (``Gradebook.record``: one SQLite transaction) into a scratch gradebook. Seconds."""
    sys.path.insert(0, str(REPO))
    from grader.classmode.gradebook import Gradebook
    from grader.results import SubmissionResult

    raws = [p.read_text(encoding="utf-8") for p in sorted(results.glob("*.json"))[:n]]
    results_ = [SubmissionResult.from_json(r) for r in raws]

    def timed(f: object) -> float:
        times = []
        for i, r in enumerate(results_):
            t0 = time.perf_counter()
            f(i, r)  # type: ignore[operator]
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    enc = timed(lambda i, r: r.to_json())
    dec = timed(lambda i, r: SubmissionResult.from_json(raws[i]))
    with tempfile.TemporaryDirectory() as scratch:
        gb = Gradebook.open(Path(scratch), create=True, exclusive=True)
        try:
            rec = timed(lambda i, r: gb.record(assignment="bench", student=f"s{i}", submission=f"sub{i}",
                                               content_hash="h", rubric_hash="r", grading_key="k", source="x",
                                               wall_s=0.1, result_json=raws[i], score=r.score, max_score=r.max_score))
        finally:
            gb.close()
    return enc, dec, rec


def count(made: list[Made]) -> dict[str, int]:
    """How many submissions of each kind."""
    return {k: sum(m.kind == k for m in made) for k in KINDS if any(m.kind == k for m in made)}


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MB"


# `--environment`: the same HW1 rubric declaring the students' scientific stack, so that the
# zygote pre-imports matplotlib, scipy, pandas and scikit-learn (the cost a notebook course pays)
RUBRIC_ARGS: list[str] = []
SCIENTIFIC = "\nenvironment:\n  packages: [numpy, torch, matplotlib, mpl_toolkits, scipy, pandas, sklearn]\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--environment", action="store_true", help="grade with the HW1 rubric plus a declared scientific "
                   "environment (matplotlib, scipy, pandas, scikit-learn pre-imported in the zygote)")
    p.add_argument("--n", type=int, default=300)
    p.add_argument("--jobs", type=int, default=None, help="--jobs for the batch (default: its own default)")
    p.add_argument("--timeout-share", type=float, default=0.02)
    p.add_argument("--naive-sample", type=int, default=10)
    p.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = p.parse_args(argv)
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    base.mkdir(parents=True, exist_ok=True)
    if args.environment:
        pack = base / "hw1-environment"  # a copy of the HW1 pack (its rubric's paths are relative to it)
        shutil.copytree(REPO / "assignments" / "hw1", pack, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("examples", "tests", "__pycache__"))
        rubric = pack / "rubric.yaml"
        rubric.write_text((REPO / "assignments" / "hw1" / "rubric.yaml").read_text() + SCIENTIFIC)
        RUBRIC_ARGS[:] = ["--rubric", str(rubric)]
    try:
        made = make_class(base / "class", args.n)
        made_t = make_class(base / "class_timeouts", args.n, timeout_share=args.timeout_share)
        print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; N = {args.n}", flush=True)
        print("mix:", ", ".join(f"{k} {v}" for k, v in count(made).items()), flush=True)
        rng = random.Random(1)
        pool = [m for m in made if m.kind in ("correct", *TYPICAL)]
        sample = rng.sample(pool, min(args.naive_sample, len(pool)))
        # half the baseline sample just before the batch run and half just after, so that both
        # see about the same load from whatever else runs on the machine
        half = len(sample) // 2
        naive_a, cpu_a = naive_baseline(sample[:half], timeout_s=120)
        main_run = run_batch(base / "class", base / "results", jobs=args.jobs, label="batch", kinds=count(made))
        naive_b, cpu_b = naive_baseline(sample[half:], timeout_s=120)
        books = bookkeeping_costs(base / "results")
        naive = naive_a + naive_b
        naive_cpu = (cpu_a * len(naive_a) + cpu_b * len(naive_b)) / len(naive)
        t_run = run_batch(base / "class_timeouts", base / "results_timeouts", jobs=args.jobs,
                          label=f"batch, {args.timeout_share:.0%} timeouts", kinds=count(made_t))
        # the same command again: it grades only the provisional results, with the full limits
        retry = run_batch(base / "class_timeouts", base / "results_timeouts", jobs=args.jobs,
                          label="retry", kinds=count(made_t))
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    cores = len(os.sched_getaffinity(0))
    naive_mean = statistics.fmean(naive)
    naive_p95 = sorted(naive)[min(len(naive) - 1, round(0.95 * (len(naive) - 1)))]
    rows = [
        ("", "batch", f"batch + {t_run.kinds.get('timeout', 0)} timeouts", f"naive ({len(naive)} measured, extrapolated)"),
        ("submissions", str(main_run.n), str(t_run.n), str(args.n)),
        ("wall time (s)", f"{main_run.wall_s:.1f}", f"{t_run.wall_s:.1f}", f"{naive_mean * args.n:.1f} (est.)"),
        ("submissions/s", f"{main_run.rate:.2f}", f"{t_run.rate:.2f}", f"{1 / naive_mean:.2f}"),
        ("p50 per submission (s)", f"{main_run.pct(0.5):.3f}", f"{t_run.pct(0.5):.3f}", f"{statistics.median(naive):.3f}"),
        ("p95 per submission (s)", f"{main_run.pct(0.95):.3f}", f"{t_run.pct(0.95):.3f}", f"{naive_p95:.3f}"),
        ("CPU s per submission (tree)", f"{main_run.cpu_per_sub:.3f}", f"{t_run.cpu_per_sub:.3f}", f"{naive_cpu:.3f}"),
        (f"CPU-bound rate on {cores} idle cores (est.)", f"{cores / main_run.cpu_per_sub:.2f}/s",
         f"{cores / t_run.cpu_per_sub:.2f}/s", f"{1 / naive_cpu:.2f}/s (1 at a time)"),
        ("peak RSS, tree sum", _mb(main_run.peak_rss), _mb(t_run.peak_rss), "-"),
        ("peak PSS, tree sum", _mb(main_run.peak_pss), _mb(t_run.peak_pss), "-"),
        ("peak processes in tree", str(main_run.peak_procs), str(t_run.peak_procs), "-"),
        ("failed (not gradable)", str(main_run.failed), str(t_run.failed), "-"),
        ("provisional (first try stopped a call)", str(main_run.provisional), str(t_run.provisional), "-"),
        ("load average before/after", "%.1f / %.1f" % main_run.load, "%.1f / %.1f" % t_run.load, "-"),
        ("exit status", str(main_run.rc), str(t_run.rc), "-"),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print()
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    print()
    print(f"speed-up over the naive baseline: {main_run.rate * naive_mean:.1f}x in wall time "
          f"({naive_cpu / main_run.cpu_per_sub:.1f}x in CPU per submission); naive = one fresh python per submission "
          f"importing torch and running the probes only, one at a time, measured on {len(naive)} submissions and "
          f"extrapolated to {args.n}")
    print(f"the grader's records per submission (median, measured on this run's results): JSON encode "
          f"{books[0] * 1e3:.1f} ms, JSON parse {books[1] * 1e3:.1f} ms, one gradebook write (SQLite) {books[2] * 1e3:.1f} ms")
    print(f"2% timeouts: {t_run.rate / main_run.rate:.0%} of the clean run's rate (target >= 80%); the "
          f"{t_run.provisional} provisional result(s) were graded again with the full limits by running the same "
          f"command again: {retry.wall_s:.1f} s wall, {retry.cpu_s:.1f} CPU s, {retry.provisional} still provisional")
    print(f"the wall figures depend on what else runs on the machine: load average {main_run.load[0]:.1f} -> "
          f"{main_run.load[1]:.1f} on {cores} cores during the batch run")
    targets = [
        ("throughput >= 5/s", main_run.rate >= 5),
        ("300 in <= 60 s", main_run.wall_s * 300 / max(main_run.n, 1) <= 60),
        (">= 10x naive", main_run.rate * naive_mean >= 10),
        ("p95 <= 1 s", main_run.pct(0.95) <= 1.0),
        ("peak RSS (tree sum) <= 2 GB", main_run.peak_rss <= 2 * 2**30),
    ]
    print("targets (measured wall figures): " + "; ".join(f"{t}: {'met' if ok else 'MISSED'}" for t, ok in targets))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
