"""Run trusted probe functions on untrusted student code in isolated children, and bring
back plain data only.

A *probe* is a trusted function `probe(ctx, **args) -> plain data` of an assignment's
probes module. It reaches the student's code through `ctx.module("lab1")` (the student's
lab1.py, or lab1.ipynb whose code cells form the module), reads support data through
`ctx.data_path("lab1.csv")` and moves work to `ctx.device`.

    with Sandbox(probes_file=..., support_files={"scaffold.py": ...}) as box:
        results = box.run(submission_dir, [ProbeCall("c1", "lab1", "closed_form", {"dataset": "course"})])

How it works. A long-lived *zygote* (the venv's interpreter, started with `-s -P` and
an environment built from nothing, with PYTHONHASHSEED fixed) imports numpy, torch (one thread, nothing computed), the support
modules (the scaffold, importable by student code as `scaffold`) and the probes module,
by file path; nothing of the `reference` package, no rubric and no expected value. For
each (submission, student module) a *supervisor* forked from it runs one *child*, which
runs the student's code. The zygote keeps two supervisors forked ahead of requests, each
with its child already forked into its new namespaces and waiting for its plan, so a
request pays no fork on its path. The child, before any student code runs, puts itself in:

- a new session and process group; rlimits on address space, CPU seconds, file size,
  processes and open files; no core dumps;
- where the kernel allows (root): new PID, network, mount, IPC and UTS namespaces (no
  network; its own /proc; cannot see or signal the grader; its whole tree dies with it),
  and its own unprivileged uid (one per concurrent child, so RLIMIT_NPROC contains a fork
  bomb). Its file system is a fresh tmpfs root with read-only binds of /usr, /etc, the
  interpreter and site-packages, a private /tmp and /dev/shm, a few devices, a tmpfs
  copy of the submission at /sandbox (its working folder and $HOME) and the support
  files at /support; the grader's repository (reference/, rubrics/), results, /root and
  the host's /tmp do not exist there. Every tmpfs is capped in files as well as bytes
  (`nr_inodes`: 4096 for /tmp and for /dev/shm, the submission's own files plus 4096
  for /sandbox): an inode costs the host kernel memory that no size limit counts, and
  past the cap creating a file fails with ENOSPC in the child;
- where namespaces are not allowed (isolation="basic", GRADER_SANDBOX_NO_NAMESPACES=1,
  or no root): the same rlimits, and without root capabilities;
- in both: a seccomp filter (no network sockets, no ptrace or process_vm_*, no signals
  to older processes or other groups, no new namespaces, mounts, setsid/setpgid) and
  Landlock (read-only interpreter and system folders, writable scratch only, TCP and
  signals outside its domain refused) where the kernel has them.

`Sandbox.layers` lists the layers a self-test child verified at start-up and
`Sandbox.fallback_note` says once, in one line, what is missing and why.

The child returns each call's result as one frame (a JSON header and raw `.npy` arrays,
tagged with a per-child nonce) over a pipe owned by its supervisor, which enforces the
wall-clock and CPU limits from outside (killing the child's whole PID namespace or
process group), caps output and result sizes, and relays the frames as opaque bytes.
The grader decodes them itself: JSON types, tags, array headers, dtypes (no objects, so
no pickle) and byte counts are checked before any array is built; anything else is a
`bad_output`. (Arrays travel as one `.npy` each rather than an `.npz`: no zip to parse,
no decompression, and a header's shape is checked against the bytes before allocating.)
The decoded size is bounded by the frame: the JSON part is at most 2 MiB (checked
before parsing) and each array may be referenced once, so the arrays built take at most
the bytes that came; any failure while decoding is that call's `bad_output`.
Nothing the child prints, writes or exits with can change any result but its own:
stdout and stderr only ever land in `stdout_tail` (split between calls by markers the
child writes before each frame).

Blast radius. Calls are grouped per student module, and the module's consecutive calls
with equal process limits (memory, file size, processes, files) share one child, which
imports the module once. A call that hangs, crashes, exhausts memory or exits costs that
call; a fresh child goes on with the module's remaining calls (restart-and-skip), except
that a probe which timed out is not run again on that module (a hang costs one timeout),
and after `max_restarts` restarts the rest are `skipped`. A module that fails to import
(exception, exit, infinite loop) fails every call on it with a message naming the file
and line; other modules are unaffected. Results return as soon as the last frame is in;
the child's uid is reused only after its supervisor saw it and all it started gone. If
the zygote itself dies, the next request starts a new one and retries once.

What runs is what was graded: `run(..., files=)` stages exactly the files the content
hash covers (the engine passes `Submission.files`), and the student's modules and every
module under its folder are compiled from their `.py` (`_child/sourceonly.py`): a planted
`__pycache__/*.pyc` or a bytecode-only module is never loaded. Before the import and
before every call the child seeds `random`, numpy's global generator and torch from the
call's seed (the rubric's `seed`), so results repeat across runs and class orders.

Notebooks as notebooks. A module the Sandbox's `notebooks` names (the rubric's
`notebooks:`) is not imported but run (`_child/notebook.py`): its code cells top to bottom
in one namespace, each under a wall-clock alarm and a lowered address-space limit; a cell
that fails is reported by cell and line and the names it left undefined are remembered,
so that later cells reading them are not run (and say why) while the others run. Magics
and shell escapes are skipped with a note; string literals under a Colab drive folder are
read in the working folder. Every matplotlib figure shown or left open, and the PNG and
plotly outputs saved in the notebook, become bounded PNGs. Probes read the run through
`ctx.notebook(name)` (or `ctx.module(name)`, its namespace) and the built-in probes
`notebook.value`, `notebook.figures`, `notebook.cells` (`_child/nbprobes.py`); the
namespace never leaves the child. The students' environment (`packages`, `preimport`):
the zygote imports the heavy packages once (matplotlib switched to a headless backend
whose `show()` hands figures to the running notebook), and a student's import of an
undeclared package fails in their file, naming it (`_child/environment.py`).

Support files are copied into each child's working folder (over any same-named file of
the submission) and, read-only, to the folder `ctx.data_path` points into. Notebook cells
are numbered from 1 over all cells, markdown included, as a notebook shows them.

Known limits:
- full isolation needs root (no unprivileged-user-namespace path): elsewhere, basic;
- in basic mode there is no private /dev/shm, so POSIX semaphores fail (multiprocessing
  pools and locks, torch DataLoader workers); the working folder is bounded per file
  (RLIMIT_FSIZE), not in total nor in its number of files;
- in basic mode as root, the child stays uid 0 (without capabilities) unless the
  interpreter is readable by another uid, so RLIMIT_NPROC does not bind and a fork bomb
  runs until its wall-clock limit (it cannot leave its process group: setsid/setpgid are
  filtered);
- without Landlock signal scoping (ABI < 6), the seccomp filter lets a child signal
  processes with higher pids than its own (its descendants, but also later unrelated
  processes of the same uid); without Landlock at all, a basic-mode child can read what
  its uid can;
- CPU time per call is polled every 0.1 s; RLIMIT_CPU is the child's total budget;
- a student who forges frames or output markers (the nonce is in its own memory) can
  only spoil its own later results and output attribution;
- CUDA support (device nodes bound in, RLIMIT_DATA instead of RLIMIT_AS) and the aarch64
  seccomp table have not been run on real hardware here.
"""

from ._parent import NO_NAMESPACES_ENV, Sandbox
from ._types import STATUSES, CallResult, Limits, ProbeCall, SandboxError, Status

__all__ = ["NO_NAMESPACES_ENV", "STATUSES", "CallResult", "Limits", "ProbeCall", "Sandbox", "SandboxError", "Status"]
