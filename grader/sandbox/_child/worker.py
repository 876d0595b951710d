"""The child that runs student code: it isolates itself, imports the student's module,
runs the probe calls and writes one frame of plain data per phase to its result pipe.

Forked by a supervisor (which is forked by the zygote). Until the setup pipe is closed,
only this trusted code runs; the supervisor treats what comes over the setup pipe as the
truth about the layers in place. After that, the process may be the student's in every
respect: it can overwrite anything in its own memory, so the frames it sends are judged by
the grader as untrusted bytes, and they can only ever carry this child's own values.
"""

from __future__ import annotations

import errno
import fcntl
import io
import json
import os
import resource
import select
import shutil
import signal
import sys
import tempfile
import types
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import numpy as np

from . import (
    codec,
    environment,
    landlock,
    nbprobes,
    peek,
    pinning,
    seccomp,
    seeding,
    sourceonly,
    syscalls,
)
from .student import ProbeContext
from .studentcode import classify, describe_exception

SETUP_FAILED = 70
CHANNEL_FAILED = 71

# File descriptors in the child, after setup: 0 /dev/null, 1 and 2 the output pipe.
SETUP_FD, RESULT_FD, LIFELINE_FD, PLAN_FD = 3, 4, 5, 6

DEVICES_RW = ("null", "zero", "full")
DEVICES_RO = ("random", "urandom")
# In the mount namespace the student's view is a fresh tmpfs root holding only these.
VIEW_WORK = "/sandbox"
VIEW_SUPPORT = "/support"
VIEW_TMP = "/tmp"
# Inode caps of the tmpfs mounts that are read-only once the view is built (the scratch
# mounts' caps come in the plan): every tmpfs is bounded in files as well as bytes.
ROOT_INODES = 4096  # folders for the read-only binds, mount points, a few links
DEV_INODES = 256  # a few device nodes and links


def _memory_now() -> tuple[int, int]:
    """(address space, data segment) of this process in bytes, from /proc/self/statm
    (much cheaper to read than /proc/self/status). Read as bytes: a text codec imported
    here would be the one module a child imports before its state is taken."""
    with open("/proc/self/statm", "rb") as fh:
        fields = fh.read().split()
    page = os.sysconf("SC_PAGE_SIZE")
    return int(fields[0]) * page, int(fields[5]) * page


def _copy_tree(src: str, dst: str, uid: int | None) -> None:
    """Copy the staged submission (regular files and folders only) to `dst`, owned by uid."""
    for dirpath, dirnames, filenames in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target = dst if rel == "." else os.path.join(dst, rel)
        if rel != ".":
            os.mkdir(target, 0o755)
        if uid is not None:
            os.chown(target, uid, uid)
        for name in filenames:
            shutil.copyfile(os.path.join(dirpath, name), os.path.join(target, name))
            if uid is not None:
                os.chown(os.path.join(target, name), uid, uid)
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]


def _bind(source: str, target: str, *, read_only: bool) -> None:
    if os.path.isdir(source):
        os.makedirs(target, 0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
        with open(target, "w"):
            pass
    syscalls.mount(source, target, None, syscalls.MS_BIND)
    if read_only:
        flags = syscalls.MS_BIND | syscalls.MS_REMOUNT | syscalls.MS_RDONLY | syscalls.MS_NOSUID | syscalls.MS_NODEV
        syscalls.mount(None, target, None, flags)


def _build_view(plan: Mapping[str, Any], uid: int | None) -> None:
    """Give this mount namespace a new root: a tmpfs holding read-only binds of the system
    and Python folders, a private /proc, /dev (a few devices), /tmp, /dev/shm, the
    student's working copy at /sandbox and the support files at /support. Every tmpfs
    has an inode cap (nr_inodes) beside its size: files, not only bytes, cost the host."""
    root = plan["root_dir"]
    os.makedirs(root, 0o700, exist_ok=True)
    syscalls.mount(None, "/", None, syscalls.MS_REC | syscalls.MS_PRIVATE)
    nosuid_nodev = syscalls.MS_NOSUID | syscalls.MS_NODEV
    syscalls.mount("tmpfs", root, "tmpfs", nosuid_nodev, f"size=4m,nr_inodes={ROOT_INODES},mode=0755")
    scratch = nosuid_nodev | syscalls.MS_NOEXEC
    # the private /tmp first: an interpreter or venv that lives under the host's /tmp
    # (a CI checkout in /tmp) is then bound read-only inside it instead of colliding
    os.mkdir(root + VIEW_TMP)
    syscalls.mount("tmpfs", root + VIEW_TMP, "tmpfs", scratch, f"size={plan['tmp_mb']}m,nr_inodes={plan['tmp_inodes']},mode=1777")
    for path in plan["ro_paths"]:
        _bind(path, root + path, read_only=True)
    for link, target in plan["root_links"]:
        os.symlink(target, root + link)
    dev = root + "/dev"
    os.mkdir(dev, 0o755)
    syscalls.mount("tmpfs", dev, "tmpfs", syscalls.MS_NOSUID | syscalls.MS_NOEXEC, f"size=64k,nr_inodes={DEV_INODES},mode=0755")
    for name in DEVICES_RW + DEVICES_RO + tuple(plan.get("extra_devices", ())):
        _bind("/dev/" + name, f"{dev}/{name}", read_only=False)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")
    os.mkdir(dev + "/shm")
    syscalls.mount("tmpfs", dev + "/shm", "tmpfs", scratch, f"size={plan['tmp_mb']}m,nr_inodes={plan['tmp_inodes']},mode=1777")
    syscalls.mount(None, dev, None, syscalls.MS_REMOUNT | syscalls.MS_BIND | syscalls.MS_RDONLY | syscalls.MS_NOSUID | syscalls.MS_NOEXEC)
    os.mkdir(root + "/proc")
    syscalls.mount("proc", root + "/proc", "proc", scratch)
    os.mkdir(root + VIEW_WORK)
    owner = f",uid={uid},gid={uid}" if uid is not None else ""
    syscalls.mount("tmpfs", root + VIEW_WORK, "tmpfs", nosuid_nodev, f"size={plan['work_mb']}m,nr_inodes={plan['work_inodes']},mode=0755{owner}")
    _copy_tree(plan["stage_work"], root + VIEW_WORK, uid)
    _bind(plan["stage_support"], root + VIEW_SUPPORT, read_only=True)
    os.chdir(root)
    syscalls.pivot_root(".", ".")
    syscalls.umount2(".", syscalls.MNT_DETACH)
    os.chdir("/")
    syscalls.mount(None, "/", None, syscalls.MS_REMOUNT | syscalls.MS_BIND | syscalls.MS_RDONLY | nosuid_nodev)


def _set_rlimits(limits: Mapping[str, Any], *, cpu_total: float, device: str) -> None:
    memory = int(limits["memory_mb"]) << 20
    space, data = _memory_now()
    if device == "cuda":  # CUDA reserves huge PROT_NONE ranges: bound writable memory instead
        resource.setrlimit(resource.RLIMIT_DATA, (data + memory, data + memory))
    else:
        resource.setrlimit(resource.RLIMIT_AS, (space + memory, space + memory))
    cpu = max(1, int(cpu_total + 0.999))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    size = int(limits["file_size_mb"]) << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_NPROC, (int(limits["nproc"]), int(limits["nproc"])))
    resource.setrlimit(resource.RLIMIT_NOFILE, (int(limits["nofile"]), int(limits["nofile"])))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class Layout:
    """Where the child's files are, and which layers were put in place."""

    def __init__(self, work: str, tmp: str, support: str) -> None:
        self.work, self.tmp, self.support = work, tmp, support
        self.layers: list[str] = []
        self.skipped: dict[str, str] = {}
        self.checks: dict[str, bool] = {}
        self.cuda_error: str | None = None  # a self-test on CUDA: why a GPU product fails inside


def _optional(layout: Layout, plan: Mapping[str, Any], layer: str, apply: Any) -> None:
    """Apply a layer the plan asks for; in a self-test, note its failure instead."""
    if layer not in plan["layers"]:
        return
    try:
        apply()
    except OSError as exc:
        if not plan.get("selftest"):
            raise
        layout.skipped[layer] = str(exc)
        return
    layout.layers.append(layer)


def early_setup(mode: str) -> None:
    """What needs no plan: a new session, and (full mode) new mount, network, IPC and UTS
    namespaces. Done while the child waits in the warm pool; creating a network
    namespace alone takes milliseconds."""
    os.setsid()
    if mode == "full":
        syscalls.unshare(syscalls.CLONE_NEWNS | syscalls.CLONE_NEWNET | syscalls.CLONE_NEWIPC | syscalls.CLONE_NEWUTS)


def setup(plan: Mapping[str, Any]) -> Layout:
    """Put every other layer of the plan in place, in an order where each step still has
    the privileges it needs; raises on any failure (the supervisor then runs nothing)."""
    want = set(plan["layers"])
    uid = plan.get("uid") if "uid" in want else None
    done: list[str] = ["setsid"]
    if plan["mode"] == "full":
        _build_view(plan, uid)
        syscalls.sethostname("sandbox")
        where = Layout(VIEW_WORK, VIEW_TMP, VIEW_SUPPORT)
        done += ["pid-ns", "net-ns", "mount-ns"]
    else:
        base = plan["child_dir"]
        where = Layout(base + "/work", base + "/tmp", plan["stage_support"])
        os.makedirs(base, 0o711)
        os.mkdir(where.work, 0o755)
        os.mkdir(where.tmp, 0o700)
        _copy_tree(plan["stage_work"], where.work, uid)
        if uid is not None:
            os.chown(where.tmp, uid, uid)
    _set_rlimits(plan["limits"], cpu_total=plan["cpu_total"], device=plan["device"])
    done.append("rlimits")
    where.layers = done
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise OSError(errno.EPERM, "setresuid did not take")
        # Changing uid made the process non-dumpable, which hands its /proc files to root;
        # give them back (nothing else runs as this uid, and ptrace is filtered anyway).
        syscalls.prctl(syscalls.PR_SET_DUMPABLE, 1)
        where.layers.append("uid")
    elif "caps" in want:
        syscalls.drop_capabilities()
        where.layers.append("caps")
    syscalls.set_no_new_privs()
    if plan["mode"] == "full":
        lock_ro, lock_rw = ["/"], [VIEW_WORK, VIEW_TMP, "/dev/shm"]
    else:
        lock_ro = [*plan["landlock_ro"], "/proc", where.support]
        lock_rw = [where.work, where.tmp]
    devices = plan.get("extra_devices", ())
    _optional(
        where,
        plan,
        "landlock",
        lambda: landlock.restrict(
            read_only=lock_ro + (["/sys"] if devices else []),
            writable=lock_rw,
            devices_rw=["/dev/" + d for d in (*DEVICES_RW, *devices)],
            devices_ro=["/dev/" + d for d in DEVICES_RO],
        ),
    )
    full = plan["mode"] == "full"

    def install_seccomp() -> None:
        seccomp.install(seccomp.build_filter(own_pid=os.getpid(), allow_unix_sockets=full))

    _optional(where, plan, "seccomp", install_seccomp)
    return where


def _environment(plan: Mapping[str, Any], where: Layout) -> None:
    hash_seed = os.environ.get("PYTHONHASHSEED", "0")  # the zygote's, for interpreters the student starts
    os.environ.clear()
    os.environ.update(
        PATH="/usr/local/bin:/usr/bin:/bin",
        HOME=where.work,
        TMPDIR=where.tmp,
        LANG="C.UTF-8",
        USER="student",
        LOGNAME="student",
        OMP_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        # headless; with the capture backend loaded in the zygote, plt.show() captures figures
        MPLBACKEND=f"module://{__package__}.mplcapture" if f"{__package__}.mplcapture" in sys.modules else "Agg",
        MPLCONFIGDIR=where.tmp,
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED=hash_seed,
    )
    os.environ.update(plan.get("pass_env", {}))
    tempfile.tempdir = None
    os.chdir(where.work)
    os.umask(0o022)
    sys.path[:] = [where.work, *plan["python_path"]]
    sys.dont_write_bytecode = True
    sourceonly.install(where.work)  # what runs is the source that was graded, never a .pyc
    environment.install(plan.get("packages"), where.work)
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
    for fd, name in ((1, "stdout"), (2, "stderr")):
        stream = io.TextIOWrapper(io.FileIO(fd, "w", closefd=False), encoding="utf-8", errors="backslashreplace", line_buffering=True)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _self_checks(plan: Mapping[str, Any], where: Layout) -> dict[str, bool]:
    """What a self-test child verifies from the inside, as the student would run."""

    def works(action: Any) -> bool:
        try:
            action()
        except OSError:
            return False
        return True

    def write_probe() -> None:
        with open(os.path.join(where.work, ".selftest"), "w") as fh:
            fh.write("x")

    return {
        "stdlib_readable": works(lambda: open(plan["stdlib_probe"], "rb").close()),
        "site_readable": works(lambda: os.listdir(plan["site_probe"])),
        "work_writable": works(write_probe),
        "grader_hidden": not works(lambda: os.listdir(plan["run_dir"])),
    }


def _cuda_check() -> str | None:
    """None when a matrix product on the GPU works inside the sandbox, as a student's model
    needs (cuBLAS included), else why not. A layer that stops CUDA must never turn into
    every GPU check of every student failing: the grader refuses to grade on CUDA instead."""
    try:
        import torch

        ones = torch.ones((2, 2), device="cuda")
        if float((ones @ ones).sum().item()) != 8.0:
            return "a 2x2 matrix product on the GPU gave a wrong result"
    except Exception as exc:  # noqa: BLE001 - reported to the instructor, plainly
        first = (str(exc).splitlines() or [""])[0][:300]
        return f"{type(exc).__name__}: {first}"
    return None


# --------------------------------------------------------------------------------------
# Frames


def _flush_output() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()  # type: ignore[union-attr]
        except BaseException:  # noqa: BLE001 - the student may have replaced the stream
            pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


MARKER_PREFIX = b"\x00\x1b[sandbox output boundary "


def output_marker(nonce: bytes) -> bytes:
    """What the child writes to its output before each frame, so the supervisor can tell
    which call printed what."""
    return MARKER_PREFIX + nonce.hex().encode() + b"]\x00"


def send_frame(nonce: bytes, header: dict[str, Any], arrays: Sequence[bytes] = ()) -> None:
    """One frame on the result pipe, after an output marker; exits the child if the
    result pipe is gone."""
    _flush_output()
    try:
        _write_all(1, output_marker(nonce))
    except OSError:
        pass  # the student closed or replaced fd 1; output attribution is theirs to spoil
    try:
        head = json.dumps({**header, "arrays": [len(a) for a in arrays]}, allow_nan=False).encode()
    except ValueError as exc:
        head = json.dumps({**header, "status": "bad_output", "value": None, "message": f"the result cannot be sent: {exc}", "arrays": []}).encode()
        arrays = ()
    blob = b"".join(arrays)
    try:
        _write_all(RESULT_FD, codec.FRAME_PREFIX.pack(codec.FRAME_MAGIC, nonce, len(head), len(blob)) + head + blob)
    except OSError:
        os._exit(CHANNEL_FAILED)


def _failure(kind: str, exc: BaseException, where: Layout, **extra: Any) -> dict[str, Any]:
    status, limit = classify(exc)
    message, lines = describe_exception(exc, where.work)
    return {"kind": kind, "status": status, "limit": limit, "message": message, "traceback": lines, **extra}


RETIRED = 72  # the child ended between two modules, so that a fresh one runs the next (72 + reason)
RETIRE_REASONS = ("tampered", "no way to see changes to the libraries", "library changed", "library settings", "threads",
                  "timers", "tracing", "import hooks", "limits", "signals", "processes")

# The dicts of every library module and class loaded before any student code (filled in
# the zygote, shared by every child): a module that changes one of them (replaces
# F.cross_entropy, torch.Tensor.backward, ...) ends its child before the next module.
_LIBRARY_DICTS: list[dict[str, Any]] = []
_LIBRARY_ITEMS: list[tuple[tuple[str, Any], ...]] = []  # their contents then
# Their version tags (PEP 509), read in one gather that touches none of them (a child that
# looped over 4800 zygote dicts wrote each one's reference count: a copied page apiece),
# and the tags then. None where tags cannot be read (CPython 3.13, ...).
_LIBRARY_READER: peek.Words | None = None
_LIBRARY_TAGS: np.ndarray[Any, np.dtype[np.uint64]] = np.zeros(0, np.uint64)
# What normal use of a library changes in it, which no module's result depends on: a
# counter of hook handles. A new attribute holding a submodule (imported on first use)
# is allowed too.
_COUNTERS = frozenset({"next_id"})
_CHECK_ROUNDS = 3


def remember_library_state() -> None:
    """In the zygote, once everything is imported: the dicts to watch. Where version tags
    cannot be read, nothing is watched and every module gets its own child (as before)."""
    import gc

    global _LIBRARY_READER, _LIBRARY_TAGS
    _LIBRARY_DICTS.clear()
    _LIBRARY_ITEMS.clear()
    _LIBRARY_READER, _LIBRARY_TAGS = None, np.zeros(0, np.uint64)
    if not peek.tags_work():
        return
    _global_settings()  # what it imports on first use (torch.utils._device), once for every child
    seen: set[int] = set()
    for module in list(sys.modules.values()):
        namespace = getattr(module, "__dict__", None)
        if type(namespace) is not dict or id(namespace) in seen:
            continue
        seen.add(id(namespace))
        _LIBRARY_DICTS.append(namespace)
        for value in list(namespace.values()):
            if issubclass(type(value), type):
                for cls in value.__mro__[:-1]:
                    inner = [r for r in gc.get_referents(cls.__dict__) if type(r) is dict]
                    if inner and id(inner[0]) not in seen:
                        seen.add(id(inner[0]))
                        _LIBRARY_DICTS.append(inner[0])
    _LIBRARY_READER = peek.dict_tags(_LIBRARY_DICTS)
    _LIBRARY_TAGS = _LIBRARY_READER.read()
    _LIBRARY_ITEMS.extend(tuple(d.items()) for d in _LIBRARY_DICTS)


# The probes' pins as the zygote built them, before any request (None until then, or
# where they could not be built there): a child whose own set-up changed nothing they
# were built from uses them instead of building its own, which touched (and so copied)
# a thousand of the zygote's pages in every child.
_PINS: pinning.Pins | None = None


def prepare_pins(probes: types.ModuleType, support_modules: Mapping[str, types.ModuleType], trusted_names: Sequence[str]) -> None:
    """In the zygote, once the probes are loaded: build the pins every child starts from
    (where the fast path can tell whether they still hold; a failure here is left for
    each child to meet, as before)."""
    global _PINS
    _PINS = None
    if not peek.fast():
        return
    try:
        _PINS = pinning.Pins(probes, support_modules, _trusted(trusted_names))
    except Exception:  # noqa: BLE001 - the child builds them itself and reports what fails
        _PINS = None


def _trusted(names: Sequence[str] | Mapping[str, Any]) -> dict[str, types.ModuleType]:
    return {name: sys.modules[name] for name in names if name in sys.modules}


# The names in sys.modules once the zygote has loaded everything, and the tag of
# sys.modules read just before (see remember_modules).
_ZYGOTE_MODULES: frozenset[str] = frozenset()
_ZYGOTE_MODULES_TAG: tuple[dict[str, Any], int] | None = None


def remember_modules() -> None:
    """In the zygote, as the last step before it serves: the names in sys.modules, which
    every child starts with unless its own set-up imports more."""
    global _ZYGOTE_MODULES, _ZYGOTE_MODULES_TAG
    _ZYGOTE_MODULES, _ZYGOTE_MODULES_TAG = frozenset(), None
    if peek.tags_work():
        tag = peek.word(id(sys.modules) + peek.TAG_OFFSET)  # before the names are read
        _ZYGOTE_MODULES, _ZYGOTE_MODULES_TAG = frozenset(sys.modules), (sys.modules, tag)


def _modules_now() -> frozenset[str] | set[str]:
    """The names in sys.modules: the zygote's set where sys.modules has not changed since
    (building a set of them touched the name of every module, a page copied apiece)."""
    if _ZYGOTE_MODULES_TAG is not None:
        modules, tag = _ZYGOTE_MODULES_TAG
        if sys.modules is modules and peek.word(id(modules) + peek.TAG_OFFSET) == tag:
            return _ZYGOTE_MODULES
    return set(sys.modules)


def _harmless(before: tuple[tuple[str, Any], ...], now: dict[str, Any]) -> bool:
    """Whether a library dict's change since `before` is one a library makes in normal use."""
    old = dict(before)
    for key, value in list(now.items()):
        if key in old:
            if old[key] is not value and not (key in _COUNTERS and type(value) is int and type(old[key]) is int):
                return False
        elif not isinstance(value, types.ModuleType):
            return False
    return all(key in now for key in old)


def _global_settings() -> tuple[Any, ...]:
    """Library settings kept outside any dict, which a module's code could change for the next."""
    import warnings

    found: list[Any] = [sys.getrecursionlimit(), sys.getswitchinterval(), list(warnings.filters)]
    np = sys.modules.get("numpy")
    if np is not None:
        found += [np.geterr(), np.get_printoptions()]
    torch = sys.modules.get("torch")
    if torch is not None:
        found += [torch.get_default_dtype(), torch.is_grad_enabled(), torch.is_inference_mode_enabled(),
                  torch.get_num_threads(), torch.are_deterministic_algorithms_enabled(), torch.is_anomaly_enabled()]
        for getter in ("get_default_device",):
            if hasattr(torch, getter):
                found.append(str(getattr(torch, getter)()))
        c = getattr(torch, "_C", None)
        for getter in ("_get_cudnn_enabled", "_get_cudnn_benchmark", "_get_cudnn_deterministic", "_get_mkldnn_enabled",
                       "_get_warnAlways", "_jit_get_profiling_mode"):
            if hasattr(c, getter):
                try:
                    found.append(getattr(c, getter)())
                except Exception:  # noqa: BLE001 - a getter this build lacks
                    pass
    return tuple(found)


def groups_of(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The plan's modules, each with its import limits and calls (a self-test's plan has
    one empty group)."""
    if "groups" in plan:
        return list(plan["groups"])
    return [{"module": plan.get("module", ""), "import": plan["import"], "calls": plan.get("calls", [])}]


class _State:
    """What one module's code may leave behind that would reach the next module run in
    the same process. `unclean` says why this process must not run another module; the
    rest is put back as the sandbox set it up."""

    def __init__(self, where: Layout) -> None:
        self.where = where
        self.environ = dict(os.environ)
        self.path = list(sys.path)
        self.meta_path = list(sys.meta_path)
        self.path_hooks = list(sys.path_hooks)
        self.streams = (sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__)
        self.modules = _modules_now()
        self.rlimits = {r: resource.getrlimit(r) for r in _RLIMITS}
        self.handlers = {s: signal.getsignal(s) for s in _SIGNALS}
        self.tags = _LIBRARY_READER.read() if _LIBRARY_READER is not None else None
        # what this child's own set-up changed (sys.stdout, ...) is the starting point
        changed = [] if self.tags is None else np.flatnonzero(self.tags != _LIBRARY_TAGS).tolist()
        self.items = {i: tuple(_LIBRARY_DICTS[i].items()) for i in changed}
        self.settings = _global_settings()

    def unclean(self) -> str | None:
        import threading

        if self.tags is None or _LIBRARY_READER is None:
            return "no way to see changes to the libraries"
        if not self._libraries_intact(_LIBRARY_READER, self.tags):
            return "library changed"
        if _global_settings() != self.settings:
            return "library settings"
        if threading.active_count() > 1:
            return "threads"
        if any(signal.getitimer(t) != (0.0, 0.0) for t in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF)):
            return "timers"
        if sys.gettrace() is not None or sys.getprofile() is not None:
            return "tracing"
        if sys.meta_path != self.meta_path or sys.path_hooks != self.path_hooks:
            return "import hooks"
        if any(resource.getrlimit(r) != v for r, v in self.rlimits.items()):
            return "limits"
        if any(signal.getsignal(s) != h for s, h in self.handlers.items()):
            return "signals"
        try:
            for task in os.listdir("/proc/self/task"):
                with open(f"/proc/self/task/{task}/children", "rb") as fh:
                    if fh.read().strip():
                        return "processes"
        except OSError:
            return "processes"
        return None

    def _libraries_intact(self, reader: peek.Words, tags: np.ndarray[Any, np.dtype[np.uint64]]) -> bool:
        """Whether every library dict whose tag moved since this state was taken changed
        only harmlessly. The tags are read again after each round of checks, to catch a
        change made while a check ran (`_harmless` hashes a new key and asks `isinstance`
        of a new value, either of which can run code of the object's class); what still
        moves after a few rounds is not harmless."""
        seen = tags
        for _ in range(_CHECK_ROUNDS):
            now = reader.read()
            moved = np.flatnonzero(now != seen).tolist()
            if not moved:
                return True
            for i in moved:
                if not _harmless(self.items.get(i, _LIBRARY_ITEMS[i]), _LIBRARY_DICTS[i]):
                    return False
            seen = now
        return False

    def restore(self) -> None:
        """Undo what the previous module changed for everyone: its imported modules (the
        next module imports its own, fresh), the environment, the working folder, the
        import path and the standard streams."""
        work = self.where.work.rstrip("/") + "/"
        # by name first: a module that was there before is not looked at (touching each
        # module object copied hundreds of the zygote's pages in every child)
        for name, module in [(name, sys.modules[name]) for name in sys.modules if name not in self.modules]:
            file = getattr(module, "__file__", None)
            # the student's own files, and modules made by hand; a library's submodule
            # imported on the way stays (importing it again would make new classes)
            if (isinstance(file, str) and file.startswith(work)) or getattr(module, "__spec__", None) is None:
                sys.modules.pop(name, None)
        os.environ.clear()
        os.environ.update(self.environ)
        os.chdir(self.where.work)
        os.umask(0o022)
        sys.path[:] = self.path
        sys.stdin, sys.stdout, sys.stderr, sys.__stdin__, sys.__stdout__, sys.__stderr__ = self.streams  # type: ignore[misc]


_RLIMITS = (resource.RLIMIT_AS, resource.RLIMIT_DATA, resource.RLIMIT_CPU, resource.RLIMIT_FSIZE, resource.RLIMIT_NPROC, resource.RLIMIT_NOFILE)
_SIGNALS = (signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF, signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP)


def serve_plan(
    plan: Mapping[str, Any],
    where: Layout,
    attachments: Sequence[bytes],
    probes: types.ModuleType,
    support_modules: Mapping[str, types.ModuleType],
) -> None:
    """For each module of the plan: import it, then run each of its calls; one frame per
    phase. Each module is imported in a fresh namespace with a fresh probe context; when
    a module's code leaves something that could reach the next one (a thread, a timer, a
    changed library function...), the child ends (RETIRED) and a fresh child runs the rest."""
    groups = groups_of(plan)
    # Resolve everything trusted before the student's code can touch it: the probes run
    # with a private copy of their globals and the support modules as they are now.
    trusted = _trusted(plan.get("trusted_modules", {}))
    pins = _PINS if _PINS is not None and _PINS.unchanged(probes, support_modules, trusted) else pinning.Pins(probes, support_modules, trusted)
    tampered = pins.tampered
    functions = {c["probe"]: nbprobes.BUILTIN.get(c["probe"]) or pins.function(c["probe"]) for g in groups for c in g["calls"]}
    arguments = []
    for group in groups:
        group_args = []
        for call in group["calls"]:
            start, count = call["attach"]
            group_args.append(codec.decode(call["args"], attachments[start : start + count]))
        arguments.append(group_args)
    seed = seeding.seeder(plan["device"])  # taken before the student's code can rebind what it calls
    state = _State(where)
    for number, (group, group_args) in enumerate(zip(groups, arguments)):
        if number:
            why = "tampered" if tampered() else state.unclean()
            if why is not None:
                _flush_output()
                os._exit(RETIRED + RETIRE_REASONS.index(why))
            state.restore()
            pins.forget("context")
        serve(bytes.fromhex(group.get("nonce", plan["nonce"])), group, group_args, where, functions, seed, pins, plan, support_modules)


def serve(
    nonce: bytes,
    group: Mapping[str, Any],
    arguments: Sequence[Any],
    where: Layout,
    functions: Mapping[str, Any],
    seed: Any,
    pins: pinning.Pins,
    plan: Mapping[str, Any],
    support_modules: Mapping[str, types.ModuleType],
) -> None:
    """One module: its import, then each call."""
    tampered = pins.tampered
    calls = group["calls"]
    ctx = ProbeContext(
        device=plan["device"],
        workdir=where.work,
        support_dir=where.support,
        support_names=plan["support_names"],
        support_modules=pins.support,
        notebooks=plan.get("notebooks", {}),
    )
    pins.watch("context", vars(ctx))  # what the probes reach through ctx: its attributes,
    pins.watch("context", ctx._support_modules)  # the support modules it hands out,
    pins.watch("context", vars(type(ctx)))  # and its methods
    try:
        seed(int(calls[0]["seed"]) if calls else 0)  # an import that draws numbers repeats too
        ctx.module(group["module"])
    except BaseException as exc:  # noqa: BLE001 - whatever the student's import raised
        send_frame(nonce, {**_failure("import", exc, where), "notes": list(ctx.notes)})
        for call in calls:  # one frame per phase: the grader reports the import's failure for each
            send_frame(nonce, {"kind": "call", "id": call["id"], "status": "error", "message": "not run: the import failed"})
        return
    send_frame(nonce, {"kind": "import", "status": "ok", "notes": list(ctx.notes)})
    failure: dict[str, Any] | None
    for call, args in zip(calls, arguments):
        try:
            seed(int(call["seed"]))  # every call draws the same numbers, whatever ran before it
            value = functions[call["probe"]](ctx, **args)
        except BaseException as exc:  # noqa: BLE001 - the student's failure is a result
            value, failure = None, _failure("call", exc, where, id=call["id"])
        else:
            failure = None
        changed = tampered()
        if changed:  # what the probe ran with is no longer the grader's
            send_frame(nonce, {"kind": "call", "id": call["id"], "status": "error", "message": pinning.message(changed)})
            continue
        if failure is not None:
            send_frame(nonce, failure)
            continue
        try:
            tree, arrays = codec.encode(value, max_bytes=int(call["result_bytes"]))
        except codec.CodecError as exc:
            send_frame(nonce, {"kind": "call", "id": call["id"], "status": "bad_output", "message": f"the probe returned {exc}"})
            continue
        send_frame(nonce, {"kind": "call", "id": call["id"], "status": "ok", "value": tree}, arrays)


def _arrange_fds(fds: Mapping[str, int]) -> None:
    """0 = /dev/null, 1 and 2 = the output pipe, then the setup, result and lifeline
    pipes at fixed numbers; everything else the supervisor had open is closed."""
    devnull = fcntl.fcntl(os.open("/dev/null", os.O_RDONLY), fcntl.F_DUPFD, 16)
    moved = {name: fcntl.fcntl(fd, fcntl.F_DUPFD, 16) for name, fd in fds.items()}  # above every target
    os.dup2(devnull, 0)
    os.dup2(moved["output"], 1)
    os.dup2(moved["output"], 2)
    os.dup2(moved["setup"], SETUP_FD)
    os.dup2(moved["result"], RESULT_FD)
    os.dup2(moved["lifeline"], LIFELINE_FD)
    os.dup2(moved["plan"], PLAN_FD)
    os.closerange(PLAN_FD + 1, 1 << 20)
    for fd in range(PLAN_FD + 1):
        os.set_inheritable(fd, fd <= 2)


def _read_exact(fd: int, size: int) -> bytes:
    chunks, need = [], size
    while need:
        chunk = os.read(fd, min(need, 1 << 20))
        if not chunk:
            raise EOFError("the plan pipe closed")
        chunks.append(chunk)
        need -= len(chunk)
    return b"".join(chunks)


def read_plan(fd: int) -> tuple[dict[str, Any], list[bytes]]:
    """The plan (a message as `codec.pack_message` writes it) from the supervisor."""
    (size,) = codec.MESSAGE_PREFIX.unpack(_read_exact(fd, codec.MESSAGE_PREFIX.size))
    header = json.loads(_read_exact(fd, size))
    return header, [_read_exact(fd, n) for n in header.pop("attach", [])]


def main(
    config: Mapping[str, Any],
    fds: Mapping[str, int],
    probes: types.ModuleType,
    support_modules: Mapping[str, types.ModuleType],
) -> NoReturn:
    """The child's whole life; never returns into the supervisor's code. It is forked
    before its request is known, does what needs no plan, then waits for the plan."""
    code = SETUP_FAILED
    try:
        syscalls.prctl(syscalls.PR_SET_PDEATHSIG, signal.SIGKILL)
        _arrange_fds(fds)
        if select.select([LIFELINE_FD], [], [], 0)[0]:  # the supervisor is already gone
            os._exit(code)
        early_error = None
        try:
            early_setup(config["mode"])
        except OSError as exc:
            early_error = exc
        request, attachments = read_plan(PLAN_FD)
        os.close(PLAN_FD)
        plan = {**config, **request}
        try:
            if early_error is not None:
                raise early_error
            where = setup(plan)
            _environment(plan, where)
            if plan.get("selftest"):
                where.checks = _self_checks(plan, where)
                if plan.get("device") == "cuda":
                    where.cuda_error = _cuda_check()
        except BaseException as exc:  # noqa: BLE001 - reported, then nothing runs
            report = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        else:
            report = {"ok": True, "layers": where.layers, "skipped": where.skipped, "checks": where.checks,
                      "cuda_error": where.cuda_error}
        _write_all(SETUP_FD, json.dumps(report).encode())
        os.close(SETUP_FD)
        if not report["ok"] or plan.get("selftest"):
            os._exit(0 if report["ok"] else SETUP_FAILED)
        code = CHANNEL_FAILED
        serve_plan(plan, where, attachments, probes, support_modules)
        _flush_output()
        code = 0
    finally:
        os._exit(code)
