"""Benchmark: a class with hostile submissions mixed in, beside the same class without them.

    python benchmarks/hostile_class.py [--n 40] [--jobs N] [--wall-s 3] [--keep DIR]

Two class runs (``python -m grader FOLDER --out DIR --quiet``, the real sandbox):

1. **clean**: N student-like submissions from ``benchmarks/batch.py``'s generator (correct
   ones, typical mistakes, a few incomplete, crashing or corrupt ones);
2. **hostile**: the same N, plus
   - every fixture of ``tests/e2e/hostile/*.py`` as a submission's ``lab1.py`` (output
     floods, fork bombs, huge allocations, sleeps, sockets, lying objects, pickle bombs,
     monkeypatching, exits, file writes...);
   - bad archives: a zip bomb (1 GiB of zeros in one entry), a zip of 3000 entries, a
     corrupt tar.gz, a tar with ``../`` and absolute entry names and a symlink;
   - bad answers: a YAML alias bomb, non-finite and huge numbers, a 1 MB free-text answer,
     escape sequences and a spreadsheet formula as the student id, an empty folder.

Both use a copy of the HW1 rubric whose per-call wall limit is ``--wall-s`` (default 3 s,
as the hostile end-to-end tests use, so that the hanging fixtures are cheap); the CPU limit
is twice that. For each run it prints the wall time, the peak RSS of the grader process
itself (``VmHWM`` from ``/proc/PID/status``: the kernel's high-water mark, read every
50 ms until it exits), the peak RSS and PSS summed over the process tree (the sandbox's
zygote and children included; see ``benchmarks/batch.py``), the exit status, the
slowest submissions and what each hostile submission got. The tree's RSS sum counts the
pages the zygote shares with every forked child once per process, so a fork bomb inflates
it; PSS (shared pages divided among their sharers) is the figure to compare. The target: the hostile class costs at most 2x the clean class's
grader memory, and completes (exit 0 or 4: 4 says some submission could not be graded).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import batch as gen  # noqa: E402  (benchmarks/batch.py: the submission generator and the tree sampler)

REPO = gen.REPO
EXAMPLE = gen.EXAMPLE
HOSTILE = REPO / "tests" / "e2e" / "hostile"
RUBRIC = REPO / "assignments" / "hw1" / "rubric.yaml"


# --------------------------------------------------------------------------- hostile submissions


def _example_files() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(EXAMPLE.iterdir()) if p.is_file()}


def _answers(sid: str) -> str:
    text = (EXAMPLE / "answers.yaml").read_text(encoding="utf-8")
    return text.replace('id: "example"', f'id: "{sid}"')


def _folder(root: Path, name: str, files: dict[str, bytes]) -> Path:
    d = root / name
    d.mkdir(parents=True)
    for n, b in files.items():
        (d / n).write_bytes(b)
    return d


def make_hostile(root: Path) -> list[str]:
    """Write the hostile submissions under ``root``; returns their names."""
    names: list[str] = []
    for fixture in sorted(HOSTILE.glob("*.py")):
        files = _example_files()
        files["answers.yaml"] = _answers(f"h-{fixture.stem}").encode()
        files["lab1.py"] = fixture.read_bytes()
        name = f"hostile_{fixture.stem}"
        _folder(root, name, files)
        names.append(name)

    # archives
    with zipfile.ZipFile(root / "zz_zipbomb.zip", "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("answers.yaml", _answers("h-zipbomb"))
        with zf.open("lab1.py", "w") as f:  # 1 GiB of zeros, about 1 MB compressed
            block = b"\0" * (1 << 20)
            for _ in range(1024):
                f.write(block)
    with zipfile.ZipFile(root / "zz_many_entries.zip", "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("answers.yaml", _answers("h-many"))
        for i in range(3000):
            zf.writestr(f"junk/{i:05d}.txt", b"x")
    (root / "zz_corrupt.tar.gz").write_bytes(b"\x1f\x8b\x08\x00" + os.urandom(2000))
    with tarfile.open(root / "zz_traversal.tar.gz", "w:gz") as tf:
        for entry, data in (("../escape.py", b"print('out')\n"), ("/etc/evil.py", b"x = 1\n"),
                            ("answers.yaml", _answers("h-traversal").encode())):
            info = tarfile.TarInfo(entry)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("lab1.py")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        tf.addfile(link)
    names += ["zz_zipbomb", "zz_many_entries", "zz_corrupt", "zz_traversal"]

    # answers
    lol = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
    _folder(root, "zz_alias_bomb", {"answers.yaml": lol.encode()})
    odd = _answers("h-odd")
    assert "    w: [-1, -1, -1]\n" in odd
    odd = odd.replace("    w: [-1, -1, -1]\n", "    w: [.inf, .nan, 1" + "0" * 400 + "]\n", 1)
    _folder(root, "zz_odd_numbers", {"answers.yaml": odd.encode()})
    long = _answers("h-long")
    old = "reason: Deeper networks can overfit or become harder to optimize (vanishing gradients)."
    assert old in long
    long = long.replace(old, "reason: " + "y" * (1 << 20))  # a 1 MB free-text answer
    _folder(root, "zz_long_answer", {"answers.yaml": long.encode()})
    _folder(root, "zz_escapes\x1b]0;owned\x07", {"answers.yaml": _answers("\\e]52;c;b3duZWQ=\\a").encode()})
    _folder(root, "zz_formula", {"answers.yaml": _answers('=HYPERLINK(\\"http://evil.example\\",\\"x\\")').encode()})
    (root / "zz_empty").mkdir()
    names += ["zz_alias_bomb", "zz_odd_numbers", "zz_long_answer", "zz_escapes", "zz_formula", "zz_empty"]
    return names


# --------------------------------------------------------------------------- measuring


class HighWater:
    """The peak RSS of one process (VmHWM), read every 50 ms until it exits."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "HighWater":
        self._t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._t.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with open(f"/proc/{self.pid}/status") as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            self.peak_kb = max(self.peak_kb, int(line.split()[1]))
            except (OSError, ValueError):
                pass
            time.sleep(0.05)


@dataclass
class Run:
    label: str
    n: int
    wall_s: float
    grader_peak: int  # bytes
    tree_rss: int
    tree_pss: int
    rc: int
    slowest: list[tuple[str, float]]
    not_submitted: int
    failed: int
    tail: str
    outcomes: dict[str, str]  # submission -> "score / max" or why it could not be graded


def run_class(folder: Path, out: Path, *, rubric: Path, jobs: int | None, label: str) -> Run:
    cmd = [sys.executable, "-m", "grader", str(folder), "--out", str(out), "--quiet", "--rubric", str(rubric)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    with HighWater(proc.pid) as hw, gen.TreeSampler(proc.pid) as tree:
        stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    con = sqlite3.connect(f"file:{out / 'gradebook.sqlite'}?mode=ro", uri=True)
    per = list(con.execute("SELECT r.submission, r.wall_s, r.outcome, r.failure, r.score, r.max_score, r.wall_s "
                           "FROM current c JOIN results r ON r.id = c.result_id"))
    con.close()
    slowest = sorted(((s, w or 0.0) for s, w, *_ in per), key=lambda x: -x[1])[:3]
    outcomes = {s: (f"{sc:g} / {mx:g} in {w or 0:.1f} s" if f is None else
                    f"{'not submitted' if o == 'graded' else 'FAILED'}: {f[:90]}")
                for s, _, o, f, sc, mx, w in per}
    return Run(label=label, n=len(per), wall_s=wall, grader_peak=hw.peak_kb * 1024, tree_rss=tree.peak_rss,
               tree_pss=tree.peak_pss, rc=proc.returncode, slowest=slowest,
               not_submitted=sum(o == "graded" and f is not None for _, _, o, f, *_ in per),
               failed=sum(o == "failed" for _, _, o, *_ in per), tail=(stdout + stderr)[-600:], outcomes=outcomes)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=40, help="clean submissions in each class (default 40)")
    p.add_argument("--jobs", type=int, default=None)
    p.add_argument("--wall-s", type=float, default=3.0, help="per-call wall limit of the rubric copy (default 3)")
    p.add_argument("--keep", type=Path, help="generate into this folder and keep it")
    args = p.parse_args(argv)
    base = args.keep or Path(tempfile.mkdtemp(prefix="bench-hostile-"))
    base.mkdir(parents=True, exist_ok=True)
    try:
        text = RUBRIC.read_text(encoding="utf-8")
        old = "limits: {wall_s: 10, cpu_s: 20,"
        assert old in text, "the rubric's limits line changed: update benchmarks/hostile_class.py"
        rubric = base / "hw1.yaml"
        rubric.write_text(text.replace(old, f"limits: {{wall_s: {args.wall_s:g}, cpu_s: {2 * args.wall_s:g},"))
        gen.make_class(base / "clean", args.n)
        gen.make_class(base / "hostile", args.n)
        extra = make_hostile(base / "hostile")
        print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; N = {args.n} clean, "
              f"+ {len(extra)} hostile; per-call wall limit {args.wall_s:g} s", flush=True)
        clean = run_class(base / "clean", base / "out_clean", rubric=rubric, jobs=args.jobs, label="clean")
        hostile = run_class(base / "hostile", base / "out_hostile", rubric=rubric, jobs=args.jobs, label="hostile")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    rows = [
        ("", "clean", "hostile", "hostile / clean"),
        ("submissions", str(clean.n), str(hostile.n), ""),
        ("wall time (s)", f"{clean.wall_s:.1f}", f"{hostile.wall_s:.1f}", f"{hostile.wall_s / clean.wall_s:.2f}x"),
        ("peak RSS, grader process", gen._mb(clean.grader_peak), gen._mb(hostile.grader_peak),
         f"{hostile.grader_peak / max(clean.grader_peak, 1):.2f}x"),
        ("peak RSS, tree sum", gen._mb(clean.tree_rss), gen._mb(hostile.tree_rss),
         f"{hostile.tree_rss / max(clean.tree_rss, 1):.2f}x"),
        ("peak PSS, tree sum", gen._mb(clean.tree_pss), gen._mb(hostile.tree_pss),
         f"{hostile.tree_pss / max(clean.tree_pss, 1):.2f}x"),
        ("not submitted / failed", f"{clean.not_submitted} / {clean.failed}",
         f"{hostile.not_submitted} / {hostile.failed}", ""),
        ("exit status", str(clean.rc), str(hostile.rc), ""),
        ("slowest submission (s)", f"{clean.slowest[0][1]:.1f} ({clean.slowest[0][0]})" if clean.slowest else "-",
         f"{hostile.slowest[0][1]:.1f} ({hostile.slowest[0][0]!r})" if hostile.slowest else "-", ""),
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print()
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    print()
    print("the hostile submissions:")
    for name in sorted(hostile.outcomes):
        if name.startswith(("hostile_", "zz_")):
            print(f"  {ascii(name)[1:-1]:<28} {ascii(hostile.outcomes[name])[1:-1]}")
    print()
    completed = all(r.rc in (0, 4) and r.n == expected for r, expected in
                    ((clean, args.n), (hostile, args.n + len(extra))))
    ratio = hostile.grader_peak / max(clean.grader_peak, 1)
    print(f"targets: both classes complete with every submission recorded: {'met' if completed else 'MISSED'}; "
          f"hostile grader memory <= 2x clean: {'met' if ratio <= 2 else 'MISSED'} ({ratio:.2f}x)")
    if not completed:
        for r in (clean, hostile):
            print(f"--- {r.label} (exit {r.rc}):\n{r.tail}", file=sys.stderr)
    return 0 if completed and ratio <= 2 else 1


if __name__ == "__main__":
    raise SystemExit(main())
