"""A sandbox started ahead, while the rubric is compiled (issue 20.3): the grader takes it
over when it is the one it needs, and closes it when the guess was wrong."""

from __future__ import annotations

from grader import engine
from grader.engine import Grader
from grader.rubric import load_plan

from hw1_testing import RUBRIC


def _started() -> object:
    (thread, starting), = engine._PRESTARTED.values()
    thread.join()
    return starting["box"]


def test_the_grader_takes_over_the_sandbox_started_ahead() -> None:
    engine.prestart(RUBRIC, device="cpu")
    box = _started()
    with Grader.create(load_plan(RUBRIC), device="cpu") as grader:
        assert grader.sandbox is box
        assert not engine._PRESTARTED


def test_a_sandbox_started_for_another_setting_is_closed() -> None:
    engine.prestart(RUBRIC, device="cpu", isolation="basic")
    box = _started()
    with Grader.create(load_plan(RUBRIC), device="cpu", isolation="auto") as grader:
        assert grader.sandbox is not box and grader.sandbox.zygote_pid is not None
        assert box.zygote_pid is None  # closed
        assert not engine._PRESTARTED
