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


# ---------------------------------------------------------------- a zygote spawned ahead
# `grade` on one submission starts the zygote process before it reads the rubric
# (grader.sandbox.prespawn): the Sandbox started later takes it over, configures it and has
# it run its self-test as it would a zygote of its own.

import json  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from sbxkit import GOOD_CALLS, PROBES, SECRET_VALUE, SUPPORT, assert_good, call, make_submission  # noqa: E402

from grader.sandbox import Sandbox, _parent, discard_prespawned, prespawn  # noqa: E402


@pytest.fixture(autouse=True)
def _nothing_left_ahead() -> object:
    yield
    discard_prespawned()


def _spawned() -> tuple[int, Path]:
    (spawned,) = _parent._PRESPAWNED
    return spawned.proc.pid, spawned.tmp


@pytest.mark.parametrize("isolation", ["full", "basic"])
def test_a_zygote_spawned_ahead_is_taken_over_and_self_tested(isolation: str, tmp_path: Path,
                                                              request: pytest.FixtureRequest) -> None:
    if isolation == "full":
        import os

        if os.geteuid() != 0:
            pytest.skip("full isolation needs root")
    own = request.getfixturevalue(f"{isolation}_box")  # a sandbox that started its own zygote
    prespawn(device="cpu")
    pid, tmp = _spawned()
    with Sandbox(probes_file=PROBES, support_files=SUPPORT, isolation=isolation) as box:  # type: ignore[arg-type]
        assert box.zygote_pid == pid and not _parent._PRESPAWNED
        assert box.layers == own.layers and box.fallback_note == own.fallback_note  # its self-test ran
        sub = make_submission(tmp_path, {"good.py": "good.py", "hostile.py": "hostile.py"})
        results = box.run(sub, [*GOOD_CALLS, call("hostile", "environment")])
        assert_good(results)
        seen = results["hostile.environment"].value
        assert SECRET_VALUE not in json.dumps(seen)  # spawned ahead, with the same scrubbed environment
        theirs = own.run(sub, [call("hostile", "environment")])["hostile.environment"].value
        # the same as a zygote of the sandbox's own, but for the names of the sandbox's folders

        def named(value: object, folder: Path) -> str:
            return re.sub(r"run-\w+/c\d+", "<run>", json.dumps(value).replace(str(folder), "<tmp>"))

        assert named(seen, box._tmp) == named(theirs, own._tmp)
    assert not tmp.exists()  # its folder went with the sandbox


def test_a_zygote_spawned_for_another_device_is_not_taken_and_is_stopped() -> None:
    prespawn(device="cuda")
    pid, tmp = _spawned()
    with Sandbox(probes_file=PROBES, support_files=SUPPORT, isolation="basic") as box:
        assert box.zygote_pid != pid
        assert len(_parent._PRESPAWNED) == 1
    discard_prespawned()
    assert not _parent._PRESPAWNED and not tmp.exists()
    with pytest.raises(ProcessLookupError):
        import os

        os.kill(pid, 0)  # stopped and reaped


def test_a_zygote_never_configured_ends_when_the_grader_lets_it_go() -> None:
    prespawn(device="cpu")
    (spawned,) = _parent._PRESPAWNED
    spawned.control.close()  # the grader closes its end without configuring it (or dies)
    deadline = time.monotonic() + 120
    while spawned.proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert spawned.proc.returncode == 0
