"""The sandbox end to end: results, layers, imports, notebooks, limits, restarts, threads."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import NO_NAMESPACES_ENV, CallResult, Limits, ProbeCall, Sandbox, SandboxError

from sbxkit import FAST, GOOD_CALLS, PROBES, SUPPORT, assert_good, call, make_submission, needs_root

ALL_LAYERS = ["rlimits", "setsid", "pid-ns", "net-ns", "mount-ns", "uid", "seccomp", "landlock"]


def introspect(box: Sandbox, tmp_path: Path) -> dict[str, object]:
    sub = make_submission(tmp_path, {"hostile.py": "hostile.py"})
    result = box.run(sub, [call("hostile", "introspect", limits=None)])["hostile.introspect"]
    assert result.status == "ok", result
    return result.value  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- layers


@needs_root
def test_full_layers_are_all_there_and_true(full_box: Sandbox, tmp_path: Path) -> None:
    assert full_box.layers == ALL_LAYERS
    assert full_box.fallback_note is None
    seen = introspect(full_box, tmp_path)
    assert seen["uid"] in full_box.uids and seen["uid"] != os.getuid()  # uid
    assert seen["pid"] == 1 and seen["ppid"] == 0  # pid-ns: it is its namespace's init
    assert seen["interfaces"] == ["lo"]  # net-ns: nothing but a loopback
    assert seen["root"] == sorted(seen["root"]) and "reference" not in json.dumps(seen["root"])  # mount-ns
    assert seen["cwd"] == "/sandbox" and seen["home"] == "/sandbox" and seen["hostname"] == "sandbox"
    assert seen["seccomp"] == "2" and seen["no_new_privs"] == "1" and seen["cap_eff"] == "0000000000000000"
    assert seen["sid_is_self"] and seen["pgid_is_self"]  # setsid


def test_basic_layers_tell_the_truth(basic_box: Sandbox, tmp_path: Path) -> None:
    layers = basic_box.layers
    assert not {"pid-ns", "net-ns", "mount-ns"} & set(layers)
    assert {"rlimits", "setsid"} <= set(layers)
    note = basic_box.fallback_note
    assert note is not None and "\n" not in note
    assert "missing pid-ns, net-ns, mount-ns (isolation='basic' was asked for)" in note
    assert f"active layers {', '.join(layers)}" in note
    seen = introspect(basic_box, tmp_path)
    assert seen["pid"] != 1 and seen["sid_is_self"] and seen["pgid_is_self"]
    assert (seen["seccomp"] == "2") == ("seccomp" in layers)
    if "uid" in layers:
        assert seen["uid"] in basic_box.uids
    else:
        assert seen["uid"] == os.getuid() and "uid (" in note
    if os.geteuid() == 0:  # root without a uid of its own keeps no capability at all
        assert seen["cap_eff"] == "0000000000000000"
    if "landlock" in layers:
        assert seen["root"] == "PermissionError"  # "/" itself is not readable


@pytest.mark.slow
def test_no_namespaces_env_degrades_auto_and_refuses_full(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(NO_NAMESPACES_ENV, "1")
    with pytest.raises(SandboxError, match=NO_NAMESPACES_ENV):
        Sandbox(probes_file=PROBES, support_files=SUPPORT, isolation="full")
    with Sandbox(probes_file=PROBES, support_files=SUPPORT) as box:
        assert not {"pid-ns", "net-ns", "mount-ns"} & set(box.layers)
        assert box.fallback_note and f"{NO_NAMESPACES_ENV}=1 is set" in box.fallback_note
        assert_good(box.run(make_submission(tmp_path, {"good.py": "good.py"}), list(GOOD_CALLS)))


# ---------------------------------------------------------------------------- data


def test_plain_values_come_back_as_data(box: Sandbox, tmp_path: Path) -> None:
    sub = make_submission(tmp_path, {"hostile.py": "hostile.py"})
    result = box.run(sub, [call("hostile", "plain_values")])["hostile.plain_values"]
    assert result.status == "ok", result
    value = result.value
    assert np.isnan(value["nan"]) and value["inf"] == np.inf and value["ninf"] == -np.inf
    assert value["none"] is None and value["text"] == "PASSED" and value["big"] == 10**30
    assert value["wrong_shape"].shape == (2, 3) and value["wrong_shape"].dtype == np.float64
    assert value["nested"] == [1, [2.5, "a", True]] and value["tuple"] == [1, 2]
    assert type(value["np_scalar"]) is np.int64 and value["np_scalar"] == 5
    assert value["tensor"].dtype == np.float32 and value["tensor"].tolist() == [0, 1, 2, 3]
    assert value["looks_like_a_tag"] == {"a": 0}


def test_args_round_trip(box: Sandbox, tmp_path: Path) -> None:
    args = {"x": np.arange(6, dtype=np.float32).reshape(2, 3), "flags": np.array([True, False]), "nested": {"k": [1, "two", None]}}
    sub = make_submission(tmp_path, {"good.py": "good.py"})
    result = box.run(sub, [ProbeCall("e", "good", "echo", args)])["e"]
    assert result.status == "ok", result
    np.testing.assert_array_equal(result.value["x"], args["x"])
    assert result.value["x"].dtype == np.float32 and result.value["nested"] == {"k": [1, "two", None]}


def test_calls_are_checked_before_any_code_runs(box: Sandbox, tmp_path: Path) -> None:
    sub = make_submission(tmp_path, {"good.py": "good.py"})
    with pytest.raises(ValueError, match="probe 'nope' is not defined in .*probes_test.py"):
        box.run(sub, [ProbeCall("a", "good", "nope", {})])
    with pytest.raises(ValueError, match="unique"):
        box.run(sub, [GOOD_CALLS[0], GOOD_CALLS[0]])
    with pytest.raises(ValueError, match="args are not plain data: .*object of type object"):
        box.run(sub, [ProbeCall("a", "good", "echo", {"x": object()})])
    with pytest.raises(ValueError, match="module must be a module name"):
        box.run(sub, [ProbeCall("a", "../good", "noop", {"module": "good"})])


def test_missing_module(box: Sandbox, tmp_path: Path) -> None:
    sub = make_submission(tmp_path, {"good.py": "good.py"})
    results = box.run(sub, [call("lab9", "f"), *GOOD_CALLS])
    assert results["lab9.f"] == CallResult("lab9.f", "missing", message="not submitted: lab9.py (or lab9.ipynb)")
    assert_good(results)


def test_support_files(box: Sandbox, tmp_path: Path) -> None:
    sub = make_submission(tmp_path, {"good.py": "good.py", "reader.py": "def read():\n    return open('data.csv').read()\n"})
    results = box.run(
        sub,
        [
            ProbeCall("via_ctx", "good", "support_text", {"name": "data.csv"}),
            ProbeCall("unknown", "good", "support_text", {"name": "secret.csv"}),
            call("reader", "read"),
            call("good", "scaled", 2),  # `from scaffold import SCALE` in the student's module
        ],
    )
    expected = SUPPORT["data.csv"].read_text()
    assert results["via_ctx"].value == expected and results["reader.read"].value == expected
    assert results["unknown"].status == "error" and "'secret.csv' is not a support file" in results["unknown"].message
    assert results["good.scaled"].value == 6


# ---------------------------------------------------------------------------- imports


@pytest.mark.parametrize(
    ("fixture", "status", "message"),
    [
        ("import_raise.py", "error", "lab1.py:4: ZeroDivisionError: division by zero"),
        ("import_syntax.py", "error", "lab1.py:2: SyntaxError: "),
        ("import_exit.py", "error", "lab1.py:4: SystemExit: 0 (the code called sys.exit)"),
        ("import_os_exit.py", "crashed", "lab1.py ended the process"),
        ("import_loop.py", "timeout", "lab1.py did not finish importing within 1 s"),
    ],
)
def test_an_import_failure_fails_every_call_on_that_module_only(
    box: Sandbox, tmp_path: Path, fixture: str, status: str, message: str
) -> None:
    sub = make_submission(tmp_path, {"lab1.py": fixture, "good.py": "good.py"})
    quick = Limits(wall_s=1.0)
    results = box.run(sub, [call("lab1", "f", id="a", limits=quick), call("lab1", "g", id="b", limits=quick), *GOOD_CALLS])
    for key in ("a", "b"):
        assert results[key].status == status, results[key]
        if status == "crashed":
            assert results[key].message == "lab1.py ended the process (exit status 0, e.g. os._exit) while importing"
        else:
            assert results[key].message.startswith(message), results[key].message
    assert_good(results)


# ---------------------------------------------------------------------------- notebooks


def notebook(*cells: str) -> str:
    return json.dumps(
        {
            "cells": [{"cell_type": "markdown", "source": ["# Lab 1\n"]}]
            + [{"cell_type": "code", "source": c.splitlines(True), "outputs": [], "metadata": {}} for c in cells],
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {},
        }
    )


def test_a_notebook_is_a_module(box: Sandbox, tmp_path: Path) -> None:
    marker = tmp_path / "shell-escape-ran"
    text = notebook(
        "%matplotlib inline\nimport numpy as np",
        f"!touch {marker}\nfiles = !ls",
        "%%bash\ntouch " + str(marker),
        "def closed_form(X, y):\n    return np.linalg.lstsq(np.c_[X, np.ones(len(X))], y, rcond=None)[0]",
        "def boom():\n    return 1 / 0",
    )
    sub = make_submission(tmp_path, {"lab1.ipynb": text, "good.py": "good.py"})
    X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 1.0]])
    results = box.run(sub, [call("lab1", "closed_form", X, X @ [2.0, -1.0] + 0.5), call("lab1", "boom"), *GOOD_CALLS])
    fit = results["lab1.closed_form"]
    assert fit.status == "ok", fit
    np.testing.assert_allclose(fit.value, [2.0, -1.0, 0.5])
    assert fit.notes == (
        "lab1.ipynb cell 2 line 1: skipped magic `%matplotlib inline`",
        f"lab1.ipynb cell 3 line 1: skipped shell escape `!touch {marker}`",
        "lab1.ipynb cell 3 line 2: skipped shell escape `files = !ls`",
        "lab1.ipynb cell 4: skipped cell magic `%%bash` (the whole cell)",
    )
    boom = results["lab1.boom"]
    assert boom.status == "error"
    assert boom.message == "lab1.ipynb cell 6, line 2: ZeroDivisionError: division by zero"
    assert boom.traceback == ("lab1.ipynb cell 6, line 2 in boom", "ZeroDivisionError: division by zero")
    assert not marker.exists()
    assert_good(results)


def test_py_wins_over_ipynb_and_says_so(box: Sandbox, tmp_path: Path) -> None:
    sub = make_submission(tmp_path, {"good.py": "good.py", "good.ipynb": notebook("def add(a, b):\n    return 0")})
    result = box.run(sub, [GOOD_CALLS[0]])["good.add"]
    assert result.value == 5 and result.notes == ("both good.py and good.ipynb were submitted; good.py was used",)


# ---------------------------------------------------------------------------- limits, restarts


@pytest.mark.slow
def test_restart_and_skip_continues_after_a_dead_call(box: Sandbox, tmp_path: Path) -> None:
    sub = make_submission(tmp_path, {"hostile.py": "hostile.py"})
    quick = Limits(wall_s=1.0)
    after_hang = ProbeCall("after_hang", "hostile", "call_asarray", {"module": "hostile", "func": "add_after"}, quick)
    results = box.run(
        sub,
        [
            call("hostile", "os_exit", limits=quick),
            call("hostile", "add_after", id="after_exit", limits=quick),
            call("hostile", "sleep_forever", limits=quick),
            after_hang,
            call("hostile", "add_after", id="same_probe_after_hang", limits=quick),
        ],
    )
    assert [r.status for r in results.values()] == ["crashed", "ok", "timeout", "ok", "skipped"]
    assert results["hostile.sleep_forever"].message == "did not finish within 1 s (wall-clock limit)"
    assert results["hostile.sleep_forever"].limit == "wall_s"
    assert results["after_hang"].value == "the module still runs after the killers"
    # A probe that ran out of time once is not tried again on this submission.
    assert results["same_probe_after_hang"].message == "not run: an earlier call of call on hostile.py ran out of time"


@needs_root
def test_after_max_restarts_the_rest_is_skipped(full_box: Sandbox, tmp_path: Path) -> None:
    sub = make_submission(tmp_path, {"hostile.py": "hostile.py"})
    calls = [call("hostile", "os_exit", id=f"exit{i}") for i in range(5)] + [call("hostile", "add_after", id="later")]
    results = full_box.run(sub, calls)
    assert [r.status for r in results.values()] == ["crashed"] * 4 + ["skipped"] * 2
    assert results["later"].message == "not run: hostile.py already crashed or timed out 4 times in this submission"


@pytest.mark.slow
def test_per_call_limits(box: Sandbox, tmp_path: Path) -> None:
    sub = make_submission(tmp_path, {"hostile.py": "hostile.py"})
    results = box.run(
        sub,
        [
            call("hostile", "alloc_list", 32, id="small_ok", limits=Limits(memory_mb=512)),
            call("hostile", "alloc_list", 600, id="too_much", limits=Limits(memory_mb=256)),
            call("hostile", "big_file", 4, id="file_ok"),
            call("hostile", "big_file", 24, id="file_too_big"),
            call("hostile", "spin", id="cpu", limits=Limits(wall_s=20, cpu_s=0.5)),
        ],
    )
    assert results["small_ok"].value == 32
    assert results["too_much"].status == "memory" and results["too_much"].limit == "memory_mb"
    assert results["too_much"].message == "hostile.py:40: MemoryError"
    assert results["file_ok"].value == 4 << 20
    assert results["file_too_big"].message == "hostile.py:99: OSError: [Errno 27] File too large"
    assert results["cpu"].status == "timeout" and results["cpu"].limit == "cpu_s"
    assert results["cpu"].message == "the code used more than 0.5 s of CPU time during this call"


# ---------------------------------------------------------------------------- state, threads, devices


def test_global_state_does_not_leak_into_the_next_submission(box: Sandbox, tmp_path: Path) -> None:
    clean = make_submission(tmp_path, {"observer.py": "observer.py"})
    patcher = make_submission(tmp_path, {"observer.py": "hostile.py"})
    observe = call("observer", "observe", limits=None)
    before = box.run(clean, [observe])["observer.observe"].value
    patched = box.run(patcher, [call("observer", "patch_globals")])["observer.patch_globals"]
    assert patched.value == [True, True]  # it did patch numpy and torch, in its own process
    after = box.run(clean, [observe])["observer.observe"].value
    assert after == before
    assert after["np_allclose"] is False and after["torch_allclose"] is False
    assert after["assert_close"] == "intact" and after["default_dtype"] == "torch.float32"
    assert not np.allclose(0, 1)  # nor in the grader


@needs_root
def test_concurrent_runs_get_their_own_children(full_box: Sandbox, tmp_path: Path) -> None:
    nap = "import os, time\n\ndef who(tag):\n    time.sleep(0.3)\n    return [tag, os.getuid()]\n"
    outcomes: dict[int, list[dict[str, CallResult]]] = {0: [], 1: []}

    def worker(index: int) -> None:
        sub = make_submission(tmp_path, {"who.py": nap, "good.py": "good.py"})
        for _ in range(3):
            outcomes[index].append(full_box.run(sub, [call("who", "who", index, limits=None), *GOOD_CALLS]))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    uids = set()
    for index, runs in outcomes.items():
        assert len(runs) == 3
        for results in runs:
            assert_good(results)
            tag, uid = results["who.who"].value
            assert tag == index and uid in full_box.uids
            uids.add(uid)
    assert len(uids) == 6  # every child had a uid of its own


@pytest.mark.slow
def test_the_zygote_is_restarted_if_it_dies(tmp_path: Path) -> None:
    nap = "import time\n\ndef nap():\n    time.sleep(1.0)\n    return 'rested'\n"
    sub = make_submission(tmp_path, {"good.py": "good.py", "nap.py": nap})
    with Sandbox(probes_file=PROBES, support_files=SUPPORT) as box:
        first = box.zygote_pid
        assert first is not None
        os.kill(first, signal.SIGKILL)  # while idle: the next run starts a new one
        time.sleep(0.1)
        assert_good(box.run(sub, list(GOOD_CALLS)))
        second = box.zygote_pid
        assert second not in (None, first)
        killer = threading.Timer(0.5, os.kill, (second, signal.SIGKILL))  # during a call: retried once
        killer.start()
        results = box.run(sub, [call("nap", "nap", limits=None), *GOOD_CALLS])
        killer.join()
        assert results["nap.nap"].value == "rested"
        assert_good(results)
        assert box.zygote_pid not in (None, first, second)
    with pytest.raises(SandboxError, match="closed"):
        box.run(tmp_path, list(GOOD_CALLS))


@pytest.mark.slow
def test_cuda_device_is_passed_through_without_touching_cuda(tmp_path: Path) -> None:
    probe = "import torch\n\ndef state():\n    return torch.cuda.is_initialized()\n"
    sub = make_submission(tmp_path, {"dev.py": probe, "hostile.py": "hostile.py"})
    with Sandbox(probes_file=PROBES, support_files=SUPPORT, device="cuda") as box:
        results = box.run(
            sub,
            [
                ProbeCall("device", "dev", "device", {}),
                call("dev", "state", limits=None),
                call("hostile", "alloc_numpy", 64, limits=FAST),
            ],
        )
    assert results["device"].value == "cuda"
    assert results["dev.state"].value is False  # the zygote did not initialize CUDA before forking
    assert results["hostile.alloc_numpy"].status == "memory"  # RLIMIT_DATA bounds memory on CUDA


# ---------------------------------------------------------------------------- the zygote


def test_the_zygote_holds_nothing_of_the_grader(box: Sandbox, tmp_path: Path) -> None:
    pid = box.zygote_pid
    assert pid is not None
    assert len(os.listdir(f"/proc/{pid}/task")) == 1  # single-threaded: safe to fork
    environ = Path(f"/proc/{pid}/environ").read_bytes().decode()
    assert "GRADER_SANDBOX_TEST_SECRET" not in environ and "OMP_NUM_THREADS=1" in environ
    sub = make_submission(tmp_path, {"hostile.py": "hostile.py"})
    loaded = box.run(sub, [call("hostile", "loaded_modules", limits=None)])["hostile.loaded_modules"].value
    assert loaded == ["_grader_probes", "scaffold"]  # no grader.*, no reference.*


@pytest.mark.slow
def test_a_probes_file_that_does_not_import_is_the_instructors_error(tmp_path: Path) -> None:
    broken = tmp_path / "probes.py"
    broken.write_text("import numpy\n\nraise RuntimeError('probe module bug')\n")
    with pytest.raises(SandboxError, match="(?s)failed to start.*RuntimeError: probe module bug"):
        Sandbox(probes_file=broken, support_files={})


def test_what_students_legitimately_do_still_works(box: Sandbox, tmp_path: Path) -> None:
    sub = make_submission(tmp_path, {"legit.py": "legit.py", "helper.py": "X = 1\n"})
    wide = Limits(wall_s=60, cpu_s=60)
    names = ["threads", "torch_threads", "process_pool", "run_python", "files", "unix_pipe"]
    results = box.run(sub, [call("legit", name, limits=wide) for name in names])
    values = {name: results[f"legit.{name}"] for name in names}
    if "mount-ns" not in box.layers:  # a known limit: no private /dev/shm for POSIX semaphores
        assert values.pop("process_pool").message == "legit.py:35: PermissionError: [Errno 13] Permission denied"
    else:
        assert values["process_pool"].value == [0, 1, 4, 9, 16]
    assert all(r.status == "ok" for r in values.values()), {k: v.message for k, v in values.items() if v.status != "ok"}
    assert values["threads"].value == [0, 1, 4, 9]
    assert values["torch_threads"].value == 256.0**3
    assert values["run_python"].value == "42"
    model, scratch, array, listing = values["files"].value
    assert (model, scratch, array) == ("weights", "scratch", [0, 1, 2])
    assert {"legit.py", "helper.py", "model.txt", "array.npy", "scaffold.py", "data.csv"} <= set(listing)
    assert values["unix_pipe"].value == {"x": 1}


@pytest.mark.parametrize(
    ("kwargs", "error", "fragment"),
    [
        ({"probes_file": Path("/nonexistent/probes.py")}, FileNotFoundError, "probes file not found"),
        ({"device": "tpu"}, ValueError, "device must be 'cpu' or 'cuda'"),
        ({"isolation": "maximal"}, ValueError, "isolation must be"),
        ({"support_files": {"../x.py": SUPPORT["scaffold.py"]}}, ValueError, "plain file name"),
        ({"support_files": {"x.csv": Path("/nonexistent.csv")}}, FileNotFoundError, "support file 'x.csv' not found"),
    ],
)
def test_constructor_errors_name_the_problem(kwargs: dict, error: type[Exception], fragment: str) -> None:
    args = {"probes_file": PROBES, "support_files": {}, **kwargs}
    with pytest.raises(error, match=fragment):
        Sandbox(**args)


@pytest.mark.parametrize(
    ("field", "value"),
    [("wall_s", 0), ("cpu_s", -1.0), ("memory_mb", float("nan")), ("nproc", True), ("nofile", 8), ("output_bytes", "big")],
)
def test_limits_are_validated(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"Limits.{field} must be"):
        Limits(**{field: value})  # type: ignore[arg-type]


# ---------------------------------------------------------------------------- what runs


def _unchecked_pyc(source: str, py: Path) -> None:
    """Bytecode of `source` where Python looks for `py`'s cache, in the mode it loads
    without comparing it with the .py (unchecked hash)."""
    import importlib.util
    import py_compile

    src = py.parent / f"src-{py.stem}.tmp"
    src.write_text(source)
    target = importlib.util.cache_from_source(str(py))
    py_compile.compile(str(src), cfile=target, doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    src.unlink()


def test_bytecode_in_the_submission_never_runs(box: Sandbox, tmp_path: Path) -> None:
    """Issue 12 item 9, at the sandbox itself (every file staged): the student's module
    and its helpers are compiled from their .py; a planted pyc or a bytecode-only module
    is never loaded."""
    sub = make_submission(
        tmp_path,
        {"mod.py": "from helper import add\n", "helper.py": "def add(a, b):\n    return 0\n", "only.py": "import helper2\n"},
    )
    right = "def add(a, b):\n    return a + b\n"
    _unchecked_pyc(right, sub / "mod.py")
    _unchecked_pyc(right, sub / "helper.py")
    import py_compile

    (sub / "helper2.py").write_text(right)
    py_compile.compile(str(sub / "helper2.py"), cfile=str(sub / "helper2.pyc"), doraise=True)
    (sub / "helper2.py").unlink()
    results = box.run(sub, [call("mod", "add", 2, 3), call("only", "add", 2, 3)])
    assert (results["mod.add"].status, results["mod.add"].value) == ("ok", 0)
    only = results["only.add"]
    assert only.status == "error" and "No module named 'helper2'" in only.message, only


def test_only_the_listed_files_are_staged(box: Sandbox, tmp_path: Path) -> None:
    """`files` (the files the content hash covers) is exactly what the child sees, beside
    the support files; nothing else of the folder is copied."""
    lister = "import os\n\ndef ls():\n    return sorted(os.path.join(d, f)[2:] for d, _, fs in os.walk('.') for f in fs)\n"
    sub = make_submission(tmp_path, {"lister.py": lister, "c.txt": "not listed"})
    (sub / "a").mkdir()
    (sub / "a/b.txt").write_text("listed")
    (sub / "__pycache__").mkdir()
    (sub / "__pycache__/x.pyc").write_bytes(b"junk")
    results = box.run(sub, [call("lister", "ls")], files=["lister.py", "a/b.txt", "../escape", "missing.txt"])
    assert results["lister.ls"].value == ["a/b.txt", "data.csv", "lister.py", "scaffold.py"]
    everything = box.run(sub, [call("lister", "ls")])["lister.ls"].value
    assert "c.txt" in everything and "__pycache__/x.pyc" in everything


RNG_MODULE = """import random
import numpy as np
import torch

AT_IMPORT = [random.random(), float(np.random.rand()), float(torch.rand(1))]


def draw():
    return {"random": random.random(), "numpy": float(np.random.rand()), "torch": float(torch.rand(1)),
            "order": list({"alpha", "beta", "gamma", "delta", "epsilon"}), "import": AT_IMPORT}
"""


@pytest.mark.slow  # > 10 s
def test_every_call_is_seeded_and_the_hash_seed_is_fixed(box: Sandbox, tmp_path: Path) -> None:
    """Issue 11 item 12: `random`, numpy's global generator and torch are seeded from the
    call's seed before the import and before every call, and the child's string hashes
    are fixed, so the values repeat across calls in one child and across zygotes."""
    sub = make_submission(tmp_path, {"rng.py": RNG_MODULE})
    calls = [call("rng", "draw", id="a"), call("rng", "draw", id="b"), ProbeCall("c", "rng", "call", {"module": "rng", "func": "draw", "args": [], "kwargs": {}}, FAST, seed=7)]
    first = box.run(sub, calls)
    assert all(r.status == "ok" for r in first.values()), first
    assert first["a"].value == first["b"].value  # the same draws, whatever ran before in this child
    assert first["c"].value["numpy"] != first["a"].value["numpy"]  # and the seed is what decides them
    isolation = "full" if "mount-ns" in box.layers else "basic"
    with Sandbox(probes_file=PROBES, support_files=SUPPORT, isolation=isolation) as other:  # a new zygote, as a new run has
        again = other.run(sub, calls)
    assert {k: r.value for k, r in again.items()} == {k: r.value for k, r in first.items()}
    with pytest.raises(ValueError, match="seed must be an int"):
        box.run(sub, [ProbeCall("d", "rng", "call", {}, seed=-1)])
