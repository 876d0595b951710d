"""Benchmark of the HTML reports: the class report of N generated submissions, and their
N feedback pages.

    python benchmarks/report.py [--n 300] [--repeat 3] [--seed 1] [--out DIR]

N student-like answers files are generated from ``assignments/hw1/examples/example/answers.yaml``
(seeded): correct ones, and ones with typical mistakes (a wrong true/false, a wrong
logic function, weights that do not realize NOR, wrong convolution cells, a wrong Lab 1
weight, wrong Lab 2 table cells), missing parts, free text with HTML in it, and a
broken answers file. They are graded through the real engine (answers only: rendering
does not depend on how code checks were run), which is not timed. Then:

1. ``render_class_report`` of all N results (with links, timings and the manual
   queue), best and median of ``--repeat`` runs; target: under 2 s for N = 300;
2. the N feedback pages, as class mode writes them: with one ``HtmlRenderer`` passed to
   ``render_feedback(..., renderer=...)``, and without (a fresh template environment,
   so templates compiled again, for every page).

The sizes of the pages are printed too. With ``--out DIR`` the pages are written there.
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from grader.engine import Grader
from grader.report.html import HtmlRenderer, render_class_report, render_feedback
from grader.results import SubmissionResult
from grader.rubric import load_plan

REPO = Path(__file__).resolve().parent.parent


def _mistakes() -> list[Callable[[dict[str, Any], random.Random], None]]:
    def q1(a: dict[str, Any], rng: random.Random) -> None:
        q = rng.choice(["q1_1", "q1_2", "q1_3", "q1_4", "q1_5"])
        a["problem1"][q]["answer"] = not a["problem1"][q]["answer"]

    def q2_1(a: dict[str, Any], rng: random.Random) -> None:
        a["problem2"]["q2_1"]["function"] = rng.choice(["OR", "NAND", "xor", "<b>AND?</b>"])

    def q2_2(a: dict[str, Any], rng: random.Random) -> None:
        a["problem2"]["q2_2"] = {"w": [rng.choice([-1, 1]), rng.choice([-1, 1]), 1]}

    def q4_1(a: dict[str, Any], rng: random.Random) -> None:
        for _ in range(rng.randint(1, 6)):
            a["problem4"]["q4_1"][rng.randrange(5)][rng.randrange(9)] = rng.choice([0, 1, 2, -0.5])

    def lab1(a: dict[str, Any], rng: random.Random) -> None:
        a["lab1"]["closed_form"]["w"][rng.randrange(3)] += rng.choice([0.1, -0.5, 1.0])

    def lab2(a: dict[str, Any], rng: random.Random) -> None:
        layer = rng.choice(["conv1", "conv2", "fc1", "fc2", "fc3"])
        a["lab2"]["table"][layer]["macs"] = rng.choice([0, 1234, 240000])

    def missing(a: dict[str, Any], rng: random.Random) -> None:
        a.pop(rng.choice(["problem3", "problem4", "lab1", "lab2", "lab3"]), None)

    def html_text(a: dict[str, Any], rng: random.Random) -> None:
        a["lab3"]["analysis"] = "<script>alert(1)</script> all zero & <b>nothing</b> learns"

    return [q1, q2_1, q2_2, q4_1, lab1, lab2, missing, html_text]


def write_class(root: Path, n: int, seed: int) -> None:
    rng = random.Random(seed)
    base = yaml.safe_load((REPO / "assignments" / "hw1" / "examples" / "example" / "answers.yaml").read_text(encoding="utf-8"))
    mistakes = _mistakes()
    for i in range(n):
        d = root / f"s{i:03d}"
        d.mkdir()
        if rng.random() < 0.02:
            (d / "answers.yaml").write_text("student: {id: broken\nproblem1: [", encoding="utf-8")
            continue
        a = copy.deepcopy(base)
        a["student"] = {"id": f"s{i:03d}", "name": f"Student {i:03d}"}
        if rng.random() > 0.15:
            for m in rng.sample(mistakes, rng.randint(1, 5)):
                if all(k in a for k in ("problem1", "problem2", "problem4", "lab1", "lab2", "lab3")):
                    m(a, rng)
        (d / "answers.yaml").write_text(yaml.safe_dump(a, sort_keys=False), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=300, help="submissions (default 300)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each measurement (default 3)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", type=Path, help="write report.html and the feedback pages here")
    args = p.parse_args(argv)

    plan = load_plan(REPO / "assignments" / "hw1" / "rubric.yaml")
    grader = Grader.create(plan, device="cpu", with_sandbox=False)
    results: list[SubmissionResult] = []
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        root = Path(tmp)
        write_class(root, args.n, args.seed)
        t_grade = time.perf_counter()
        for d in sorted(root.iterdir()):
            t0 = time.perf_counter()
            results.append(grader.grade_path(d))
            timings[results[-1].submission] = time.perf_counter() - t0
        t_grade = time.perf_counter() - t_grade
    links = {r.submission: f"{r.submission}.html" for r in results}
    print(f"{len(results)} submissions generated and graded (answers only) in {t_grade:.1f} s (not timed below)")

    report = ""
    runs = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        report = render_class_report(results, links=links, timings=timings)
        runs.append(time.perf_counter() - t0)
    verdict = "within" if min(runs) < 2.0 else "OVER"
    print(f"class report: best {min(runs):.3f} s, median {statistics.median(runs):.3f} s over {args.repeat} runs "
          f"({verdict} the 2 s target), {len(report.encode()) / 1e6:.2f} MB")

    renderer = HtmlRenderer()
    reuse, fresh = [], []
    pages: list[str] = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        pages = [render_feedback(r, renderer=renderer) for r in results]
        reuse.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        for r in results:
            render_feedback(r)
        fresh.append(time.perf_counter() - t0)
    size = statistics.fmean(len(pg.encode()) for pg in pages) / 1e3
    n = len(results)
    print(f"feedback pages: {n} in {min(reuse):.3f} s with one HtmlRenderer ({1e3 * min(reuse) / n:.1f} ms/page), "
          f"{min(fresh):.3f} s with render_feedback per page ({1e3 * min(fresh) / n:.1f} ms/page); "
          f"{size:.0f} kB per page on average")

    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "report.html").write_text(report, encoding="utf-8")
        for r, page in zip(results, pages):
            (args.out / f"{r.submission}.html").write_text(page, encoding="utf-8")
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
