"""Hostile student code: each case ends with a clear message for its own call, the grader
alive, the other module's calls fine, and nothing changed outside the run's own folder.

Process-killing cases (kill the parent, the group, everyone; fork bombs; orphans) run in
test_sbx_kill.py, inside a throwaway PID namespace."""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from sbxkit import GOOD_CALLS, PROBES, REPO, SECRET_VALUE, assert_good, call, make_submission, needs_root, snapshot

from grader.sandbox import Limits, ProbeCall, Sandbox
from grader.sandbox._parent import TMPFS_INODES


def run_hostile(box: Sandbox, tmp_path: Path, *calls: ProbeCall) -> dict:
    """Run hostile calls next to the good module; check the good one and the submission."""
    sub = make_submission(tmp_path, {"good.py": "good.py", "hostile.py": "hostile.py"})
    before = snapshot(sub)
    results = box.run(sub, [*calls, *GOOD_CALLS])
    assert_good(results)
    assert snapshot(sub) == before  # the child worked on a copy
    assert not list(box._tmp.glob("run-*"))  # and the run's own folder is gone
    return results


@pytest.mark.slow
def test_a_hang_costs_only_its_call(box: Sandbox, tmp_path: Path) -> None:
    start = time.monotonic()
    results = run_hostile(box, tmp_path, call("hostile", "sleep_forever", limits=Limits(wall_s=1.0)))
    hang = results["hostile.sleep_forever"]
    assert (hang.status, hang.limit) == ("timeout", "wall_s")
    assert hang.message == "did not finish within 1 s (wall-clock limit)"
    assert time.monotonic() - start < 15


def test_huge_allocations_fail_as_memory(box: Sandbox, tmp_path: Path) -> None:
    results = run_hostile(box, tmp_path, call("hostile", "alloc_numpy", 64), call("hostile", "alloc_torch", 64))
    numpy_result, torch_result = results["hostile.alloc_numpy"], results["hostile.alloc_torch"]
    assert (numpy_result.status, numpy_result.limit) == ("memory", "memory_mb")
    assert numpy_result.message.startswith("hostile.py:30: _ArrayMemoryError: Unable to allocate 64.0 GiB")
    assert (torch_result.status, torch_result.limit) == ("memory", "memory_mb")
    assert "can't allocate memory" in torch_result.message


def test_exits_cost_only_their_call(box: Sandbox, tmp_path: Path) -> None:
    results = run_hostile(
        box,
        tmp_path,
        call("hostile", "sys_exit"),
        call("hostile", "os_exit"),
        call("hostile", "add_after"),
    )
    assert results["hostile.sys_exit"].status == "error"
    assert results["hostile.sys_exit"].message == "hostile.py:70: SystemExit: 0 (the code called sys.exit)"
    assert results["hostile.os_exit"].status == "crashed"
    assert results["hostile.os_exit"].message == "the code ended the process (exit status 0, e.g. os._exit) during this call"
    assert results["hostile.add_after"].value == "the module still runs after the killers"


def test_lying_objects_come_back_as_data_or_bad_output(box: Sandbox, tmp_path: Path) -> None:
    results = run_hostile(
        box,
        tmp_path,
        call("hostile", "always_equal"),
        call("hostile", "lying_array"),
        ProbeCall("asarray", "hostile", "call_asarray", {"module": "hostile", "func": "lying_array"}),
    )
    for key, name in (("hostile.always_equal", "AlwaysEqual"), ("hostile.lying_array", "LyingArray")):
        assert results[key].status == "bad_output"
        assert results[key].message == f"the probe returned an object of type {name}, which is not plain data"
        assert results[key].value is None
    converted = results["asarray"]  # what __array__ said, as plain data: never "equal" to anything
    assert converted.status == "ok" and type(converted.value) is np.ndarray
    assert converted.value.tolist() == [42.0, 42.0, 42.0]


def test_pickles_are_never_unpickled(box: Sandbox, tmp_path: Path) -> None:
    returned, forged = tmp_path / f"returned-{uuid.uuid4().hex}", tmp_path / f"forged-{uuid.uuid4().hex}"
    results = run_hostile(
        box,
        tmp_path,
        call("hostile", "pickle_bomb", str(returned)),
        call("hostile", "forge_frame", "hostile.forge_frame", str(forged)),
    )
    assert results["hostile.pickle_bomb"].status == "bad_output"
    assert "object of type Bomb" in results["hostile.pickle_bomb"].message
    assert results["hostile.forge_frame"].status == "bad_output"
    assert results["hostile.forge_frame"].message == (
        "the sandboxed process sent back a malformed result "
        "(an array of dtype object (only booleans, numbers and strings are accepted))"
    )
    assert not returned.exists() and not forged.exists()


def test_fake_results_on_stdout_stay_in_stdout_tail(box: Sandbox, tmp_path: Path) -> None:
    results = run_hostile(box, tmp_path, call("hostile", "fake_output"), call("hostile", "chatty"))
    fake = results["hostile.fake_output"]
    assert fake.status == "ok" and fake.value == "real value"
    assert fake.stdout_tail.startswith('PASSED 100/100\ntest_closed_form PASSED\n{"status": "ok"')
    assert "FAILED? no: PASSED" in fake.stdout_tail and "sandbox output boundary" not in fake.stdout_tail
    chatty = results["hostile.chatty"]  # each call keeps what it printed, not its neighbour's
    assert chatty.stdout_tail.startswith("epoch 0: loss 1.000000\n") and "PASSED" not in chatty.stdout_tail
    assert results["good.add"].stdout_tail == ""


@pytest.mark.slow
def test_a_flood_of_output_is_bounded(box: Sandbox, tmp_path: Path) -> None:
    start = time.monotonic()
    results = run_hostile(box, tmp_path, call("hostile", "flood", 2048, limits=Limits(wall_s=30)), call("hostile", "add_after"))
    flood = results["hostile.flood"]
    assert (flood.status, flood.limit) == ("error", "output_bytes")
    assert flood.message == "the code printed more than 65,536,000 bytes during this call; stopped"
    assert len(flood.stdout_tail) < Limits().output_bytes + 100
    assert flood.stdout_tail.startswith("[... ") and flood.stdout_tail.endswith("x" * 100)
    assert results["hostile.add_after"].status == "ok"
    assert time.monotonic() - start < 30


def test_garbage_on_the_result_channel_is_bad_output(box: Sandbox, tmp_path: Path) -> None:
    results = run_hostile(box, tmp_path, call("hostile", "garbage_on_fds"), call("hostile", "add_after"))
    garbage = results["hostile.garbage_on_fds"]
    assert garbage.status == "bad_output"
    assert garbage.message == "the result channel carried bytes that are not a result frame during this call"
    assert results["hostile.add_after"].status == "ok"


def test_exceptions_with_broken_str_and_deep_recursion(box: Sandbox, tmp_path: Path) -> None:
    results = run_hostile(box, tmp_path, call("hostile", "broken_exception"), call("hostile", "recurse"))
    broken = results["hostile.broken_exception"]
    assert broken.message == "hostile.py:172: BrokenText: <BrokenText whose str() raised RuntimeError>"
    deep = results["hostile.recurse"]
    assert deep.message == "hostile.py:176: RecursionError: maximum recursion depth exceeded"
    assert len(deep.traceback) == 20 and deep.traceback[6].endswith("more frames ...")
    assert all("probes_test" not in line and "worker" not in line for line in deep.traceback)


def test_writes_land_only_in_the_scratch_folder(box: Sandbox, tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:12]
    sub_dir_target = tmp_path / f"beside-{tag}.json"
    targets = [
        f"results-{tag}.json",
        f"../results-{tag}.json",
        f"../../results-{tag}.json",
        f"~/results-{tag}.json",
        f"/tmp/results-{tag}.json",
        f"/results-{tag}.json",
        str(sub_dir_target),
        f"/root/results-{tag}.json",
        str(REPO / f"results-{tag}.json"),
        str(REPO / "assignments" / f"results-{tag}.json"),
    ]
    results = run_hostile(box, tmp_path, call("hostile", "write_everywhere", targets))
    outcome = results["hostile.write_everywhere"].value
    assert outcome[targets[0]].startswith("ok ")  # its own working folder is writable
    for target, what in outcome.items():
        if what.startswith("ok "):
            written = Path(what[3:])
            assert not written.exists(), f"{target} was written to {written}, which outlived the run"
    for host_path in (Path(f"/tmp/results-{tag}.json"), Path(f"/results-{tag}.json"), sub_dir_target, Path(f"/root/results-{tag}.json"), REPO / f"results-{tag}.json"):
        assert not host_path.exists()
    if "mount-ns" not in box.layers and "landlock" in box.layers:
        refused = {t for t, what in outcome.items() if not what.startswith("ok ")}
        assert refused == set(targets) - {targets[0], targets[3]}  # only the working folder ($HOME is it)


def test_the_graders_files_are_out_of_reach(box: Sandbox, tmp_path: Path) -> None:
    secret_file = tmp_path / "expected_values.json"
    secret_file.write_text('{"closed_form": [-1, 1, -2]}')
    reference = REPO / "assignments" / "hw1" / "reference"
    paths = [
        str(REPO / "assignments"),
        str(REPO / "assignments" / "hw1"),
        str(reference),
        str(reference / "lab1.py"),
        str(REPO / "assignments" / "hw1" / "rubric.yaml"),
        str(PROBES),
        str(secret_file),
        str(tmp_path),
        f"/proc/{os.getpid()}/environ",
        f"/proc/{os.getpid()}/mem",
        f"/proc/{os.getpid()}/cwd",
        "/etc/shadow",
    ]
    results = run_hostile(box, tmp_path, call("hostile", "read_everywhere", [*paths, str(REPO), "/root"]))
    outcome = results["hostile.read_everywhere"].value
    for path in paths:
        assert outcome[path] in ("FileNotFoundError", "PermissionError"), (path, outcome[path])
    for path in (str(REPO), "/root"):  # at most the skeleton that leads to the interpreter
        assert outcome[path] in ("FileNotFoundError", "PermissionError", "listed .venv", "listed .pyenv"), (path, outcome[path])


def test_the_environment_is_scrubbed(box: Sandbox, tmp_path: Path) -> None:
    assert os.environ.get("GRADER_SANDBOX_TEST_SECRET") == SECRET_VALUE
    results = run_hostile(box, tmp_path, call("hostile", "environment"))
    seen = results["hostile.environment"].value
    assert SECRET_VALUE not in json.dumps(seen)
    assert seen["parent"] in ("FileNotFoundError", "PermissionError")  # /proc/<ppid>/environ
    assert set(seen["environ"]) == {"PATH", "HOME", "TMPDIR", "LANG", "USER", "LOGNAME", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MPLBACKEND", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED"}


def test_there_is_no_network(box: Sandbox, tmp_path: Path) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        results = run_hostile(box, tmp_path, call("hostile", "connect", port))
        server.settimeout(0.2)
        with pytest.raises(socket.timeout):
            server.accept()
    outcome = results["hostile.connect"].value
    assert outcome.split(":")[0] in ("PermissionError", "OSError", "ConnectionRefusedError"), outcome


@needs_root
def test_every_tmpfs_caps_its_inodes(full_box: Sandbox, tmp_path: Path) -> None:
    """Issue 12 item 8: 1.1 M empty files took 874 MiB of host kernel memory, since the
    tmpfs mounts were capped in bytes only. Past the cap, creating a file is ENOSPC in
    the child; the call still returns, and the module's other calls go on."""
    over = TMPFS_INODES + 500
    results = run_hostile(
        full_box,
        tmp_path,
        call("hostile", "many_files", "/tmp", over, id="tmp"),
        call("hostile", "many_files", "/dev/shm", over, id="shm"),
        call("hostile", "many_files", ".", over, id="work"),
        call("hostile", "add_after"),
    )
    for where in ("tmp", "shm", "work"):
        made, error = results[where].value
        assert error == "ENOSPC" and TMPFS_INODES - 10 <= made < TMPFS_INODES + 10, (where, made, error)
    assert results["hostile.add_after"].status == "ok"
