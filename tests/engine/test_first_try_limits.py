"""Class mode's first-try limit (issue 20.4) is worked out per call from that call's own
full wall-clock limit: a check that allows a call 60 s gives it 12 s first, not the
rubric-wide 2 s; the rubric's `first_try_s` wins; a limit already short is not cut."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.engine import Grader, first_try_limit
from grader.rubric import load_plan
from grader.sandbox import Limits

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("given", "wall", "expected"), [
    (None, 10.0, 2.0), (None, 60.0, 12.0), (None, 1.0, 1.0), (None, 3.0, 2.0), (5.0, 10.0, 5.0), (30.0, 10.0, 10.0),
])
def test_first_try_limit(given: float | None, wall: float, expected: float) -> None:
    assert first_try_limit(given, wall) == expected


def test_each_call_is_cut_from_its_own_limit() -> None:
    plan = load_plan(REPO / "assignments" / "hw1" / "rubric.yaml")
    grader = Grader(plan=plan, sandbox=None)
    short, long_, plain = plan.probe_keys[:3]
    grader.call_limits[short] = Limits(wall_s=1.5)
    grader.call_limits[long_] = Limits(wall_s=60.0)
    grader.call_limits[plain] = None  # the rubric's own: HW1's wall_s is 10
    assert grader._call_limits(short, True) == (grader.call_limits[short], None)  # already short: not cut
    limits, full = grader._call_limits(long_, True)
    assert limits is not None and (limits.wall_s, full) == (12.0, 60.0)
    assert limits.cpu_s == grader.call_limits[long_].cpu_s  # only the wall-clock limit is cut
    limits, full = grader._call_limits(plain, True)
    assert limits is not None and (limits.wall_s, full) == (2.0, 10.0)
    assert grader._call_limits(plain, False) == (None, None)  # not class mode: the rubric's limits
