"""Class mode's first try (issue 20.4): every call gets `limits.first_try_s` first, so that
a student's endless loop costs the class that, not the rubric's whole `wall_s`. A
submission with a call still running then is provisional (Status `provisional`, exit 4, a
plain-words warning for the student) and the next run of the same command grades it again
with the full limits, giving exactly what one run with `--full-limits` gives: a slow but
finite call gets its full credit, an endless one its timeout at the rubric's limit."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from batchkit import REPO, json_files, make, read_csv

pytestmark = pytest.mark.slow  # three class runs, two of them waiting out a 4 s limit

WALL_S, FIRST_TRY_S = 4, 1.5


def _pack(tmp: Path) -> Path:
    """The HW1 pack with a short limit and first try (its rubric's paths are relative to it)."""
    pack = tmp / "hw1-short"
    shutil.copytree(REPO / "assignments" / "hw1", pack, ignore=shutil.ignore_patterns("examples", "tests", "__pycache__"))
    rubric = pack / "rubric.yaml"
    text = rubric.read_text(encoding="utf-8")
    text, n = re.subn(r"^limits: \{wall_s: 10,", f"limits: {{first_try_s: {FIRST_TRY_S}, wall_s: {WALL_S},", text,
                      flags=re.M)
    assert n == 1
    rubric.write_text(text, encoding="utf-8")
    return rubric


def _lms_first(sub: Path, line: str) -> None:
    """Put `line` first in the student's lms (a slow or endless call)."""
    lab1 = sub / "lab1.py"
    code = lab1.read_text(encoding="utf-8")
    head = "def lms(X, y, lr=0.01, epochs=20):\n"
    assert head in code
    lab1.write_text(code.replace(head, head + f"    {line}\n", 1), encoding="utf-8")


def _lab1(result: dict[str, Any]) -> dict[str, tuple[str, float]]:
    return {f"{q['id']}.{c['id']}": (c["status"], c["score"]) for q in result["questions"] if q["id"] == "lab1"
            for c in q["checks"]}


def test_first_try_then_full_limits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from grader.cli import main

    rubric = _pack(tmp_path)
    root = tmp_path / "class"
    make(root, "correct", "correct")
    _lms_first(make(root, "endless", "correct"), "while True: pass")
    _lms_first(make(root, "slow", "correct"), f"import time; time.sleep({FIRST_TRY_S + 1.0})")
    out, full = tmp_path / "results", tmp_path / "full"

    # first run: the two long calls are stopped at the first try; their results are provisional
    rc = main([str(root), "--out", str(out), "--rubric", str(rubric)])
    printed = capsys.readouterr()
    assert rc == 4, printed
    csv = {r["Submission"]: r for r in read_csv(out / "grades.csv")}
    assert csv["correct"]["Status"] != "provisional"
    for name in ("endless", "slow"):
        assert csv[name]["Status"] == "provisional"
        assert f"still running after the first try's {FIRST_TRY_S:g} s" in csv[name]["Reason"]
        assert f"with the full {WALL_S:g} s" in csv[name]["Reason"]
        result = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert result["warnings"][0].startswith("these results are not final: your lms in lab1 was still running")
    assert "Run the same command again" in printed.out

    # second run: only the provisional ones are graded again, with the rubric's full limit
    rc = main([str(root), "--out", str(out), "--rubric", str(rubric)])
    printed = capsys.readouterr()
    assert rc == 0, printed
    assert "1 graded" not in printed.out and "2 graded, 1 unchanged" in printed.out
    csv = {r["Submission"]: r for r in read_csv(out / "grades.csv")}
    assert all(r["Status"] != "provisional" for r in csv.values())
    correct = json.loads((out / "correct.json").read_text(encoding="utf-8"))
    slow = json.loads((out / "slow.json").read_text(encoding="utf-8"))
    endless = json.loads((out / "endless.json").read_text(encoding="utf-8"))
    assert _lab1(slow) == _lab1(correct)  # slow but finite: full credit once it had its full limit
    assert f"did not finish within {WALL_S:g} s" in json.dumps(endless)
    assert not any("not final" in w for r in (slow, endless) for w in r["warnings"])

    # the same as one run with the full limits from the start, byte for byte
    rc = main([str(root), "--out", str(full), "--rubric", str(rubric), "--full-limits"])
    capsys.readouterr()
    assert rc == 0
    assert json_files(full) == json_files(out)

    # and a third run grades nothing
    rc = main([str(root), "--out", str(out), "--rubric", str(rubric)])
    assert rc == 0 and "0 graded, 3 unchanged" in capsys.readouterr().out
