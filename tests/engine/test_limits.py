"""Sandbox limits: the rubric's defaults, and per-check overrides (the strictest wins for
checks that share one probe call)."""

from __future__ import annotations

from grader.engine import Grader
from grader.rubric import load_plan

from hw1_testing import RUBRIC, rubric_copy


def test_overrides_are_per_call_and_strictest_wins(tmp_path):
    text = RUBRIC.read_text()
    text = text.replace('select: w, squeeze: true, rtol: 1.0e-6, atol: 1.0e-9, what: "lms(X, y) final w"}',
                        'select: w, squeeze: true, rtol: 1.0e-6, atol: 1.0e-9, what: "lms(X, y) final w",\n'
                        '         limits: {wall_s: 4, memory_mb: 2048}}', 1)
    text = text.replace('select: mse, rtol: 1.0e-6, atol: 1.0e-12, label: "MSE per epoch, r = 0.01"}',
                        'select: mse, rtol: 1.0e-6, atol: 1.0e-12, label: "MSE per epoch, r = 0.01",\n'
                        '         limits: {wall_s: 2}}', 1)
    p = rubric_copy(tmp_path, text)
    plan = load_plan(p)
    g = Grader.create(plan, with_sandbox=False)
    limited = {k: v for k, v in g.call_limits.items() if v is not None}
    assert len(limited) == 1
    (key, lim), = limited.items()
    assert key.probe == "lms" and key.args["lr"] == 0.01
    assert lim.wall_s == 2 and lim.memory_mb == 2048 and isinstance(lim.memory_mb, int)
    assert lim.cpu_s == plan.rubric.limits.cpu_s  # untouched fields keep the rubric's defaults
