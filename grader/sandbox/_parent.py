"""The grader's side of the sandbox: starting (and restarting) the zygote, staging a
submission, sending requests, enforcing a last-resort deadline, and turning what comes
back into `CallResult`s after validating every byte the child produced.

Beside it: ``_zygote`` (the processes and uids it holds), ``_runs`` (a run's bookkeeping
and which files it stages), ``_frames`` (validating what a child sends back)."""

from __future__ import annotations

import itertools
import json
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

from ._child import codec, nbprobes, seeding
from ._child import notebook as nbfind
from ._types import CallResult, Limits, ProbeCall, SandboxError
from ._frames import _ChildView, _describe_death, decode_frame
from ._runs import _Batch, _ModuleRun, _Prepared, _Staged, _submission_files, _Unit
from ._zygote import _drain, _matplotlib_cache, _repo_root, _stop_all, _UidPool, _Zygote, _ZygoteLost

log = logging.getLogger("grader.sandbox")

_CHILD_DIR = Path(__file__).resolve().parent / "_child"
# Engine modules probes import, loaded by the zygote by file path under these names before
# the probes (nothing else of `grader` is importable in the child), and pinned like them.
TRUSTED_MODULES = {"probekit": Path(__file__).resolve().parent / "probekit.py"}
_BOOTSTRAP = (
    "import importlib.util, sys\n"
    "d = sys.argv[1]\n"
    "s = importlib.util.spec_from_file_location('_grader_sandbox_child', d + '/__init__.py', submodule_search_locations=[d])\n"
    "m = importlib.util.module_from_spec(s)\n"
    "sys.modules[s.name] = m\n"
    "s.loader.exec_module(m)\n"
    "from _grader_sandbox_child.zygote import main\n"
    "main(sys.argv[2])\n"
)
NO_NAMESPACES_ENV = "GRADER_SANDBOX_NO_NAMESPACES"
HASH_SEED = "0"  # PYTHONHASHSEED of the zygote, hence of every child
ALL_LAYERS = ("rlimits", "setsid", "pid-ns", "net-ns", "mount-ns", "uid", "seccomp", "landlock")
MAX_SUBMISSION_BYTES = 256 << 20
MAX_SUBMISSION_FILES = 10_000
# Files and folders a child may create in each of its tmpfs scratch mounts (/tmp, /dev/shm,
# and /sandbox on top of the submission's own): each inode costs the host ~1 KiB of kernel
# memory that no size= or rlimit counts, so 4096 bound it to a few MiB per mount.
TMPFS_INODES = 4096
_SETUP_SLACK_S = 60.0
_WARM = 2  # supervisors kept forked ahead of requests (the batch grader runs 2 at once)
_PASS_ENV_CUDA = ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "CUDA_HOME")


def _scratch_folder() -> Path:
    """A sandbox's own folder (the zygote's home and working folder, runs' stages)."""
    tmp = Path(tempfile.mkdtemp(prefix="grader-sandbox-"))
    os.chmod(tmp, 0o711)
    return tmp


def _pass_env(device: str) -> dict[str, str]:
    """The grader's environment variables a zygote (and its children) keep: CUDA's, on CUDA."""
    return {k: os.environ[k] for k in _PASS_ENV_CUDA if k in os.environ} if device == "cuda" else {}


def _spawn(python: str, device: str, tmp: Path) -> tuple[subprocess.Popen[bytes], socket.socket]:
    """Start a zygote process in `tmp`, with an environment built from nothing, and return
    it with its control socket. It imports its libraries at once, then waits for its
    configuration on that socket (`_child.zygote.main`)."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(tmp),
        "TMPDIR": str(tmp),
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "PYTHONHASHSEED": HASH_SEED,  # the same str/bytes hashes (set and dict orders) in every child, every run
        "MPLCONFIGDIR": _matplotlib_cache(tmp),
        **_pass_env(device),
    }
    if device == "cuda":
        env["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    try:
        proc = subprocess.Popen(
            # -s -P rather than -I: -I would also ignore PYTHONHASHSEED; the environment
            # is built here from nothing, so no other PYTHON* variable reaches it. -B: the
            # zygote loads the rubric's probes and support modules from the course's (or a
            # student kit's) folder and must leave no __pycache__ there
            [python, "-B", "-s", "-P", "-c", _BOOTSTRAP, str(_CHILD_DIR), str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env=env,
            cwd=tmp,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return proc, ours


class _Spawned:
    """A zygote process started ahead of its Sandbox (`prespawn`), with its folder."""

    def __init__(self, python: str, device: str) -> None:
        self.python, self.device = python, device
        self.tmp = _scratch_folder()
        try:
            self.proc, self.control = _spawn(python, device, self.tmp)
        except BaseException:
            shutil.rmtree(self.tmp, ignore_errors=True)
            raise
        # one never taken over is stopped and its folder removed (at the latest at exit)
        self.finalizer = weakref.finalize(self, _stop_spawned, self.proc, self.control, self.tmp)


def _stop_spawned(proc: subprocess.Popen[bytes], control: socket.socket, tmp: Path) -> None:
    control.close()
    if proc.poll() is None:
        proc.kill()  # it has forked nothing yet: no child to leave behind
        proc.wait()
    shutil.rmtree(tmp, ignore_errors=True)


_PRESPAWNED: list[_Spawned] = []
_PRESPAWNED_LOCK = threading.Lock()


def prespawn(*, device: str, python: Path | None = None) -> None:
    """Start a zygote process now, before the rubric (probes, support files, limits) is
    known: its imports (numpy and torch, over a second) then overlap the grader's own
    start-up (issue 20: a cold `grade` close to a bare torch import). The next Sandbox this
    process starts with this device and interpreter takes it over and configures it as it
    would a new one (the same configuration, self-test and checks before any student's
    code); one that none takes over is stopped by `discard_prespawned`, or at exit."""
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
    spawned = _Spawned(str(python or sys.executable), device)
    with _PRESPAWNED_LOCK:
        _PRESPAWNED.append(spawned)


def discard_prespawned() -> None:
    """Stop the zygotes started ahead that no Sandbox took over."""
    with _PRESPAWNED_LOCK:
        spawned = list(_PRESPAWNED)
        _PRESPAWNED.clear()
    for s in spawned:
        s.finalizer()


def _take_prespawned(python: str, device: str) -> _Spawned | None:
    """A zygote started ahead for this interpreter and device, still alive, now this
    caller's (no longer stopped at exit but by its Sandbox); None when there is none."""
    with _PRESPAWNED_LOCK:
        for s in list(_PRESPAWNED):
            if s.python == python and s.device == device:
                _PRESPAWNED.remove(s)
                if s.proc.poll() is None:
                    s.finalizer.detach()
                    return s
                s.finalizer()
    return None


class Sandbox:
    """Runs trusted probes on untrusted student code in isolated, forked children.

    See the package docstring for the design; `layers` and `fallback_note` say what
    isolation is actually in place on this machine.
    """

    def __init__(
        self,
        *,
        probes_file: Path,
        support_files: dict[str, Path],
        device: str = "cpu",
        isolation: Literal["auto", "full", "basic"] = "auto",
        default_limits: Limits = Limits(),
        max_restarts: int = 3,
        python: Path | None = None,
        startup_timeout_s: float = 180.0,
        collapse_memory: bool = True,
        packages: Sequence[str] | None = None,
        preimport: Sequence[str] = (),
        notebooks: Mapping[str, Mapping[str, Any]] | None = None,
        private_paths: Sequence[str] = (),
    ) -> None:
        probes = Path(probes_file).resolve()
        if not probes.is_file():
            raise FileNotFoundError(f"probes file not found: {probes_file}")
        if device not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {device!r}")
        if isolation not in ("auto", "full", "basic"):
            raise ValueError(f"isolation must be 'auto', 'full' or 'basic', got {isolation!r}")
        if not isinstance(default_limits, Limits):
            raise TypeError("default_limits must be a Limits")
        support: dict[str, Path] = {}
        for name, path in support_files.items():
            if not name or "/" in name or name in (".", "..") or name.startswith("."):
                raise ValueError(f"support file name must be a plain file name, got {name!r}")
            resolved = Path(path).resolve()
            if not resolved.is_file():
                raise FileNotFoundError(f"support file {name!r} not found: {path}")
            support[name] = resolved
        self._probes_file = probes
        self._support = support
        self._device = device
        self._isolation = isolation
        self._defaults = default_limits
        self._max_restarts = max_restarts
        self._python = str(python or sys.executable)
        self._startup_timeout = startup_timeout_s
        # Huge pages in the zygote (MADV_COLLAPSE) cost about 0.46 s once and save about
        # 11 ms of CPU per submission (a supervisor and a child forked and ended), measured
        # on a 2-core machine: worth it from some 40 submissions on, so for a class, not
        # for one submission.
        self._collapse = collapse_memory
        # The students' environment: the top-level packages their code may import (None:
        # whatever is installed), the modules the zygote imports once for every child, and
        # the modules graded by running them as notebooks (with their per-cell limits).
        self._packages = sorted(set(packages)) if packages is not None else None
        self._preimport = list(dict.fromkeys(preimport))
        self._notebooks = {str(k): dict(v) for k, v in (notebooks or {}).items()}
        # more folders no child may see, e.g. the caller's working folder read before this
        # sandbox started in a thread (the caller may change folder meanwhile)
        self._private_extra = [str(p) for p in private_paths]
        self._no_namespaces = os.environ.get(NO_NAMESPACES_ENV, "") not in ("", "0")
        if isolation == "full" and self._no_namespaces:
            raise SandboxError(f"isolation='full' was asked for, but {NO_NAMESPACES_ENV} is set")
        self._uids = _UidPool()
        self._lock = threading.Lock()
        self._counter = itertools.count()
        self._generation = 0
        spawned = _take_prespawned(self._python, device)
        self._tmp = spawned.tmp if spawned is not None else _scratch_folder()
        self._holder: list[_Zygote | None] = [None]
        self._finalizer = weakref.finalize(self, _stop_all, self._holder, self._tmp)
        zygote = self._holder[0] = self._start(spawned)
        self._ready = zygote.ready
        if self.fallback_note:
            # info, not a warning: a student's run of the kit (or its CI log) is no place for
            # it; the engine keeps it in the results' staff notes and class mode prints it
            log.info("%s", self.fallback_note)

    # ------------------------------------------------------------------ properties

    @property
    def layers(self) -> list[str]:
        """The isolation layers every child actually runs under (verified at start-up by
        a self-test child), in a fixed order."""
        active = set(self._ready["layers"])
        return [layer for layer in (*ALL_LAYERS, "caps") if layer in active]

    @property
    def cuda_error(self) -> str | None:
        """On CUDA: why a GPU matrix product failed inside a self-test child (None when it
        worked, and always None on the CPU). Grading on CUDA then would fail every GPU check."""
        error = self._ready.get("cuda_error")
        return str(error) if error else None

    @property
    def fallback_note(self) -> str | None:
        """One line saying what is missing and why, when isolation is degraded."""
        missing: dict[str, str] = {k: v for k, v in self._ready["missing"].items() if k in ALL_LAYERS}
        if not missing:
            return None
        by_reason: dict[str, list[str]] = {}
        scratch = re.compile(re.escape(str(self._tmp)) + r"[^\s'\")\]]*")
        for layer in ALL_LAYERS:
            if layer in missing:
                # the same words on every run: results quote this note and must be reproducible
                reason = scratch.sub("<sandbox scratch folder>", missing[layer])
                by_reason.setdefault(reason, []).append(layer)
        gaps = "; ".join(f"{', '.join(layers)} ({reason})" for reason, layers in by_reason.items())
        return f"sandbox isolation is reduced: active layers {', '.join(self.layers)}; missing {gaps}"

    @property
    def probes(self) -> list[str]:
        """The probe names the probes module defines."""
        return list(self._ready["probes"])

    @property
    def uids(self) -> range:
        """The block of uids this sandbox's children may run as."""
        return range(self._uids.base, self._uids.base + self._uids.SIZE)

    # ------------------------------------------------------------------ zygote

    def _start(self, spawned: _Spawned | None = None) -> _Zygote:
        """A zygote configured for this sandbox: `spawned` (started ahead, `prespawn`)
        or a new one; either way it is sent its configuration, runs its self-test and says
        it is ready (or why not) before any request."""
        repo = _repo_root()
        secret = {str(self._probes_file.parent), *(str(p.parent) for p in self._support.values())}
        private = {str(Path.home()), tempfile.gettempdir(), os.getcwd(), "/root", "/home", str(self._tmp), *self._private_extra}
        if repo is not None:
            secret |= {str(repo / "assignments"), str(repo / "rubrics"), str(repo / "results")}
            private.add(str(repo))
        selftest_dir = Path(tempfile.mkdtemp(prefix="selftest-", dir=self._tmp))
        os.chmod(selftest_dir, 0o711)
        selftest_uid = self._uids.acquire()
        config = {
            "probes_file": str(self._probes_file),
            "trusted_modules": {name: str(path) for name, path in TRUSTED_MODULES.items()},
            "support_modules": {n[:-3]: str(p) for n, p in self._support.items() if n.endswith(".py") and n[:-3].isidentifier()},
            "support_names": sorted(self._support),
            "device": self._device,
            "isolation": self._isolation,
            "no_namespaces": self._no_namespaces,
            "secret": sorted(secret),
            "private": sorted(private),
            "selftest_dir": str(selftest_dir),
            "selftest_uid": selftest_uid,
            "warm": _WARM,
            "collapse": self._collapse,
            "packages": self._packages,
            "preimport": self._preimport,
            "notebooks": self._notebooks,
            "pass_env": _pass_env(self._device),
        }
        try:
            proc, ours = (spawned.proc, spawned.control) if spawned is not None else _spawn(self._python, self._device, self._tmp)
        except BaseException:
            self._uids.release(selftest_uid, reusable=False)
            shutil.rmtree(selftest_dir, ignore_errors=True)
            raise
        try:
            try:
                ours.sendall(json.dumps(config).encode())
            except (BrokenPipeError, ConnectionResetError):
                pass  # the zygote ended before reading it: what it said, or its exit status, says why (below)
            ours.settimeout(self._startup_timeout)
            try:
                data = ours.recv(1 << 16)
            except socket.timeout:
                data = b""
            if not data:
                proc.kill()
                proc.wait()
                raise SandboxError(f"the sandbox's zygote did not start (exit status {proc.returncode})")
            ready = json.loads(data)
            if not ready.get("ok"):
                proc.wait()
                raise SandboxError(f"the sandbox's zygote failed to start:\n{ready.get('error', '')}")
            ours.settimeout(None)
        except BaseException:
            ours.close()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            raise
        finally:
            self._uids.release(selftest_uid, reusable=False)
            shutil.rmtree(selftest_dir, ignore_errors=True)
        return _Zygote(proc, ours, ready)

    def _restart(self, generation: int) -> None:
        with self._lock:
            if self._holder[0] is None:
                raise SandboxError("the sandbox is closed")
            if generation != self._generation:
                return  # another thread already restarted it
            old = self._holder[0]
            old.stop()
            log.warning("sandbox: the zygote was lost; starting a new one")
            self._holder[0] = self._start()
            self._ready = self._holder[0].ready
            self._generation += 1

    @property
    def zygote_pid(self) -> int | None:
        zygote = self._holder[0]
        return zygote.proc.pid if zygote is not None else None

    def close(self) -> None:
        """Stop the zygote (and with it every child) and remove the sandbox's files."""
        with self._lock:
            self._finalizer()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Sandbox(probes_file={str(self._probes_file)!r}, device={self._device!r}, layers={self.layers})"

    # ------------------------------------------------------------------ running

    def _prepare(self, calls: Sequence[ProbeCall]) -> list[_Prepared]:
        seen: set[str] = set()
        prepared = []
        for call in calls:
            if not isinstance(call, ProbeCall):
                raise TypeError(f"expected ProbeCall, got {type(call).__name__}")
            if not isinstance(call.id, str) or not call.id or call.id in seen:
                raise ValueError(f"probe call ids must be unique non-empty strings: {call.id!r}")
            seen.add(call.id)
            if not isinstance(call.module, str) or not call.module.isidentifier():
                raise ValueError(f"call {call.id}: module must be a module name like 'lab1', got {call.module!r}")
            if call.probe not in self._ready["probes"] and call.probe not in nbprobes.BUILTIN:
                raise ValueError(f"call {call.id}: probe {call.probe!r} is not defined in {self._probes_file}")
            if not isinstance(call.args, dict):
                raise TypeError(f"call {call.id}: args must be a dict")
            if type(call.seed) is not int or not 0 <= call.seed < seeding.MAX_SEED:
                raise ValueError(f"call {call.id}: seed must be an int in [0, 2**32), got {call.seed!r}")
            try:
                tree, arrays = codec.encode(call.args, max_bytes=1 << 30)
            except codec.CodecError as exc:
                raise ValueError(f"call {call.id}: args are not plain data: {exc}") from None
            prepared.append(_Prepared(call, call.limits or self._defaults, tree, arrays))
        return prepared

    def run(
        self, submission_dir: Path, calls: Sequence[ProbeCall], *, files: Sequence[str] | None = None
    ) -> dict[str, CallResult]:
        """Run every call on the student's code in `submission_dir`; one result per call
        id, in the order of `calls`. Safe to call from several threads at once.

        `files`: the submission's files (relative POSIX paths) to stage, exactly those its
        content hash covers (`Submission.files`), so that what runs is what was graded:
        nothing the grader ignores (a hidden `__pycache__/`, `.git/`) reaches the child.
        Without it, every regular file under the folder is staged."""
        if self._holder[0] is None:
            raise SandboxError("the sandbox is closed")
        source = Path(submission_dir)
        if not source.is_dir():
            raise NotADirectoryError(f"not a submission folder: {submission_dir}")
        prepared = self._prepare(list(calls))
        run_dir = Path(tempfile.mkdtemp(prefix="run-", dir=self._tmp))
        os.chmod(run_dir, 0o711)
        results: dict[str, CallResult] = {}
        try:
            problem, staged = self._stage(source, run_dir, files)
            modules: dict[str, list[_Prepared]] = {}
            for p in prepared:
                modules.setdefault(p.call.module, []).append(p)
            units = []
            for module, group in modules.items():
                work = run_dir / "stage/work"
                if module in self._notebooks:  # found as the child will find it (its `files` patterns too)
                    listing = [p.name for p in work.iterdir() if p.is_file()] if work.is_dir() else []
                    file = nbfind.find_notebook(listing, module, self._notebooks[module].get("files") or [])[0]
                else:
                    file = next((f"{module}{ext}" for ext in (".py", ".ipynb") if (work / f"{module}{ext}").is_file()), None)
                if problem is not None:
                    for p in group:
                        results[p.call.id] = CallResult(p.call.id, "error", message=problem)
                elif file is None:
                    for p in group:
                        results[p.call.id] = CallResult(p.call.id, "missing", message=f"not submitted: {module}.py (or {module}.ipynb)")
                else:
                    units.append(_Unit(module, file, group))
            self._run_units(run_dir, units, staged, results)
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)
        view = _ChildView(run_dir, self._tmp)
        return {p.call.id: view.result(results[p.call.id]) for p in prepared}

    def _stage(self, source: Path, run_dir: Path, files: Sequence[str] | None) -> tuple[str | None, _Staged]:
        """Copy the submission's regular files (no links, devices or sockets; only `files`
        when given) and the support files into the run's folder; returns (problem, what
        was staged)."""
        work, support = run_dir / "stage/work", run_dir / "stage/support"
        work.mkdir(parents=True)
        support.mkdir()
        staged = _Staged(bytes=0, inodes=1)
        too_large = (
            f"the submission is too large to run (more than {MAX_SUBMISSION_BYTES >> 20} MB or {MAX_SUBMISSION_FILES} files)"
        )
        count = 0
        for path, rel in _submission_files(source, files):
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            staged.bytes += info.st_size
            staged.inodes += 1
            count += 1
            if staged.bytes > MAX_SUBMISSION_BYTES or count > MAX_SUBMISSION_FILES:
                return too_large, staged
            target = work.joinpath(*rel)
            for depth in range(1, len(rel)):
                folder = work.joinpath(*rel[:depth])
                if not folder.is_dir():
                    folder.mkdir()
                    staged.inodes += 1
            shutil.copyfile(path, target, follow_symlinks=False)
        for name, support_path in self._support.items():
            shutil.copyfile(support_path, support / name)
            if not (work / name).exists():
                staged.inodes += 1
            shutil.copyfile(support_path, work / name)
            staged.bytes += support_path.stat().st_size
        return None, staged

    def _run_units(self, run_dir: Path, units: list[_Unit], staged: _Staged, results: dict[str, CallResult]) -> None:
        """Every module's calls, as few children as the limits and failures allow: one
        child runs the modules in order, each imported fresh, for as long as their calls
        share the process limits. A call that kills the child costs only its module's
        remaining calls a fresh child (restart-and-skip, up to max_restarts times per
        module); the modules after it go on in another fresh child, as if nothing happened."""
        units = [u for u in units if u.calls]
        while units:
            head = units[0]
            if head.deaths > self._max_restarts:
                for p in head.calls:
                    results[p.call.id] = CallResult(
                        p.call.id,
                        "skipped",
                        message=f"not run: {head.file} already crashed or timed out {head.deaths} times in this submission",
                    )
                units.pop(0)
                continue
            key = head.calls[0].limits.process_key()
            batch: list[_Unit] = []
            for unit in units:
                if unit.deaths > self._max_restarts:
                    break
                take = list(itertools.takewhile(lambda p: p.limits.process_key() == key, unit.calls))  # noqa: B023 - used at once
                if not take:
                    break
                batch.append(_Unit(unit.module, unit.file, take))
                if len(take) < len(unit.calls):
                    break
            done = self._run_batch(run_dir, batch, staged)
            for number, (unit, ran, outcome) in enumerate(zip(units, batch, done.outcomes)):
                stopped_here = done.stopped == number
                if outcome.import_failure is not None:
                    for p in unit.calls:
                        results[p.call.id] = replace(outcome.import_failure, id=p.call.id)
                    unit.calls = []
                else:
                    results.update(outcome.results)
                    unit.calls = unit.calls[len(outcome.results) :]
                    if stopped_here and not done.retired:
                        unit.deaths += 1
                    # a probe that ran out of time once is not tried again on this submission:
                    # a hang costs one timeout, and the module's other functions still get run
                    hung = {p.call.probe for p in ran.calls if p.call.id in outcome.results and outcome.results[p.call.id].status == "timeout"}
                    if hung:
                        for p in [p for p in unit.calls if p.call.probe in hung]:
                            results[p.call.id] = CallResult(
                                p.call.id,
                                "skipped",
                                message=f"not run: an earlier call of {p.call.probe} on {unit.file} ran out of time",
                            )
                        unit.calls = [p for p in unit.calls if p.call.probe not in hung]
                if stopped_here:
                    break
            units = [u for u in units if u.calls]

    def _run_batch(self, run_dir: Path, batch: list[_Unit], staged: _Staged) -> _Batch:
        failure = ""
        for attempt in range(2):
            generation = self._generation
            try:
                return self._request(run_dir, batch, staged)
            except _ZygoteLost as exc:
                failure = str(exc)
                if attempt == 0:
                    self._restart(generation)
        message = f"the sandbox failed twice to run this call: {failure}"
        first = batch[0].calls[0].call.id
        outcomes = [_ModuleRun(results={first: CallResult(first, "crashed", message=message)}, died=True)]
        return _Batch(outcomes=outcomes + [_ModuleRun() for _ in batch[1:]], stopped=0)

    def _plan(self, run_dir: Path, batch: list[_Unit], staged: _Staged, uid: int | None) -> tuple[dict[str, Any], list[bytes]]:
        first = batch[0].calls[0].limits  # every call of the batch shares its process limits
        tag = f"c{next(self._counter)}"
        attachments: list[bytes] = []
        groups = []
        cpu_total = 1.0
        for unit in batch:
            calls = []
            for p in unit.calls:
                calls.append(
                    {
                        "id": p.call.id,
                        "probe": p.call.probe,
                        "args": p.tree,
                        "attach": [len(attachments), len(p.arrays)],
                        "wall_s": p.limits.wall_s,
                        "cpu_s": p.limits.cpu_s,
                        "output_bytes": p.limits.output_bytes,
                        "result_bytes": p.limits.result_bytes,
                        "seed": p.call.seed,
                    }
                )
                attachments += p.arrays
            imports = unit.calls[0].limits
            import_wall, import_cpu = imports.wall_s, imports.cpu_s
            if unit.module in self._notebooks:  # the import is the whole notebook's run
                import_wall = import_cpu = float(self._notebooks[unit.module].get("wall_s", 600.0))
            groups.append({
                "module": unit.module,
                "nonce": secrets.token_hex(16),
                "import": {"wall_s": import_wall, "cpu_s": import_cpu, "output_bytes": imports.output_bytes, "result_bytes": 1 << 20},
                "calls": calls,
            })
            cpu_total += import_cpu + sum(p.limits.cpu_s for p in unit.calls)
        scratch_mb = max(64, 2 * first.file_size_mb)
        plan = {
            "nonce": secrets.token_hex(16),
            "uid": uid,
            "stage_work": str(run_dir / "stage/work"),
            "stage_support": str(run_dir / "stage/support"),
            "root_dir": str(run_dir / f"{tag}-root"),
            "child_dir": str(run_dir / tag),
            "run_dir": str(run_dir),
            "limits": {"memory_mb": first.memory_mb, "file_size_mb": first.file_size_mb, "nproc": first.nproc, "nofile": first.nofile},
            "groups": groups,
            "cpu_total": cpu_total,
            "tmp_mb": scratch_mb,
            "work_mb": (staged.bytes >> 20) + scratch_mb,
            "tmp_inodes": TMPFS_INODES,
            "work_inodes": staged.inodes + TMPFS_INODES,
        }
        return plan, attachments

    def _request(self, run_dir: Path, batch: list[_Unit], staged: _Staged) -> _Batch:
        uid = self._uids.acquire() if "uid" in self._ready["layers"] else None
        plan, attachments = self._plan(run_dir, batch, staged, uid)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        done = _Batch(outcomes=[_ModuleRun() for _ in batch])
        handed_off = False
        try:
            with self._lock:
                zygote = self._holder[0]
                if zygote is None:
                    raise SandboxError("the sandbox is closed")
                if not zygote.alive():
                    raise _ZygoteLost(f"the zygote exited (status {zygote.proc.returncode})")
                try:
                    socket.send_fds(zygote.control, [b'{"op":"run"}'], [theirs.fileno()])
                except OSError as exc:
                    raise _ZygoteLost(f"the zygote does not listen ({exc})") from None
            theirs.close()
            budget = sum(u.calls[0].limits.wall_s + sum(p.limits.wall_s for p in u.calls) for u in batch) + _SETUP_SLACK_S
            ours.settimeout(budget)
            try:
                ours.sendall(codec.pack_message(plan, *attachments))
            except OSError as exc:
                raise _ZygoteLost(f"no supervisor took the request ({exc})") from None
            supervisor = self._collect(ours, zygote, batch, time.monotonic() + budget, done)
            if supervisor is not None:
                # Every result is in: let the child's teardown (its PID namespace dying,
                # the reaping) finish off the caller's path, and free the uid only then.
                threading.Thread(target=_drain, args=(ours, supervisor, self._uids, uid), daemon=True).start()
                handed_off = True
        finally:
            theirs.close()
            if not handed_off:
                ours.close()
                if uid is not None:
                    self._uids.release(uid, reusable=done.clean)
        return done

    def _collect(self, conn: socket.socket, zygote: _Zygote, batch: list[_Unit], deadline: float, done: _Batch) -> int | None:
        """Read the supervisor's messages into `done` until it ends (None), or until
        nothing more can come for this batch: then the supervisor's pid, so that the
        caller can wait for the end in the background."""
        supervisor_pid: int | None = None
        notes: list[tuple[str, ...]] = [() for _ in batch]
        every = [p for u in batch for p in u.calls]
        cap = 8 * max(p.limits.output_bytes for p in every) + (1 << 16)
        size = max(cap, max(p.limits.result_bytes for p in every) + (2 << 20))

        def current() -> int | None:
            """The first module whose results are not all in."""
            return next((g for g, (u, o) in enumerate(zip(batch, done.outcomes)) if not o.complete(len(u.calls))), None)

        while True:
            conn.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                message, attachments = codec.recv_message(conn, max_bytes=size)
            except (EOFError, OSError, ValueError) as exc:
                timed_out = isinstance(exc, socket.timeout)
                if supervisor_pid is None:
                    raise _ZygoteLost("the zygote did not start a supervisor") from None
                if not timed_out and not zygote.alive():  # supervisors die with their zygote
                    raise _ZygoteLost("the zygote died during the run") from None
                if timed_out:
                    try:
                        os.kill(supervisor_pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                g = current()
                if g is not None:
                    outcome, calls = done.outcomes[g], batch[g].calls
                    what = "did not answer in time" if timed_out else f"failed ({type(exc).__name__})"
                    call = calls[len(outcome.results)].call
                    outcome.results[call.id] = CallResult(call.id, "timeout" if timed_out else "crashed", message=f"the sandbox {what}")
                    outcome.died = True
                    done.stopped = g
                return None
            kind = message.get("t")
            group = message.get("group", 0)
            if kind in ("frame", "died", "retired") and not (type(group) is int and 0 <= group < len(batch)):
                continue  # the supervisor is trusted; this is only a guard against a bug there
            if kind == "started":
                supervisor_pid = int(message["pid"])
            elif kind == "setup":
                if not message.get("ok") or message.get("layers") != self._ready["layers"]:
                    error = message.get("error") or f"layers {message.get('layers')} instead of {self._ready['layers']}"
                    for outcome in done.outcomes:
                        outcome.import_failure = CallResult("", "crashed", message=f"the sandbox could not be set up: {error}")
            elif kind == "frame":
                notes[group] = self._on_frame(message, attachments, batch[group].file, batch[group].calls, done.outcomes[group], notes[group])
            elif kind == "died":
                self._on_death(message, batch[group].file, batch[group].calls, done.outcomes[group], notes[group])
                done.stopped = group
            elif kind == "retired":
                done.stopped, done.retired = group, True
                log.debug("sandbox: the child ended before %s: %s", batch[group].file, message.get("why", ""))
            elif kind == "error":
                g = current()
                if g is not None:
                    outcome, calls = done.outcomes[g], batch[g].calls
                    call = calls[len(outcome.results)].call
                    outcome.results[call.id] = CallResult(call.id, "crashed", message=f"the sandbox's supervisor failed: {message.get('error')}")
                    outcome.died = True
                    done.stopped = g
            elif kind == "end":
                done.clean = True
                return None
            if (done.stopped is not None or current() is None) and supervisor_pid is not None:
                return supervisor_pid

    def _on_frame(
        self,
        message: dict[str, Any],
        attachments: list[bytes],
        file: str,
        batch: list[_Prepared],
        outcome: _ModuleRun,
        notes: tuple[str, ...],
    ) -> tuple[str, ...]:
        phase = int(message["phase"])
        tail = message.get("out", "")
        head, blob = (attachments + [b"", b""])[:2]
        if outcome.import_failure is not None:
            return notes
        if phase < 0:
            try:
                frame = decode_frame(head, blob, kind="import", call_id=None)
            except Exception as exc:  # noqa: BLE001 - CodecError, or anything else the bytes caused: the module's failure
                reason = str(exc) if isinstance(exc, codec.CodecError) else type(exc).__name__
                outcome.import_failure = CallResult("", "bad_output", message=f"{file}: the sandboxed process sent a malformed reply ({reason})", stdout_tail=tail)
                return notes
            if frame["status"] != "ok":
                outcome.import_failure = CallResult(
                    "", frame["status"], message=frame["message"], traceback=frame["traceback"], stdout_tail=tail, limit=frame["limit"], notes=frame["notes"]
                )
                return notes
            outcome.import_tail = tail
            return tuple(frame["notes"])
        if phase != len(outcome.results) or phase >= len(batch):
            return notes
        call = batch[phase].call
        if phase == 0:
            tail = outcome.import_tail + tail
        try:
            frame = decode_frame(head, blob, kind="call", call_id=call.id)
        except codec.CodecError as exc:
            outcome.results[call.id] = CallResult(call.id, "bad_output", message=f"the sandboxed process sent back a malformed result ({exc})", stdout_tail=tail, notes=notes)
            return notes
        except Exception as exc:  # noqa: BLE001 - whatever the bytes did to the decoder, it is this call's result
            log.warning("sandbox: decoding the result of %s raised %s", call.id, type(exc).__name__, exc_info=True)
            outcome.results[call.id] = CallResult(
                call.id, "bad_output", message=f"the sandboxed process sent back a result that could not be read ({type(exc).__name__})", stdout_tail=tail, notes=notes
            )
            return notes
        message_text = frame["message"]
        outcome.results[call.id] = CallResult(
            call.id,
            frame["status"],
            value=frame["value"],
            message=message_text,
            traceback=frame["traceback"],
            stdout_tail=tail,
            limit=frame["limit"],
            notes=notes,
        )
        return notes

    def _on_death(self, message: dict[str, Any], file: str, batch: list[_Prepared], outcome: _ModuleRun, notes: tuple[str, ...]) -> None:
        if outcome.import_failure is not None:
            return
        phase = int(message.get("phase", -1))
        reason, detail = str(message.get("reason", "")), str(message.get("detail", ""))
        tail = message.get("out", "")
        limits = batch[max(phase, 0)].limits
        status, text, limit = _describe_death(reason, detail, file=file, phase=phase, limits=limits)
        if phase < 0:
            outcome.import_failure = CallResult("", status, message=text, stdout_tail=tail, limit=limit)  # type: ignore[arg-type]
            return
        if phase != len(outcome.results) or phase >= len(batch):
            return
        call = batch[phase].call
        outcome.results[call.id] = CallResult(call.id, status, message=text, stdout_tail=tail, limit=limit, notes=notes)  # type: ignore[arg-type]
        outcome.died = True
