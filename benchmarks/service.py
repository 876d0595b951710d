"""Benchmark of the verification service (`grade serve`) beside class mode, on one class.

    python benchmarks/service.py [--n 30] [--clients 4] [--rate 3] [--jobs N] [--keep DIR]

It writes N student-like HW1 submissions with ``benchmarks/batch.py``'s generator (correct
ones, typical mistakes, incomplete, broken, crashing and corrupt ones; folders are zipped
for upload under their name), then:

1. **class mode**: ``python -m grader FOLDER --out DIR --jobs J`` (one log line per
   submission): throughput over the whole command, and in steady state (between the first
   and the last submission's line: the grader is warm, as the service's is).
2. **service, throughput**: ``grade serve --jobs J`` on a free loopback port (started, then
   warm); ``--clients`` concurrent clients (bounded) each submit, wait for the result (long
   poll), and take the next submission, until the class is done: submissions/s in steady
   state (first to last result) and over the whole run.
3. **service, latency**: the same class offered open-loop at ``--rate`` submissions/s
   (at most ``--clients`` in flight): submit -> result p50/p95 as the client sees it.

Also: the server's peak memory (summed RSS and PSS of its process tree, sampled every
50 ms), and the check that no submission was lost or graded twice (every accepted job
done, each graded in exactly one attempt). Uploads the service refuses (the generator's
corrupt archives: 422 with the reason) are counted apart; class mode scores them 0 as not
submitted. Targets (2-core machine): p95 <= 1 s at 3/s offered, service throughput >= 80%
of class mode's in steady state, none lost or graded twice.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from batch import REPO, TreeSampler, make_class

from grader.commands.serve import pack_folder

ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))] if xs else float("nan")


def _mb(n: int) -> str:
    return f"{n / 2**20:.0f} MiB"


def class_mode(folder: Path, out: Path, jobs: int) -> tuple[float, float, int, int]:
    """(whole-command rate, steady rate, peak RSS, peak PSS)."""
    cmd = [sys.executable, "-m", "grader", str(folder), "--out", str(out), "--jobs", str(jobs)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    stamps: list[float] = []
    with TreeSampler(proc.pid) as sampler:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("["):  # one "[k/n] name: ..." line per submission
                stamps.append(time.perf_counter())
        proc.wait()
    wall = time.perf_counter() - t0
    n = len(stamps)
    steady = (n - 1) / (stamps[-1] - stamps[0]) if n > 1 and stamps[-1] > stamps[0] else float("nan")
    return n / wall, steady, sampler.peak_rss, sampler.peak_pss


class Client:
    def __init__(self, url: str, tokens: dict[str, str]) -> None:
        self.url = url
        self.tokens = tokens
        self.http = httpx.Client(base_url=url, timeout=httpx.Timeout(120.0),
                                 limits=httpx.Limits(max_connections=32))

    def submit_and_wait(self, who: str, name: str, data: bytes) -> tuple[str | None, float, int]:
        """(job id or None when refused, submit->result seconds, HTTP status of the submit)."""
        h = {"Authorization": f"Bearer {self.tokens[who]}"}
        t0 = time.perf_counter()
        r = self.http.post("/api/v1/submissions", headers=h, files={"files": (name, data, "application/octet-stream")})
        if r.status_code != 202:
            return None, time.perf_counter() - t0, r.status_code
        job = r.json()["id"]
        while True:
            st = self.http.get(f"/api/v1/submissions/{job}", params={"wait": 30}, headers=h).json()
            if st["state"] in ("done", "failed"):
                return job, time.perf_counter() - t0, 202


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=30)
    p.add_argument("--clients", type=int, default=4, help="concurrent clients (bounded)")
    p.add_argument("--rate", type=float, default=3.0, help="submissions/s offered in the latency run")
    p.add_argument("--jobs", type=int, default=max(1, len(os.sched_getaffinity(0))))
    p.add_argument("--keep", type=Path, help="keep the class and results here")
    args = p.parse_args(argv)
    if not 1 <= args.n <= 2000 or not 1 <= args.clients <= 64:
        p.error("--n 1..2000 and --clients 1..64")
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-service-"))
    work.mkdir(parents=True, exist_ok=True)
    folder = work / "class"
    folder.mkdir(exist_ok=True)
    made = make_class(folder, args.n)
    uploads = []
    for m in made:
        data = pack_folder(m.path) if m.path.is_dir() else m.path.read_bytes()
        uploads.append((m.name, f"{m.path.name}.zip" if m.path.is_dir() else m.path.name, data))
    print(f"{args.n} submissions ({', '.join(sorted({m.kind for m in made}))}); {args.jobs} job(s), "
          f"{args.clients} client(s); load average {os.getloadavg()[0]:.1f} (a busy machine slows every figure)")

    cm_rate, cm_steady, cm_rss, cm_pss = class_mode(folder, work / "class-results", args.jobs)
    print(f"class mode: {cm_rate:.2f}/s over the whole command, {cm_steady:.2f}/s steady; "
          f"peak {_mb(cm_rss)} RSS, {_mb(cm_pss)} PSS")

    out = work / "service-results"
    roster = work / "roster.csv"
    roster.write_text("id\n" + "".join(f"{name}\n" for name, _, _ in uploads), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grader", "serve", "tokens", "--assignment", "hw1", "--out", str(out), "--roster", str(roster)],
                          cwd=REPO, env=ENV, capture_output=True, text=True, check=True)
    tokens = {line.split(",")[0]: line.split(",")[2] for line in done.stdout.splitlines()[1:]}
    port = _free_port()
    t_start = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "grader", "serve", "--assignment", "hw1", "--out", str(out), "--port", str(port),
                               "--jobs", str(args.jobs)], cwd=REPO, env=ENV, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        with TreeSampler(server.pid) as sampler:
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.perf_counter() - t_start > 600:
                    print("the server did not start", file=sys.stderr)
                    return 1
                time.sleep(0.2)
            print(f"service: warm in {time.perf_counter() - t_start:.1f} s")
            client = Client(url, tokens)

            # throughput: closed loop, --clients at a time
            todo = list(uploads)
            lock = threading.Lock()
            ends: list[float] = []
            refused = 0

            def worker() -> None:
                nonlocal refused
                while True:
                    with lock:
                        if not todo:
                            return
                        who, name, data = todo.pop(0)
                    job, _, _ = client.submit_and_wait(who, name, data)
                    with lock:
                        if job is None:
                            refused += 1
                        else:
                            ends.append(time.perf_counter())

            t0 = time.perf_counter()
            threads = [threading.Thread(target=worker) for _ in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
            ends.sort()
            steady = (len(ends) - 1) / (ends[-1] - ends[0]) if len(ends) > 1 and ends[-1] > ends[0] else float("nan")
            print(f"service throughput: {len(ends) / wall:.2f}/s over the run, {steady:.2f}/s steady "
                  f"({steady / cm_steady:.0%} of class mode's steady rate; target >= 80%); {refused} refused at upload")

            # latency: open loop at --rate, at most --clients in flight
            latencies: list[float] = []
            slots = threading.Semaphore(args.clients)
            threads = []

            def one(who: str, name: str, data: bytes) -> None:
                try:
                    job, seconds, _ = client.submit_and_wait(who, name, data)
                    if job is not None:
                        with lock:
                            latencies.append(seconds)
                finally:
                    slots.release()

            t0 = time.perf_counter()
            for i, (who, name, data) in enumerate(uploads):
                time.sleep(max(0.0, t0 + i / args.rate - time.perf_counter()))
                slots.acquire()
                t = threading.Thread(target=one, args=(who, name, data))
                t.start()
                threads.append(t)
            for t in threads:
                t.join()
            offered = len(uploads) / (time.perf_counter() - t0)
            print(f"service latency at {args.rate:g}/s offered ({offered:.2f}/s achieved): submit->result "
                  f"p50 {statistics.median(latencies):.2f} s, p95 {_pct(latencies, 0.95):.2f} s (target p95 <= 1 s)")
        print(f"service peak memory: {_mb(sampler.peak_rss)} RSS, {_mb(sampler.peak_pss)} PSS "
              f"(class mode: {_mb(cm_rss)} RSS, {_mb(cm_pss)} PSS)")
    finally:
        server.terminate()
        server.wait(60)
    with sqlite3.connect(f"file:{out / 'service.sqlite'}?mode=ro", uri=True) as db:
        states = dict(db.execute("SELECT state, count(*) FROM jobs GROUP BY state").fetchall())
        attempts = dict(db.execute("SELECT attempts, count(*) FROM jobs GROUP BY attempts").fetchall())
    accepted = 2 * (len(uploads) - refused)
    lost = accepted - sum(states.values())
    print(f"jobs: {states}; attempts per job: {attempts}; lost {lost}, graded twice "
          f"{sum(n for a, n in attempts.items() if a > 1)}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if lost == 0 and set(attempts) == {1} and set(states) <= {"done", "failed"} else 1


if __name__ == "__main__":
    raise SystemExit(main())
