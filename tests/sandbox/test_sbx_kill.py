"""Killing the grader, the group, everyone; fork bombs; orphans left behind.

These run in a subprocess inside a throwaway PID namespace (`unshare --pid --fork`): the
sandbox must stop them itself, and the test checks that it did, but were a layer ever to
fail, `kill(-1, SIGKILL)` from a student would reach only that namespace."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).with_name("sbx_harness.py")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare(1) for a throwaway PID namespace"
    ),
]


@pytest.fixture(scope="module")
def report() -> dict:
    proc = subprocess.run(
        ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", sys.executable, str(HARNESS), "full", "basic"],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # > 10 s
@pytest.mark.parametrize("mode", ["full", "basic"])
def test_the_grader_survives_and_the_other_module_is_fine(report: dict, mode: str) -> None:
    assert report["harness_alive"]
    run = report[mode]
    assert run["zygote_alive"], "the zygote was killed"
    results = run["results"]
    assert results["good.add"]["value"] == 5 and results["good.scaled"]["value"] == 21
    assert run["again"] == {"good.add": 5, "good.scaled": 21}
    assert results["after"]["value"] == "the module still runs after the killers"


@pytest.mark.parametrize("mode", ["full", "basic"])
def test_signals_at_the_grader_are_refused_or_harmless(report: dict, mode: str) -> None:
    results = report[mode]["results"]
    if mode == "full":
        # Its parent is outside its PID namespace (getppid() is 0, so the kill hits its own
        # group), and the namespace's init ignores its own group's SIGKILL.
        assert results["kill_parent"] == {"status": "ok", "message": "", "value": "still here"}
        assert results["kill_group"] == {"status": "ok", "message": "", "value": "still here"}
    else:
        assert results["kill_parent"]["message"] == "hostile.py:78: PermissionError: [Errno 1] Operation not permitted"
        assert results["kill_group"]["status"] == "crashed"  # its own group: itself, and only itself
        assert "killed by SIGKILL" in results["kill_group"]["message"]
    assert results["kill_everyone"]["message"] == "hostile.py:88: PermissionError: [Errno 1] Operation not permitted"


@pytest.mark.parametrize("mode", ["full", "basic"])
def test_fork_bombs_and_orphans_do_not_survive(report: dict, mode: str) -> None:
    run = report[mode]
    bomb = run["results"]["fork_loop"]
    assert bomb["status"] == "timeout" and bomb["message"] == "did not finish within 1.5 s (wall-clock limit)"
    assert run["results"]["orphan"]["status"] == "ok"
    assert not run["orphan_alive"]
    assert run["leftover_uid_processes"] == []
