"""Helpers for the class-mode tests: student-like submissions (the benchmark's generator),
running `grade` in-process or as a subprocess, and reading a results folder."""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any, Sequence

REPO = Path(__file__).resolve().parents[2]


def generator() -> ModuleType:
    """benchmarks/batch.py: one generator of submissions for the benchmark and the tests."""
    name = "benchmarks_batch"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "benchmarks" / "batch.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def make(root: Path, name: str, kind: str, *, sid: str | None = "auto", fmt: str = "dir", salt: int = 0,
         top_folder: bool = False) -> Path:
    """One submission; ``sid="auto"`` gives it the student id ``id-<name>``."""
    student_id = f"id-{name}" if sid == "auto" else sid
    return generator().make_submission(root, name, kind, student_id=student_id, fmt=fmt, salt=salt,
                                       top_folder=top_folder)


def grade_cli(argv: Sequence[str], capsys: Any) -> tuple[int, str, str]:
    """`grade ...` in this process (stdout is not a terminal here)."""
    from grader.cli import main

    rc = main([str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def grade_subprocess(argv: Sequence[str], **kw: Any) -> subprocess.Popen[str]:
    """`python -m grader ...` in a new session (so it and its sandbox can be signalled as a group)."""
    return subprocess.Popen([sys.executable, "-m", "grader", *map(str, argv)], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, **kw)


def recorded(results: Path) -> int:
    """How many submissions the gradebook holds a current row for (read-only; 0 if none yet)."""
    db = results / "gradebook.sqlite"
    if not db.exists():
        return 0
    try:
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return int(con.execute("SELECT count(*) FROM current").fetchone()[0])
        finally:
            con.close()
    except sqlite3.OperationalError:  # tables not created yet
        return 0


def wait_until(pred: Any, *, timeout_s: float, proc: subprocess.Popen[str] | None = None) -> bool:
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        if pred():
            return True
        if proc is not None and proc.poll() is not None:
            return bool(pred())
        time.sleep(0.05)
    return False


def rows(results: Path, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(f"file:{results / 'gradebook.sqlite'}?mode=ro", uri=True)
    try:
        return list(con.execute(sql, tuple(args)))
    finally:
        con.close()


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def json_files(results: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(results.glob("*.json"))}


def copy_run(src_root: Path, src_results: Path, dest: Path) -> tuple[Path, Path]:
    """A private copy of a class folder and its results folder (the gradebook is closed)."""
    root, results = dest / "submissions", dest / "results"
    shutil.copytree(src_root, root)
    shutil.copytree(src_results, results)
    return root, results


def kill_group(proc: subprocess.Popen[str], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass
