"""How many of the class benchmark's generated mistakes are named, and what naming costs.

    python benchmarks/diagnose.py [--n 40]

Writes the class of `benchmarks/batch.py` (same generator, same mix), grades every
submission in this process with the real sandbox, and prints:

- per kind of generated mistake: how many submissions got a named mistake (a known
  mistake of the rubric), how many only a generic relation, how many nothing;
- once per plan: the time to compute the reference's outputs, and the known mistakes'
  outputs (the extra cost of naming, paid once per class);
- per submission: grading time, and the time spent matching failing outputs against the
  known mistakes and generic relations (`grader.engine.diagnosed`), with its share.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import batch as gen  # noqa: E402  (the class benchmark's generator)

from grader import engine  # noqa: E402
from grader.rubric import load_plan  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    plan = load_plan(REPO / "assignments" / "hw1" / "rubric.yaml")
    t0 = time.perf_counter()
    ref = dict(engine.reference_outputs(plan, "cpu"))
    oracles = engine.plan_oracles(plan)
    ref.update(engine.derive_reference(plan, oracles, ref))
    t_ref = time.perf_counter() - t0
    t0 = time.perf_counter()
    mistakes = engine.plan_mistakes(plan, "cpu", oracles, ref)
    t_mistakes = time.perf_counter() - t0
    n_values = sum(len(v) for v in mistakes.values())

    spent = [0.0]
    original = engine.diagnosed

    def timed(*a, **kw):
        t = time.perf_counter()
        try:
            return original(*a, **kw)
        finally:
            spent[0] += time.perf_counter() - t

    engine.diagnosed = timed  # type: ignore[assignment]
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    names: dict[str, Counter[str]] = defaultdict(Counter)
    totals, matching = [], []
    with tempfile.TemporaryDirectory() as tmp, engine.Grader.create(plan, device="cpu") as g:
        made = gen.make_class(Path(tmp) / "class", args.n, seed=args.seed)
        for m in made:
            if m.kind == "corrupt":
                continue
            spent[0] = 0.0
            t = time.perf_counter()
            r = g.grade_path(m.path)
            totals.append(time.perf_counter() - t)
            matching.append(spent[0])
            diags = [c.details["diagnosis"] for q in r.questions for c in q.checks if "diagnosis" in c.details]
            named = sorted({d["mistake"] for d in diags if "mistake" in d})
            verdict = "named" if named else "relation only" if diags else "nothing"
            by_kind[m.kind][verdict] += 1
            for n in named:
                names[m.kind][n] += 1
    print(f"class of {args.n} from benchmarks/batch.py (seed {args.seed}), graded in-process with the sandbox\n")
    print(f"{'kind':16} {'subs':>4} {'named':>6} {'relation':>9} {'nothing':>8}  named mistakes")
    named_typical = total_typical = 0
    for kind in gen.KINDS:
        if kind not in by_kind:
            continue
        c = by_kind[kind]
        n = sum(c.values())
        if kind in gen.TYPICAL:
            total_typical += n
            named_typical += c["named"]
        print(f"{kind:16} {n:4d} {c['named']:6d} {c['relation only']:9d} {c['nothing']:8d}  "
              + ", ".join(f"{k} x{v}" for k, v in sorted(names[kind].items())))
    print(f"\ngenerated typical mistakes named: {named_typical} of {total_typical}")
    print(f"once per plan: reference outputs {t_ref * 1000:.0f} ms; known mistakes' outputs {t_mistakes * 1000:.0f} ms "
          f"({n_values} values)")
    mean_total, mean_match = statistics.fmean(totals), statistics.fmean(matching)
    print(f"per submission: grading {mean_total * 1000:.0f} ms mean; matching {mean_match * 1000:.2f} ms mean, "
          f"{max(matching) * 1000:.2f} ms max ({mean_match / mean_total:.2%} of grading)")
    print(f"once-per-plan cost spread over the class: {t_mistakes / len(totals) * 1000:.1f} ms per submission "
          f"({(t_mistakes / len(totals) + mean_match) / mean_total:.2%} of grading with matching)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
