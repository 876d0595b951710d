"""Run trusted probe functions on untrusted student code in isolated children, and bring
back plain data only.

A *probe* is a trusted function `probe(ctx, **args) -> plain data` of an assignment's
probes module. It reaches the student's code through `ctx.module("lab1")` (the student's
lab1.py, or lab1.ipynb whose code cells form the module), reads support data through
`ctx.data_path("lab1.csv")` and moves work to `ctx.device`.

    with Sandbox(probes_file=..., support_files={"scaffold.py": ...}) as box:
        results = box.run(submission_dir, [ProbeCall("c1", "lab1", "closed_form", {"dataset": "course"})])

How it works. A long-lived *zygote* (the venv's interpreter, started with `-I` and a
scrubbed environment) imports numpy, torch (one thread, nothing computed), the support
modules (the scaffold, importable by student code as `scaffold`) and the probes module,
by file path; nothing of the `reference` package, no rubric and no expected value. For
each (submission, student module) it forks a *supervisor*, which forks the *child* that
runs the student's code. The child, before any student code runs, puts itself in:

- a new session and process group; rlimits on address space, CPU seconds, file size,
  processes and open files; no core dumps;
- where the kernel allows (root): new PID, network, mount, IPC and UTS namespaces (no
  network; its own /proc; cannot see or signal the grader; its whole tree dies with it),
  and its own unprivileged uid (one per concurrent child, so RLIMIT_NPROC contains a fork
  bomb). Its file system is a fresh tmpfs root with read-only binds of /usr, /etc, the
  interpreter and site-packages, a private /tmp and /dev/shm, a few devices, a tmpfs
  copy of the submission at /sandbox (its working folder and $HOME) and the support
  files at /support; the grader's repository (reference/, rubrics/), results, /root and
  the host's /tmp do not exist there;
- where namespaces are not allowed (isolation="basic", GRADER_SANDBOX_NO_NAMESPACES=1,
  or no root): the same rlimits, and without root capabilities;
- in both: a seccomp filter (no network sockets, no ptrace or process_vm_*, no signals
  to older processes or other groups, no new namespaces, mounts, setsid/setpgid) and
  Landlock (read-only interpreter and system folders, writable scratch only, TCP and
  signals outside its domain refused) where the kernel has them.

`Sandbox.layers` lists the layers a self-test child verified at start-up and
`Sandbox.fallback_note` says once, in one line, what is missing and why.

The child returns each call's result as one frame (a JSON header and raw .npy arrays,
tagged with a per-child nonce) over a pipe owned by the supervisor, which enforces the
wall-clock and CPU limits from outside (killing the child's whole PID namespace or
process group), caps output and result sizes, and relays the frames as opaque bytes.
The grader decodes them with `allow_pickle=False`-style strictness: anything but plain
data is a `bad_output`. Nothing the child prints, writes or exits with can change any
result but its own: stdout and stderr only ever land in `stdout_tail`.

Blast radius: a call that hangs, crashes, exhausts memory or exits costs that call; a
fresh child goes on with the module's remaining calls (restart-and-skip), up to
`max_restarts` restarts per module, after which the rest are `skipped`. A module that
fails to import fails every call on it with a message naming the file and line. If the
zygote itself dies, the next request starts a new one and retries once.
"""

from ._parent import NO_NAMESPACES_ENV, Sandbox
from ._types import STATUSES, CallResult, Limits, ProbeCall, SandboxError, Status

__all__ = ["NO_NAMESPACES_ENV", "STATUSES", "CallResult", "Limits", "ProbeCall", "Sandbox", "SandboxError", "Status"]
