"""The zygote: a long-lived process that has imported numpy, torch, the course's support
modules (the scaffold) and the assignment's probes module, and forks one supervisor per
request from the grader.

It is started by `grader.sandbox.Sandbox` (or ahead of it, `grader.sandbox.prespawn`) as
`python -s -P -c <bootstrap>` with an environment built from nothing (PYTHONHASHSEED
fixed, so every child hashes alike), and loads this package by file path, so it holds
nothing of `grader` or `reference` and has no rubric or expected value in memory. It
imports numpy and torch at once, then reads its configuration (the probes, support files,
isolation...) from the control socket: the grader sends it once it has read the rubric.
Torch is told to use one thread and computes nothing here: a process whose OpenMP pool
has started deadlocks its forked children. CUDA is never touched (a process that initialized CUDA cannot use it in
a forked child); children initialize it themselves when a probe moves work to the GPU.

Before it says it is ready, the zygote runs a self-test child through the same code path
as every real child and reports which isolation layers actually came up.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import select
import signal
import socket
import sys
import traceback
import types
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from . import codec, supervisor, worker

SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# What of /etc a child reads where no mount namespace can hide the rest (basic mode).
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/timezone",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/os-release",
    "/etc/mime.types",
)
# Imported before forking, so children need not (and so unseeded numpy randomness is the
# same in every child of one zygote, instead of being seeded lazily in each).
PRE_IMPORTS = (
    "numpy.random",
    "numpy.linalg",
    "numpy.fft",
    "torch.nn.functional",
    "torch.optim",
    "torch.utils.data",
    "torch.testing",
    "json",
    "csv",
    "random",
    "fractions",
    "statistics",
    "dataclasses",
    "copy",
    "pathlib",
)
CONFIG_MAX_BYTES = 1 << 22  # the grader's configuration message, at most
FULL_LAYERS = ("setsid", "rlimits", "pid-ns", "net-ns", "mount-ns", "uid", "seccomp", "landlock")


_MADV_COLLAPSE = 25  # Linux 6.1+
_HUGE = 1 << 21


def collapse_memory() -> None:
    """Back this process's anonymous memory (the heap, torch's and numpy's arenas, about
    150 MB) with 2 MB pages where the kernel can (MADV_COLLAPSE; best effort, silently
    nothing elsewhere). Every supervisor and child is a fork of this process: with huge
    pages a fork copies a few hundred page-table entries instead of tens of thousands and
    an exit frees them as fast, about halving the CPU of each fork and exit. A child that
    writes to such a page gets its own copy of that 4 kB page only, as before."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        madvise = libc.madvise
        madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        madvise.restype = ctypes.c_int
        with open("/proc/self/maps", "rb") as fh:  # bytes: importing a text codec now would change the libraries snapshotted just before
            lines = fh.read().decode("latin-1").splitlines()
    except (OSError, AttributeError):
        return
    for line in lines:
        parts = line.split()
        if len(parts) < 5 or not parts[1].startswith("rw") or parts[1][3] != "p":
            continue
        if len(parts) > 5 and parts[5] != "[heap]":
            continue  # file mappings, the stack, vdso
        start, end = (int(x, 16) for x in parts[0].split("-"))
        low, high = (start + _HUGE - 1) & ~(_HUGE - 1), end & ~(_HUGE - 1)
        if high > low:
            madvise(low, high - low, _MADV_COLLAPSE)  # fails harmlessly (EINVAL) on older kernels


def preimport_environment(names: Sequence[str], *, capture: bool = False) -> list[str]:
    """Import the students' heavy packages once, here, so that no child pays for them:
    matplotlib first switched to the headless capture backend (`plt.show()` hands figures
    to the notebook run, never blocks). Returns the modules that imported; one that is
    not installed is skipped (a student's import of it then fails in their own file).
    `capture`: notebooks will run, so load the capture backend even if no name needs it."""
    from . import notebook  # loaded here: a child cannot read this package's folder

    done: list[str] = []
    if capture or any(n == "matplotlib" or n.startswith(("matplotlib.", "mpl_toolkits")) for n in names):
        notebook.use_capture_backend()
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001, S112 - an optional package that fails to import costs only its users
            continue
        done.append(name)
    if "matplotlib.pyplot" in sys.modules:
        notebook.use_capture_backend()  # pyplot may have been imported by another package first
    return done


class IsolationUnavailable(RuntimeError):
    """The isolation asked for cannot be had on this machine."""


def _load_by_path(name: str, path: str) -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _inside(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip("/") + "/")


def _clean_import_system(secret: Sequence[str], private: Sequence[str]) -> None:
    """Drop import paths and editable-install finders that lead to the grader's files."""

    def allowed(path: str) -> bool:
        if not path or not os.path.exists(path):
            return False
        path = os.path.abspath(path)
        return not any(_inside(p, path) for p in (*secret, *private)) and not any(_inside(path, s) for s in secret)

    sys.path[:] = [p for p in sys.path if allowed(p)]
    sys.meta_path[:] = [f for f in sys.meta_path if not type(f).__module__.startswith("__editable__")]
    sys.path_hooks[:] = [h for h in sys.path_hooks if not getattr(h, "__module__", "").startswith("__editable__")]
    sys.path_importer_cache.clear()


def view_paths(config: Mapping[str, Any]) -> dict[str, Any]:
    """The folders a child may read: system folders and the interpreter's, minus any that
    would expose (contain, or lie inside) a protected path."""
    secret, private = config["secret"], config["private"]
    links: list[tuple[str, str]] = []
    candidates: list[str] = []
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            links.append((path, os.readlink(path)))
        elif os.path.isdir(path):
            candidates.append(path)
    python = [sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix, *sys.path]
    for path in python:
        if not path or not os.path.isdir(path):
            continue
        path = os.path.abspath(path)
        if any(_inside(path, link) for link, _ in links):
            path = os.path.realpath(path)
        candidates.append(path)
    kept: list[str] = []
    for path in sorted(set(candidates), key=len):
        if any(_inside(path, k) for k in kept):
            continue
        if path == "/" or any(_inside(p, path) for p in (*secret, *private)) or any(_inside(path, s) for s in secret):
            continue
        kept.append(path)
    devices = sorted(n for n in os.listdir("/dev") if n.startswith("nvidia")) if config["device"] == "cuda" else []
    ro_paths = kept + (["/sys"] if devices else [])
    landlock_ro = [p for p in kept if p != "/etc"] + [p for p in ETC_FILES if os.path.exists(p)]
    return {
        "ro_paths": ro_paths,
        "root_links": links,
        "landlock_ro": landlock_ro,
        "extra_devices": devices,
        "python_path": list(sys.path),
        "stdlib_probe": os.__file__,
        "site_probe": os.path.dirname(sys.modules["numpy"].__file__ or ""),
    }


def probe_names(probes: types.ModuleType) -> list[str]:
    declared = getattr(probes, "PROBES", None)
    if isinstance(declared, (tuple, list)) and all(isinstance(n, str) for n in declared):
        names = list(declared)
    else:
        names = [
            n
            for n, f in vars(probes).items()
            if not n.startswith("_") and isinstance(f, types.FunctionType) and f.__module__ == probes.__name__
        ]
    return [n for n in names if callable(getattr(probes, n, None))]


def import_libraries() -> None:
    """What every zygote imports, whatever the rubric: numpy, torch (told to use one
    thread) and PRE_IMPORTS. Done before the grader sends the configuration (`main`), so
    that this, the slow part of a start, overlaps the grader's own start-up."""
    import numpy  # noqa: F401 - pre-imported for every child
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    for name in PRE_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def receive_config(control: socket.socket) -> dict[str, Any]:
    """The configuration the grader sends once on the control socket (one JSON message).
    EOFError when the grader closed it first (it found no use for this zygote)."""
    data, _, flags, _ = control.recvmsg(CONFIG_MAX_BYTES)
    if not data:
        raise EOFError("the grader closed the control socket before configuring the zygote")
    if flags & socket.MSG_TRUNC:
        raise ValueError(f"the zygote's configuration is over {CONFIG_MAX_BYTES} bytes")
    config: dict[str, Any] = json.loads(data)
    return config


class Zygote:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = dict(config)
        self.pid = os.getpid()
        self.children: set[int] = set()
        # Supervisors forked ahead of requests, each with its child forked and waiting:
        # a request then costs no fork on its path. As many as run at once.
        self.idle: list[tuple[int, socket.socket]] = []
        self.warm = int(config.get("warm", 2))
        self.probes: types.ModuleType | None = None
        self.support_modules: dict[str, types.ModuleType] = {}
        self.base: dict[str, Any] = {}
        self.cuda_error: str | None = None  # from the last self-test on CUDA: why the GPU fails inside
        self.preimported: list[str] = []

    # -- start-up

    def load(self) -> None:
        """What the rubric decides, once `import_libraries` is done: its students'
        packages, its trusted and support modules and its probes."""
        self.preimported = preimport_environment(self.config.get("preimport", ()), capture=bool(self.config.get("notebooks")))
        _clean_import_system(self.config["secret"], self.config["private"])
        # the engine's probe toolkit, under the name probes import it by (`import probekit`)
        for name, path in self.config.get("trusted_modules", {}).items():
            _load_by_path(name, path)
        for name, path in self.config["support_modules"].items():
            self.support_modules[name] = _load_by_path(name, path)
        self.probes = _load_by_path("_grader_probes", self.config["probes_file"])
        worker.remember_library_state()
        worker.prepare_pins(self.probes, self.support_modules, list(self.config.get("trusted_modules", {})))
        if self.config.get("collapse", True):
            collapse_memory()
        self.base = {
            "device": self.config["device"],
            "support_names": list(self.config["support_names"]),
            "trusted_modules": sorted(self.config.get("trusted_modules", {})),
            "pass_env": dict(self.config.get("pass_env", {})),
            "packages": self.config.get("packages"),
            "notebooks": dict(self.config.get("notebooks") or {}),
            **view_paths(self.config),
        }
        worker.remember_modules()

    def spawn(self, config: Mapping[str, Any], control: socket.socket | None) -> tuple[int, socket.socket]:
        """Fork a supervisor, which forks and prepares its child, then waits for the
        zygote to assign it a request over the returned socket."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            ours.close()
            if control is not None:
                control.close()
            supervisor.main(theirs.detach(), self.pid, config, self.probes, self.support_modules)  # type: ignore[arg-type]
        theirs.close()
        self.children.add(pid)
        return pid, ours

    def assign(self, conn_fd: int, control: socket.socket | None) -> None:
        """Hand a request (the grader's connection) to a warm supervisor, forking one if
        none is ready."""
        try:
            for _ in range(self.warm + 3):
                pid, sock = self.idle.pop(0) if self.idle else self.spawn(self.base, control)
                try:
                    socket.send_fds(sock, [b"run"], [conn_fd])
                except OSError:
                    continue  # that supervisor died while waiting: take the next
                finally:
                    sock.close()
                return
        finally:
            os.close(conn_fd)

    def selftest(self, mode: str, layers: Sequence[str]) -> dict[str, Any]:
        """Run one child through setup only; its report of layers and inside checks."""
        base = self.config["selftest_dir"]
        tag = f"selftest-{mode}-{len(os.listdir(base))}"
        for sub in ("stage/work", "stage/support"):
            os.makedirs(os.path.join(base, sub), exist_ok=True)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        plan = {
            **self.base,
            "mode": mode,
            "layers": list(layers),
            "selftest": True,
            "uid": self.config["selftest_uid"],
            "nonce": secrets.token_hex(16),
            "module": "",
            "calls": [],
            "import": {"wall_s": 10, "cpu_s": 10, "output_bytes": 4096, "result_bytes": 4096},
            # on CUDA the self-test also runs a GPU product, which needs the memory a real child has
            "limits": {"memory_mb": 4096 if self.config["device"] == "cuda" else 512, "file_size_mb": 1,
                       "nproc": 64 if self.config["device"] == "cuda" else 16, "nofile": 64},
            "cpu_total": 10,
            "tmp_mb": 4,
            "work_mb": 4,
            "tmp_inodes": 64,
            "work_inodes": 64,
            "stage_work": os.path.join(base, "stage/work"),
            "stage_support": os.path.join(base, "stage/support"),
            "root_dir": os.path.join(base, tag + "-root"),
            "child_dir": os.path.join(base, tag),
            "run_dir": base,
        }
        pid, assign = self.spawn({**self.base, "mode": mode, "layers": list(layers)}, None)
        try:
            socket.send_fds(assign, [b"run"], [theirs.fileno()])
        finally:
            assign.close()
            theirs.close()
        report: dict[str, Any] = {"ok": False, "error": "the self-test child said nothing"}
        try:
            ours.sendall(_pack_request(plan))
            while True:
                message, _ = codec.recv_message(ours, max_bytes=1 << 20)
                if message.get("t") == "setup":
                    report = message
                elif message.get("t") == "error":
                    report = {"ok": False, "error": message.get("error", "")}
                elif message.get("t") == "end":
                    break
        except (EOFError, OSError, ValueError) as exc:
            report = {"ok": False, "error": f"self-test: {exc}"}
        finally:
            ours.close()
            os.waitpid(pid, 0)
            self.children.discard(pid)
        if report.get("ok"):
            self.cuda_error = report.get("cuda_error")
        return report

    def choose_layers(self) -> dict[str, Any]:
        """Pick the strongest isolation this kernel allows; say why anything is missing."""
        isolation = self.config["isolation"]
        missing: dict[str, str] = {}
        ns_reason = ""
        if isolation == "basic":
            ns_reason = "isolation='basic' was asked for"
        elif self.config["no_namespaces"]:
            ns_reason = "GRADER_SANDBOX_NO_NAMESPACES=1 is set"
        elif os.geteuid() != 0:
            ns_reason = f"namespaces and a separate uid need root (the grader runs as uid {os.geteuid()})"
        else:
            report = self.selftest("full", FULL_LAYERS)
            checks = report.get("checks", {})
            if report.get("ok") and all(checks.values()):
                missing.update(report.get("skipped", {}))
                return {"mode": "full", "layers": report["layers"], "missing": missing}
            failed = [name for name, good in checks.items() if not good]
            ns_reason = report.get("error") or f"the namespace self-test failed ({', '.join(failed)})"
        if isolation == "full":
            raise IsolationUnavailable(f"full isolation is not available: {ns_reason}")
        for layer in ("pid-ns", "net-ns", "mount-ns"):
            missing[layer] = ns_reason
        basic = ["setsid", "rlimits", "seccomp", "landlock"]
        report = {}
        if os.geteuid() == 0:
            report = self.selftest("basic", [*basic, "uid"])
            checks = report.get("checks", {})
            if not (report.get("ok") and checks.get("stdlib_readable") and checks.get("site_readable") and checks.get("work_writable")):
                missing["uid"] = (
                    f"the interpreter ({sys.base_prefix}) is not readable by an unprivileged uid, so the child "
                    "stays uid 0 without capabilities, where RLIMIT_NPROC does not bind"
                )
                report = self.selftest("basic", [*basic, "caps"])
        else:
            missing["uid"] = f"switching uid needs root (the grader runs as uid {os.geteuid()})"
            report = self.selftest("basic", basic)
        if not report.get("ok"):
            raise IsolationUnavailable(f"the sandbox cannot start even without namespaces: {report.get('error')}")
        missing.update(report.get("skipped", {}))
        return {"mode": "basic", "layers": report["layers"], "missing": missing}

    # -- serving

    def reap(self) -> None:
        while self.children:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if pid == 0:
                return
            self.children.discard(pid)

    def serve(self, control: socket.socket) -> None:
        """Answer requests; between them, keep the warm pool full (one fork at a time,
        so that a request waiting on the control socket is served first)."""
        poller = select.poll()
        poller.register(control.fileno(), select.POLLIN)
        while True:
            events = poller.poll(0 if len(self.idle) < self.warm else 500)
            self.reap()
            if not events:
                if len(self.idle) < self.warm:
                    self.idle.append(self.spawn(self.base, control))
                continue
            try:
                message, fds, _, _ = socket.recv_fds(control, 1 << 16, 4)
            except OSError:
                return
            if not message:
                return  # the grader closed its end (or died)
            if not fds:
                continue
            for extra in fds[1:]:
                os.close(extra)
            self.assign(fds[0], control)

    def shutdown(self) -> None:
        for _, sock in self.idle:
            sock.close()
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.reap()


def _say_failed(control: socket.socket, error: str) -> NoReturn:
    """Tell the grader this zygote cannot start, and why; then end."""
    try:
        control.sendall(json.dumps({"ok": False, "error": error}).encode()[:60_000])
    except OSError:
        pass
    os._exit(1)


def _pack_request(plan: Mapping[str, Any]) -> bytes:
    return codec.pack_message(dict(plan))


def main(control_fd: str) -> None:
    """The zygote's life: the libraries imported at once, then the grader's configuration
    received (`receive_config`), the rubric's modules loaded, the self-test run and the
    isolation chosen, "ready" said, and requests served until the grader closes the socket."""
    control = socket.socket(fileno=int(control_fd))
    try:
        import_libraries()
        config = receive_config(control)
    except EOFError:
        os._exit(0)
    except BaseException:  # noqa: BLE001 - e.g. torch does not import: said, as a failed start
        _say_failed(control, traceback.format_exc(limit=-8))
    zygote = Zygote(config)
    try:
        zygote.load()
        chosen = zygote.choose_layers()
        zygote.base.update(mode=chosen["mode"], layers=chosen["layers"])
        ready = {
            "ok": True,
            **chosen,
            "cuda_error": zygote.cuda_error,
            "probes": probe_names(zygote.probes),  # type: ignore[arg-type]
            "threads": len(os.listdir("/proc/self/task")),
            "pid": os.getpid(),
        }
    except IsolationUnavailable as exc:  # say why, plainly
        _say_failed(control, str(exc))
    except BaseException:  # noqa: BLE001 - e.g. the probes module does not import: the instructor's error
        _say_failed(control, traceback.format_exc(limit=-8))
    control.sendall(json.dumps(ready).encode())
    try:
        zygote.serve(control)
    finally:
        zygote.shutdown()
        os._exit(0)
