"""The seccomp filter every sandboxed process runs under (bubblewrap's `--seccomp FD`).

The namespaces already take the network, the host's files and other users away; what is left is
the kernel itself. This filter closes the parts of it that student Python never needs and that
carry most of the kernel's recent exploits: io_uring, eBPF, the keyrings, ptrace and its cousins,
perf events, userfaultfd, new namespaces and mounts, and every socket family but AF_UNIX (an
AF_VSOCK or AF_INET socket opens even without a network).

The filter is built with libseccomp (through the `pyseccomp` ctypes binding, so Debian's
libseccomp2 does the BPF) and exported once per worker as BPF bytes; each run hands bubblewrap a
fresh memfd holding them. bwrap loads the filter after it has set up the namespaces and mounts,
just before it execs the harness, so bwrap itself may still unshare and mount.

Denied calls fail with EPERM (ENOSYS for clone3, whose flags a filter cannot read, so libc falls
back to clone, whose flags it can); a foreign architecture's syscall (32-bit int 0x80) kills the
process (libseccomp's default for a filter that lists only the native architecture).
"""

from __future__ import annotations

import errno
import functools
import os
import socket

# Each group: the calls, and why student code may not have them.
DENIED_SYSCALLS = (
    # io_uring: a second syscall interface that seccomp cannot see into
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    # the kernel's programmable and debugging surfaces
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "pidfd_getfd",
    # flock on a file every run shares (the interpreter, bound read-only) is a channel between
    # runs (fcntl's record locks too: see LOCK_QUERIES)
    "flock",
    # the keyrings
    "keyctl",
    "add_key",
    "request_key",
    # new namespaces and mounts (bwrap has made its own already)
    "unshare",
    "setns",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    # handles that bypass paths, modules, kexec, raw I/O: root-only, and closed all the same
    "name_to_handle_at",
    "open_by_handle_at",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "iopl",
    "ioperm",
    "quotactl",
    "syslog",
    "acct",
    "swapon",
    "swapoff",
    "reboot",
)

# clone's flags that make a namespace: clone() with any of them is refused like unshare().
CLONE_NAMESPACE_FLAGS = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
    0x00000080,  # CLONE_NEWTIME
)


# fcntl's record locks: a read lock needs only a read-only descriptor, so a run can hold one on
# the shared interpreter, and another run could see it by asking which lock would block a write
# lock. Without the question the lock is invisible (a write lock, the other way to find it, needs
# a writable descriptor, which the read-only binds never give); /proc/locks shows only the run's
# own pid namespace. Taking and releasing locks stays allowed: sqlite3 in /tmp needs them.
F_OFD_GETLK = 36  # the open-file-description variant (Linux 3.15+); `fcntl` names it since 3.9
LOCK_QUERIES = (5, F_OFD_GETLK)  # F_GETLK (= F_GETLK64 on 64-bit), F_OFD_GETLK


class SeccompUnavailable(RuntimeError):
    """libseccomp (or its Python binding) is missing: the sandbox must not run without it."""


@functools.cache
def filter_bpf() -> bytes:
    """The filter as BPF bytes for this machine's architecture (built once per process)."""
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError) as error:  # the binding, or libseccomp.so.2 behind it
        raise SeccompUnavailable(
            f"libseccomp is not usable ({error}); `make system-deps` installs libseccomp2."
        ) from error
    deny = seccomp.ERRNO(errno.EPERM)
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        try:
            rules.add_rule(deny, name)
        except (OSError, ValueError, RuntimeError):
            continue  # a call this architecture does not have (iopl on arm64...)
    for flag in CLONE_NAMESPACE_FLAGS:
        rules.add_rule(deny, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for command in LOCK_QUERIES:
        rules.add_rule(deny, "fcntl", seccomp.Arg(1, seccomp.EQ, command))
    no_family = seccomp.ERRNO(errno.EAFNOSUPPORT)
    for call in ("socket", "socketpair"):
        rules.add_rule(no_family, call, seccomp.Arg(0, seccomp.NE, socket.AF_UNIX))
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(write_end, "wb", closefd=True) as sink:
            rules.export_bpf(sink)
        with os.fdopen(read_end, "rb", closefd=False) as source:
            return source.read()
    finally:
        os.close(read_end)


def filter_fd() -> int:
    """A fresh inheritable file descriptor holding the filter, for one run's `--seccomp FD`.

    bwrap reads it to its end: a descriptor per run, so concurrent runs never share an offset.
    The caller passes it to the child (pass_fds) and closes it once bwrap has started.
    """
    bpf = filter_bpf()
    fd = os.memfd_create("llmasos-seccomp", 0)  # not CLOEXEC: pass_fds hands it to bwrap
    try:
        os.write(fd, bpf)
        os.lseek(fd, 0, os.SEEK_SET)
    except BaseException:
        os.close(fd)
        raise
    return fd
