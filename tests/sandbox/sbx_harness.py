"""Runs the process-killing hostile cases and prints what came back, as JSON.

The tests run this script inside a throwaway PID namespace (`unshare --pid --fork`), so
that if a sandbox layer ever failed, `kill(-1, SIGKILL)` from a student would only reach
the processes of that namespace and never the rest of the machine."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sbxkit import GOOD_CALLS, PROBES, SUPPORT, call, make_submission, processes_of  # noqa: E402

from grader.sandbox import Limits, Sandbox  # noqa: E402

HOSTILE = ("kill_parent", "kill_group", "kill_everyone")


def _alive(pid: int) -> bool:
    try:
        return "State:\tZ" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def scenario(isolation: str, root: Path) -> dict[str, object]:
    report: dict[str, object] = {}
    with Sandbox(probes_file=PROBES, support_files=SUPPORT, isolation=isolation, max_restarts=10) as box:  # type: ignore[arg-type]
        report["layers"] = box.layers
        zygote = box.zygote_pid
        sub = make_submission(root, {"good.py": "good.py", "hostile.py": "hostile.py"})
        quick = Limits(wall_s=1.5, cpu_s=3.0, memory_mb=1024)
        calls = [call("hostile", name, id=name, limits=quick) for name in HOSTILE]
        calls.append(call("hostile", "orphan", 20, id="orphan", limits=quick))
        calls.append(call("hostile", "add_after", id="after", limits=quick))
        # Last: after a timeout, later calls of the same probe on the module are skipped.
        calls.append(call("hostile", "fork_loop", id="fork_loop", limits=quick))
        results = box.run(sub, [*calls, *GOOD_CALLS])
        report["results"] = {k: {"status": v.status, "message": v.message, "value": v.value} for k, v in results.items()}
        report["zygote_alive"] = box.zygote_pid == zygote and os.path.exists(f"/proc/{zygote}")
        again = box.run(sub, list(GOOD_CALLS))
        report["again"] = {k: v.value for k, v in again.items()}
        # Results come back before the child's teardown is over: give it a moment.
        orphan = results["orphan"].value
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            leftovers = processes_of(box.uids)
            orphan_alive = isinstance(orphan, int) and isolation == "basic" and _alive(orphan)
            if not leftovers and not orphan_alive:
                break
            time.sleep(0.05)
        report["leftover_uid_processes"] = leftovers
        report["orphan_alive"] = orphan_alive
    return report


def main() -> None:
    modes = sys.argv[1:] or ["full", "basic"]
    with tempfile.TemporaryDirectory() as tmp:
        out = {mode: scenario(mode, Path(tmp)) for mode in modes}
    out["harness_alive"] = True
    print(json.dumps(out))


if __name__ == "__main__":
    main()
