"""Landlock (Linux 5.13+): unprivileged, path-based file access control, applied with its
three system calls (the same numbers on every architecture).

The child may read and execute beneath the read-only paths, do anything but create
device nodes beneath the writable ones, read/write a few device files, and nothing else
on the file system. Where the kernel's Landlock ABI has them, TCP bind/connect are
refused (ABI 4), device ioctls are limited to the listed device files (ABI 5), and
signals and abstract Unix sockets are scoped to the child's own Landlock domain (ABI 6):
it cannot signal the grader or a concurrent child even when they run as the same uid.
"""

from __future__ import annotations

import ctypes
import os
import stat
from collections.abc import Iterable

from . import syscalls

_CREATE_RULESET = 444
_ADD_RULE = 445
_RESTRICT_SELF = 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13
TRUNCATE = 1 << 14
IOCTL_DEV = 1 << 15

_FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ_ONLY = EXECUTE | READ_FILE | READ_DIR
DEVICE_RW = READ_FILE | WRITE_FILE | TRUNCATE | IOCTL_DEV
DEVICE_RO = READ_FILE | IOCTL_DEV

_NET_BIND_TCP = 1 << 0
_NET_CONNECT_TCP = 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0
_SCOPE_SIGNAL = 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def abi_version() -> int:
    """The kernel's Landlock ABI version, 0 where Landlock is missing or disabled."""
    result = syscalls.raw_syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    return max(int(result), 0)


def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1  # ABI 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


def restrict(
    *,
    read_only: Iterable[str],
    writable: Iterable[str],
    devices_rw: Iterable[str] = (),
    devices_ro: Iterable[str] = (),
) -> int:
    """Confine the calling thread (and all it starts) to these paths; returns the ABI used.

    Paths that do not exist are skipped. no_new_privs must already be set.
    """
    abi = abi_version()
    if abi < 1:
        raise OSError(38, "landlock: not supported by this kernel")
    handled = _handled_fs(abi)
    attr = _RulesetAttr(handled, 0, 0)
    size = 8
    if abi >= 4:
        attr.net = _NET_BIND_TCP | _NET_CONNECT_TCP
        size = 16
    if abi >= 6:
        attr.scoped = _SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL
        size = 24
    ruleset = syscalls.raw_syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    writable_rights = handled & ~(MAKE_CHAR | MAKE_BLOCK)
    try:
        rules = [(p, READ_ONLY) for p in read_only] + [(p, writable_rights) for p in writable]
        rules += [(p, DEVICE_RW) for p in devices_rw] + [(p, DEVICE_RO) for p in devices_ro]
        for path, rights in rules:
            _add_rule(ruleset, path, rights & handled)
        if syscalls.raw_syscall(_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return abi


def _add_rule(ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(fd).st_mode):
            rights &= _FILE_RIGHTS
        rule = _PathBeneath(rights, fd)
        if syscalls.raw_syscall(_ADD_RULE, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH), ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
            raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
    finally:
        os.close(fd)
