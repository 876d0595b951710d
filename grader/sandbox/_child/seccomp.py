"""A seccomp-BPF filter for the process that runs student code.

What it refuses (with an errno, so Python raises PermissionError and the student sees a
clear message instead of a dead process):

- network sockets: `socket()` of any family but AF_UNIX (with namespaces) or of any family
  at all (without them, where a Unix socket could reach a host service); `socketpair()`
  of any family but AF_UNIX; io_uring, whose operations would bypass this filter;
- reaching other processes: ptrace, process_vm_readv/writev, pidfd_getfd, kcmp,
  process_madvise, pidfd_send_signal; and kill/tkill/tgkill/pidfd_open/prlimit64 aimed
  at a pid below the child's own (the grader, the zygote and the supervisor were all
  started before it) or at -1 or another process group. Processes the child starts get
  higher pids, so it can still signal its own children. (Landlock's signal scope, where
  the kernel has it, closes the gap this leaves for unrelated later processes.)
- leaving its process group (setsid, setpgid), so that killing the group on timeout
  reaches every process the student started;
- new namespaces (unshare, setns, clone with CLONE_NEW* flags; clone3, whose flags a
  filter cannot read, answers ENOSYS so libc falls back to clone), mounts, chroot,
  pivot_root, kernel modules, kexec, reboot, swap, accounting, clocks, keyrings, bpf,
  perf events, userfaultfd, open_by_handle_at, port I/O.

Foreign architectures (the i386 and x32 entry points on x86_64) are refused too.
Only x86_64 and aarch64 are known; elsewhere `build_filter` raises and the layer is
reported missing.
"""

from __future__ import annotations

import ctypes
import errno
import struct

from . import syscalls

_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}

# name: (x86_64, aarch64); None where the call does not exist on that architecture.
_NUMBERS: dict[str, tuple[int | None, int | None]] = {
    "kill": (62, 129),
    "tkill": (200, 130),
    "tgkill": (234, 131),
    "pidfd_open": (434, 434),
    "prlimit64": (302, 261),
    "pidfd_send_signal": (424, 424),
    "pidfd_getfd": (438, 438),
    "ptrace": (101, 117),
    "process_vm_readv": (310, 270),
    "process_vm_writev": (311, 271),
    "process_madvise": (440, 440),
    "kcmp": (312, 272),
    "socket": (41, 198),
    "socketpair": (53, 199),
    "setsid": (112, 157),
    "setpgid": (109, 154),
    "io_uring_setup": (425, 425),
    "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427),
    "clone": (56, 220),
    "clone3": (435, 435),
    "unshare": (272, 97),
    "setns": (308, 268),
    "mount": (165, 40),
    "umount2": (166, 39),
    "pivot_root": (155, 41),
    "chroot": (161, 51),
    "fsopen": (430, 430),
    "fsconfig": (431, 431),
    "fsmount": (432, 432),
    "fspick": (433, 433),
    "move_mount": (429, 429),
    "open_tree": (428, 428),
    "mount_setattr": (442, 442),
    "open_by_handle_at": (304, 265),
    "bpf": (321, 280),
    "perf_event_open": (298, 241),
    "userfaultfd": (323, 282),
    "keyctl": (250, 219),
    "add_key": (248, 217),
    "request_key": (249, 218),
    "init_module": (175, 105),
    "finit_module": (313, 273),
    "delete_module": (176, 106),
    "kexec_load": (246, 104),
    "kexec_file_load": (320, 294),
    "reboot": (169, 142),
    "swapon": (167, 224),
    "swapoff": (168, 225),
    "acct": (163, 89),
    "quotactl": (179, 60),
    "fanotify_init": (300, 262),
    "settimeofday": (164, 170),
    "clock_settime": (227, 112),
    "adjtimex": (159, 171),
    "clock_adjtime": (305, 266),
    "sethostname": (170, 161),
    "setdomainname": (171, 162),
    "vhangup": (153, 58),
    "syslog": (103, 116),
    "iopl": (172, None),
    "ioperm": (173, None),
}

_DENY_EPERM = (
    "pidfd_send_signal pidfd_getfd ptrace process_vm_readv process_vm_writev process_madvise kcmp "
    "setsid setpgid unshare setns mount umount2 pivot_root chroot fsopen fsconfig fsmount fspick "
    "move_mount open_tree mount_setattr open_by_handle_at bpf perf_event_open userfaultfd keyctl add_key "
    "request_key init_module finit_module delete_module kexec_load kexec_file_load reboot swapon swapoff "
    "acct quotactl fanotify_init settimeofday clock_settime adjtimex clock_adjtime sethostname "
    "setdomainname vhangup syslog iopl ioperm"
).split()
_DENY_ENOSYS = ("clone3", "io_uring_setup", "io_uring_enter", "io_uring_register")
_PID_CHECKED = ("kill", "tkill", "tgkill", "pidfd_open", "prlimit64")

_CLONE_NEW_MASK = (
    syscalls.CLONE_NEWNS
    | syscalls.CLONE_NEWCGROUP
    | syscalls.CLONE_NEWUTS
    | syscalls.CLONE_NEWIPC
    | syscalls.CLONE_NEWUSER
    | syscalls.CLONE_NEWPID
    | syscalls.CLONE_NEWNET
)
AF_UNIX = 1

# BPF opcodes
_LD_W_ABS = 0x20
_JEQ = 0x15
_JGE = 0x35
_JGT = 0x25
_JSET = 0x45
_RET = 0x06

_RET_ALLOW = 0x7FFF0000
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000

# struct seccomp_data offsets: nr, arch, instruction_pointer, args[6] (low word first on LE)
_OFF_NR = 0
_OFF_ARCH = 4


def _arg_low(index: int) -> int:
    return 16 + 8 * index


class _Program:
    """A tiny BPF assembler: instructions whose jump targets are labels."""

    def __init__(self) -> None:
        self.code: list[tuple[int, object, object, int]] = []
        self.labels: dict[str, int] = {}

    def label(self, name: str) -> None:
        self.labels[name] = len(self.code)

    def load(self, offset: int) -> None:
        self.code.append((_LD_W_ABS, 0, 0, offset))

    def jump(self, op: int, k: int, if_true: str | int = 0, if_false: str | int = 0) -> None:
        self.code.append((op, if_true, if_false, k & 0xFFFFFFFF))

    def ret(self, value: int) -> None:
        self.code.append((_RET, 0, 0, value))

    def assemble(self) -> bytes:
        out = bytearray()
        for pc, (op, jt, jf, k) in enumerate(self.code):
            offsets = []
            for target in (jt, jf):
                if isinstance(target, str):
                    delta = self.labels[target] - pc - 1
                    if not 0 <= delta <= 255:
                        raise ValueError(f"BPF jump to {target} out of range")
                    offsets.append(delta)
                else:
                    offsets.append(int(target))  # type: ignore[call-overload]
            out += struct.pack("<HBBI", op, offsets[0], offsets[1], k)
        return bytes(out)


def build_filter(*, own_pid: int, allow_unix_sockets: bool) -> bytes:
    """The filter program (packed `struct sock_filter` array) for this architecture."""
    arch = syscalls.ARCH
    if arch not in _AUDIT_ARCH:
        raise OSError(errno.ENOSYS, f"seccomp: no syscall table for {arch}")
    column = 0 if arch == "x86_64" else 1

    def nr(name: str) -> int | None:
        return _NUMBERS[name][column]

    p = _Program()
    p.load(_OFF_ARCH)
    p.jump(_JEQ, _AUDIT_ARCH[arch], 0, "kill")
    p.load(_OFF_NR)
    if arch == "x86_64":
        p.jump(_JGE, 0x40000000, "eperm", 0)  # the x32 ABI
    for name in _DENY_EPERM:
        number = nr(name)
        if number is not None:
            p.jump(_JEQ, number, "eperm", 0)
    for name in _DENY_ENOSYS:
        p.jump(_JEQ, nr(name), "enosys", 0)  # type: ignore[arg-type]
    for name in _PID_CHECKED:
        p.jump(_JEQ, nr(name), "pid_check", 0)  # type: ignore[arg-type]
    p.jump(_JEQ, nr("socket"), "socket_check", 0)  # type: ignore[arg-type]
    p.jump(_JEQ, nr("socketpair"), "socketpair_check", 0)  # type: ignore[arg-type]
    p.jump(_JEQ, nr("clone"), "clone_check", 0)  # type: ignore[arg-type]
    p.ret(_RET_ALLOW)

    # First argument is a pid (low 32 bits, as the kernel reads a pid_t).
    p.label("pid_check")
    p.load(_arg_low(0))
    p.jump(_JEQ, 0xFFFFFFFF, "eperm", 0)  # -1: every process the caller may signal
    p.jump(_JEQ, 0, "allow", 0)  # 0: the caller itself / its own process group
    p.jump(_JEQ, own_pid, "allow", 0)
    p.jump(_JEQ, -own_pid, "allow", 0)  # its own process group (it is the group leader)
    p.jump(_JGE, 0x80000000, "eperm", 0)  # -1 and every other group
    p.jump(_JGT, own_pid, "allow", "eperm")  # later pids: its own descendants

    p.label("socket_check")
    if allow_unix_sockets:
        p.load(_arg_low(0))
        p.jump(_JEQ, AF_UNIX, "allow", "eacces")
    else:
        p.ret(_RET_ERRNO | errno.EACCES)

    p.label("socketpair_check")
    p.load(_arg_low(0))
    p.jump(_JEQ, AF_UNIX, "allow", "eacces")

    p.label("clone_check")
    p.load(_arg_low(0))
    p.jump(_JSET, _CLONE_NEW_MASK, "eperm", "allow")

    p.label("allow")
    p.ret(_RET_ALLOW)
    p.label("eperm")
    p.ret(_RET_ERRNO | errno.EPERM)
    p.label("eacces")
    p.ret(_RET_ERRNO | errno.EACCES)
    p.label("enosys")
    p.ret(_RET_ERRNO | errno.ENOSYS)
    p.label("kill")
    p.ret(_RET_KILL_PROCESS)
    return p.assemble()


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def install(program: bytes) -> None:
    """Install `program` on the calling thread (no_new_privs must already be set);
    threads and processes created afterwards inherit it."""
    buf = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    syscalls.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog))
