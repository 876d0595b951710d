"""A value read from a report too uncertainly is never scored: it waits for a TA, who
confirms or corrects it with one `grade review` command; the check is then scored from that
value, and the score holds through regrades while the report is unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from grader.cli import main

REPORT = """# Homework report

## Problem 2

### Q2.1
With w0 = -1.5 the unit fires only when both inputs are +1; an OR would need w0 = 0.5, so I think it computes AND.

### Q2.2
I tried a few; [-1, -1, -1] works for it.

### Q2.3
w0 = 0, w1 = 1, w2 = 1, and w3 = 1 will cause the unit to compute the majority.
"""


def _checks(out: Path, name: str) -> dict[str, dict[str, Any]]:
    data = json.loads((out / f"{name}.json").read_text())
    return {f"{q['id']}.{c['id']}": c for q in data["questions"] for c in q["checks"]} | {"total": data}


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.mark.slow
def test_a_guess_waits_for_a_ta_who_confirms_or_corrects_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    (subs / "ann").mkdir(parents=True)
    (subs / "ann" / "report.md").write_text(REPORT)
    assert _cli([subs, "--assignment", "hw1", "--out", out, "--quiet"], capsys)[0] == 0
    c = _checks(out, "ann")
    # two choices named (OR, AND): not scored; an unlabeled list of three numbers: not scored
    for cid in ("problem2.q2_1.function", "problem2.q2_2.weights"):
        assert c[cid]["status"] == "manual" and c[cid]["score"] == 0
        assert c[cid]["message"].startswith("read from your report, waiting for a TA: ")
    assert "report.md l.6: With w0 = -1.5" in c["problem2.q2_1.function"]["views"][0]["text"]
    # "w3 = 1 will cause ..." is read as 1 (the words after it cut) from labelled values: scored
    assert c["problem2.q2_3.weights"]["status"] == "pass"
    rc, log, _ = _cli(["review", out], capsys)
    assert rc == 0 and "ann  problem2.q2_1.function  [0..4]  pending" in log and "report.md l.9: I tried a few" in log

    # the reading as it stands is confirmed: scored from it
    rc, log, err = _cli(["review", out, "--student", "ann", "--confirm", "problem2.q2_2.weights", "--by", "ta1"], capsys)
    assert rc == 0, err
    assert "recorded problem2.q2_2.weights = 4 for ann by ta1" in log
    # a correction: the TA reads AND in the report
    rc, log, err = _cli(["review", out, "--student", "ann", "--reading", "problem2.q2_1.function=AND", "--by", "ta1"],
                        capsys)
    assert rc == 0, err
    c = _checks(out, "ann")
    assert c["problem2.q2_1.function"]["status"] == "pass" and c["problem2.q2_1.function"]["score"] == 4
    assert "corrected by a TA as AND: pass" in c["problem2.q2_1.function"]["message"]
    assert c["problem2.q2_2.weights"]["score"] == 4 and "confirmed by a TA" in c["problem2.q2_2.weights"]["message"]
    total = c["total"]["score"]

    # a wrong correction is graded wrong, by the check (not by the TA's say-so)
    rc, log, _ = _cli(["review", out, "--student", "ann", "--reading", "problem2.q2_1.function=NOR"], capsys)
    assert rc == 0 and "= 0 for ann" in log and "you answered" in log
    rc, _, _ = _cli(["review", out, "--student", "ann", "--reading", "problem2.q2_1.function=AND", "--by", "ta1"], capsys)
    # a value that was not read from a report cannot be confirmed; a bad value is refused whole
    rc, _, err = _cli(["review", out, "--student", "ann", "--confirm", "problem2.q2_3.weights"], capsys)
    assert rc == 2 and "nothing read from a report to confirm (it is pass" in err
    rc, _, err = _cli(["review", out, "--student", "ann", "--reading", "problem2.q2_1.function={a: [1"], capsys)
    assert rc == 2 and "not a YAML value" in err

    # a regrade of the unchanged report keeps the scores ...
    (out / "ann.json").unlink()
    assert _cli([subs, "--out", out, "--quiet"], capsys)[0] == 0
    assert _cli(["review", out], capsys)[0] == 0
    assert _checks(out, "ann")["total"]["score"] == total
    # ... a changed report suspends them: the checks wait again
    (subs / "ann" / "report.md").write_text(REPORT.replace("I tried a few;", "I tried many;"))
    assert _cli([subs, "--out", out, "--quiet"], capsys)[0] == 0
    c = _checks(out, "ann")
    assert c["problem2.q2_2.weights"]["status"] == "manual" and c["problem2.q2_1.function"]["status"] == "manual"
