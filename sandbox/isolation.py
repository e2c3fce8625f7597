"""Isolation: how every sandbox run is confined, whether it runs tests or a program.

Both runners (`runner_tests.py` for graded runs, `runner_programs.py` for the playground) start
the same sandbox through this module, so a hardening made here holds for both.

Each run gets a fresh random uid and gid when the worker is root (so RLIMIT_NPROC bites, runs
cannot touch each other, and a leftover process is easy to find), a new session, and bubblewrap
with every namespace unshared: no network (a private loopback with nothing on it), its own pid
namespace whose init is the harness (when it ends, the kernel kills every process left,
double-forked daemons included), read-only binds of only what Python needs of /usr and nothing
else from the host (no /etc, /home, /root, the project or the virtualenv), a size-limited tmpfs
at /tmp as the work directory, the inputs bind-mounted read-only at /sandbox, a cleared
environment, and no nested user namespaces.
The harness sets CPU, memory (address space), process, file-size, core and open-file limits before
any student code runs. However a run ends, its runner kills the sandbox's init (and so everything
in it), reaps bwrap, sweeps the run's uid and deletes the host temporary directory.

Every sandboxed process runs under a seccomp filter (`seccomp.py`), and the whole run sits in its
own cgroup (`cgroups.py`) capping its total memory (tmpfs pages and inodes included) and tasks, so
the per-process rlimits cannot add up to `processes` x `memory_mb`. Run directories live in a
private parent (`run_root`), and the sweep of stale ones never follows a link.

Only the standard library and Django's settings (when configured) are used here: the sandbox is a
plain package below every app, so grading and the playground can share it.
"""

from __future__ import annotations

import contextlib
import enum
import functools
import json
import os
import secrets
import shutil
import signal
import stat
import tempfile
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TypedDict

from django.utils.translation import gettext

from sandbox import cgroups, seccomp
from sandbox.mounts import system_mounts

DEFAULT_PYTHON = "/usr/bin/python3"  # Debian's, outside any virtualenv: only /usr is mounted
SHM_BYTES = 4 << 20  # /dev/shm: enough for multiprocessing's semaphores, no more
SHM_INODES = 256  # and few files in it: each costs kernel memory beyond its size
RUN_MEMORY_OVERHEAD = 64 << 20  # the cgroup's room for the interpreters themselves
KB, MB = 1024, 1024 * 1024
REPORT_LIMIT = 8 * MB  # the harness bounds every event; this bounds the whole report
RUN_DIR_PREFIX = "llmasos-sandbox-"
RUN_ROOT_NAME = "llmasos-sandbox-runs"  # the private parent, one per worker uid
STALE_RUN_DIR_SECONDS = 3600
STALE_SWEEP_INTERVAL = 600
UID_RANGE = (200_000, 2**31 - 2)  # far above system users, container sub-uid ranges and nobody
SANDBOX_TMP = "/tmp"  # noqa: S108 - inside the sandbox: its own tmpfs, the work directory
SANDBOX_SHM = "/dev/shm"  # noqa: S108 - likewise
SANDBOX_ENV = {
    "PATH": "/usr/bin:/bin",
    "HOME": SANDBOX_TMP,
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",  # set and dict orders repeat from run to run
}
# Each mode's harness is copied into the run directory under this one name: tracebacks and the
# sandbox's view stay the same whichever harness a run uses.
HARNESS_NAME = "harness.py"


class Verdict(enum.StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    TIMEOUT = "timeout"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    RESOURCE_LIMIT = "resource_limit"  # the run's cgroup refused a process (a fork bomb)
    TAMPERED = "tampered"  # the student's code interfered with the tests: for the teacher to see


@dataclass(frozen=True)
class Limits:
    # float throughout: an assignment's limits arrive as JSON numbers, so 100.0 MB is fine.
    cpu_seconds: float = 5.0  # rounded up to whole seconds (RLIMIT_CPU)
    wall_seconds: float = 10.0
    memory_mb: float = 256  # for the student's code, on top of the interpreter and harness
    processes: float = 32  # made a whole number where it is used
    file_size_mb: float = 8
    output_kb: float = 64  # cap on stdout+stderr; exceeding it kills the run -> OUTPUT_LIMIT
    tmp_mb: float = 32  # size of the writable tmpfs

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"Limits.{field.name} must be a positive number, not {value!r}.")

    @classmethod
    def from_settings(cls, **overrides: float | None) -> Limits:
        """The SANDBOX_* settings, with `overrides` (None values ignored) taking precedence."""
        settings = _django_settings()
        values: dict[str, float] = {}
        for field in fields(cls):
            default = field.default
            if settings is not None:
                default = getattr(settings, f"SANDBOX_{field.name.upper()}", default)
            values[field.name] = default  # type: ignore[assignment]
        unknown = set(overrides) - set(values)
        if unknown:
            raise TypeError(f"Unknown sandbox limits: {', '.join(sorted(unknown))}")
        values.update({key: value for key, value in overrides.items() if value is not None})
        return cls(**values)


class SandboxError(RuntimeError):
    """The sandbox itself could not start (not the student's fault): retry or fix the worker."""


# --- the command ----------------------------------------------------------------------------------


class Confinement:
    """What one run is held in beyond the namespaces: its seccomp filter and its cgroup.

    Made before the command (`sandbox_argv` takes it), its `fds` passed to the child, `started()`
    once bwrap runs, `exceeded()` read when the run ended and `release()` always at the end.
    """

    def __init__(self, limits: Limits, *, uid: int | None) -> None:
        try:
            self.seccomp_fd: int | None = seccomp.filter_fd()  # None only where a test broke it
        except seccomp.SeccompUnavailable as error:  # never run without the filter
            raise SandboxError(str(error)) from error
        self.group: cgroups.RunGroup | None = None
        if uid is not None and not drop_to(uid):
            return  # Popen itself switches uid: the shell that joins the group could not
        try:
            # The whole run: the student's memory, /tmp's and /dev/shm's pages (tmpfs is charged
            # to the group) and the interpreters' own. bwrap counts as a task too, so the run's
            # own processes stay one below RLIMIT_NPROC and the group, which can tell, bites first.
            self.group = cgroups.run_group(
                memory_bytes=to_bytes(limits.memory_mb + limits.tmp_mb, unit=MB)
                + SHM_BYTES
                + RUN_MEMORY_OVERHEAD,
                processes=int(limits.processes),
            )
        except BaseException:
            self.started()
            raise

    @property
    def fds(self) -> tuple[int, ...]:
        return () if self.seccomp_fd is None else (self.seccomp_fd,)

    def started(self) -> None:
        """bwrap has its own copy of the filter's descriptor: ours can go."""
        if self.seccomp_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.seccomp_fd)
            self.seccomp_fd = None

    def exceeded(self) -> str | None:
        """ "processes" or "memory" when the run hit the cgroup's cap, else None."""
        return self.group.exceeded() if self.group is not None else None

    def release(self) -> None:
        """Kill anything left in the run's cgroup and remove it."""
        self.started()
        if self.group is not None:
            self.group.remove()


def over_cap(exceeded: str | None, limits: Limits) -> tuple[Verdict, str] | None:
    """The verdict and sentence for a run that hit its cgroup's cap (None when it did not).

    It outranks what the tests said: a fork bomb must not pass because its tests did.
    """
    if exceeded == "processes":
        return (
            Verdict.RESOURCE_LIMIT,
            gettext("Your code started more processes than allowed (%(count)d).")
            % {"count": int(limits.processes)},
        )
    if exceeded == "memory":
        return Verdict.MEMORY_LIMIT, gettext("The run used more memory in total than allowed.")
    return None


def sandbox_argv(
    *,
    run_dir: Path,
    limits: Limits,
    uid: int | None,
    harness_args: list[str],
    env: dict[str, str] | None = None,
    confinement: Confinement | None = None,
) -> list[str]:
    """The whole command of one run: join the run's cgroup, drop to `uid`, bubblewrap (with the
    seccomp filter), then the harness on Python.

    `env` adds variables to the sandbox's otherwise cleared environment.
    """
    extra_env = [arg for name, value in (env or {}).items() for arg in ("--setenv", name, value)]
    group = confinement.group if confinement is not None else None
    seccomp_fd = confinement.seccomp_fd if confinement is not None else None
    return [
        *(group.join_argv() if group is not None else []),
        *drop_to(uid),
        *_bwrap_prefix(limits),
        *(["--seccomp", str(seccomp_fd)] if seccomp_fd is not None else []),
        *extra_env,
        "--ro-bind",
        str(run_dir),
        "/sandbox",
        "--remount-ro",
        "/",
        sandbox_python(),
        "-S",  # no site: stdlib only, and a faster start
        "-P",  # the script's directory (/sandbox) is not importable
        f"/sandbox/{HARNESS_NAME}",
        *harness_args,
    ]


def _bwrap_prefix(limits: Limits) -> list[str]:
    return [
        shutil.which("bwrap") or "bwrap",
        "--unshare-all",  # user, pid, net, ipc, uts, cgroup
        "--unshare-user",  # explicit, so --disable-userns can forbid nested namespaces
        "--disable-userns",
        # The harness is the namespace's init: when it exits, the kernel kills whatever is left,
        # and bwrap reaps it (bwrap's own init would be left a zombie for the host's init).
        "--as-pid-1",
        "--die-with-parent",
        "--new-session",  # no TIOCSTI into a terminal
        "--hostname",
        "sandbox",
        *system_mounts(sandbox_python()),
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--size",
        str(SHM_BYTES),
        "--tmpfs",
        SANDBOX_SHM,
        "--size",
        str(to_bytes(limits.tmp_mb, unit=MB)),
        "--tmpfs",
        SANDBOX_TMP,
        "--remount-ro",
        "/dev",  # bwrap's /dev and root are unbounded tmpfs; only /tmp and /dev/shm stay writable
        "--chdir",
        SANDBOX_TMP,
        "--clearenv",
        *[arg for name, value in SANDBOX_ENV.items() for arg in ("--setenv", name, value)],
    ]


def to_bytes(amount: float, *, unit: int) -> int:
    """`amount` of `unit` as whole bytes."""
    # Limits may arrive as floats (JSON from an assignment); rlimits and bwrap want integers.
    return int(amount * unit)


def _django_settings() -> object | None:
    """Django's settings when configured; the runner also works without Django."""
    try:
        from django.conf import settings
    except ImportError:
        return None
    return settings if settings.configured else None


def sandbox_python() -> str:
    """The interpreter the sandbox runs (SANDBOX_PYTHON): one that lives under /usr."""
    return getattr(_django_settings(), "SANDBOX_PYTHON", DEFAULT_PYTHON)


@functools.cache
def harness_source(path: Path) -> str:
    """A harness file's text, read once per worker."""
    return path.read_text(encoding="utf-8")


# --- the run's directory --------------------------------------------------------------------------


def run_root() -> Path:
    """The private parent of every run directory, made on first use.

    Directly in the shared temporary directory, anyone could plant a symlink named like a run
    directory for the stale sweep (run as root) to follow. Here only we can create entries: the
    parent is ours and 0711 (bwrap, already running as the run's uid, must pass through it to
    bind the run's directory, but nobody can list it), and it is checked, never trusted.
    """
    path = Path(tempfile.gettempdir()) / f"{RUN_ROOT_NAME}-{os.geteuid()}"
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o711)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid():
        raise SandboxError(f"{path} is not a directory of ours: refusing to run there.")
    if stat.S_IMODE(info.st_mode) != 0o711:
        # Ours and not a link (checked just above); passable, not listable (see the docstring).
        os.chmod(path, 0o711)  # noqa: S103
    return path


def make_run_dir() -> Path:
    """A fresh host directory for one run's inputs (after sweeping any a killed worker left)."""
    root = run_root()
    _remove_stale_run_dirs(root)
    return Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX, dir=root))


def write_inputs(run_dir: Path, *, files: dict[str, str], uid: int | None) -> None:
    """The sandbox's read-only inputs, owned by the run's uid."""
    for name, text in files.items():
        path = run_dir / name
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        path.chmod(0o400)
        if uid is not None:
            os.chown(path, uid, uid)
    run_dir.chmod(0o500)
    if uid is not None:
        os.chown(run_dir, uid, uid)


def remove_run_dir(run_dir: Path) -> None:
    """Delete a run's host directory, whatever state it was left in (never through a link)."""
    # Unprivileged, the directory is ours but read-only (0500): make it writable to empty it.
    # Through a descriptor opened without following links: a link is never chmod-ed through.
    with contextlib.suppress(OSError):
        fd = os.open(run_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        try:
            os.fchmod(fd, 0o700)
        finally:
            os.close(fd)
    shutil.rmtree(run_dir, ignore_errors=True)  # refuses a symlink, and never follows one inside


_last_sweep = 0.0


def _remove_stale_run_dirs(root: Path) -> None:
    """Remove run directories a killed worker left behind (its `finally` never ran)."""
    global _last_sweep
    now = time.time()
    if now - _last_sweep < STALE_SWEEP_INTERVAL:
        return
    _last_sweep = now
    cgroups.sweep_stale_groups()
    ours = {os.geteuid()}
    low, high = UID_RANGE
    with contextlib.suppress(OSError), os.scandir(root) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)  # lstat: a link is never followed
                if not entry.name.startswith(RUN_DIR_PREFIX) or not stat.S_ISDIR(info.st_mode):
                    continue
                if info.st_uid not in ours and not low <= info.st_uid <= high:
                    continue  # not ours nor a run's: leave a foreign owner's entry alone
                # Far older than any wall limit: no live run can still be using it.
                if now - info.st_mtime > STALE_RUN_DIR_SECONDS:
                    remove_run_dir(Path(entry.path))


# --- the run's identity and its processes ---------------------------------------------------------


def fresh_uid() -> int | None:
    """A random unused uid for one run, or None when the worker is not root."""
    if os.geteuid() != 0:
        return None  # unprivileged: the run keeps our uid (the user namespace still isolates it)
    low, high = UID_RANGE
    return low + secrets.randbelow(high - low + 1)


def drop_to(uid: int | None) -> list[str]:
    """The argv prefix that switches to `uid` before bwrap starts (empty when not needed)."""
    # setpriv (util-linux) switches uid, gid and groups and execs bwrap. Popen's own user=/group=
    # would do the same, but they rule out vfork: the worker is then fork()ed whole for every run,
    # ~9 ms with Django loaded (more in a big worker), against ~1 ms for the extra exec.
    setpriv = _setpriv()
    if uid is None or setpriv is None:
        return []
    return [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--"]


class PopenIdentity(TypedDict, total=False):
    user: int
    group: int
    extra_groups: list[int]


def popen_identity(uid: int | None) -> PopenIdentity:
    """Popen's user/group arguments, for a machine without setpriv."""
    if uid is None or _setpriv() is not None:
        return {}
    return {"user": uid, "group": uid, "extra_groups": []}


@functools.cache
def _setpriv() -> str | None:
    return shutil.which("setpriv")


def children(pid: int) -> list[int]:
    """The direct children of `pid`: bwrap's is the harness, the sandbox's init."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            return [int(child) for child in listing.read().split()]
    except OSError:  # a kernel without CONFIG_PROC_CHILDREN, or bwrap already gone
        return []


def _uid_processes(uid: int) -> list[int]:
    """Live processes whose real, effective, saved or filesystem uid is `uid` (zombies excluded:
    they hold nothing and only their parent can remove them)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                fields = dict(line.split(":", 1) for line in status if ":" in line)
        except OSError:
            continue  # exited meanwhile
        zombie = fields.get("State", "").strip().startswith("Z")
        if str(uid) in fields.get("Uid", "").split() and not zombie:
            pids.append(int(entry))
    return pids


def kill_uid(uid: int, *, timeout: float = 1.0) -> None:
    """Kill every process of the run's uid: belt and braces, nothing of a run may outlive it."""
    deadline = time.monotonic() + timeout
    while pids := _uid_processes(uid):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if time.monotonic() > deadline:
            return
        time.sleep(0.005)


# --- what comes back ------------------------------------------------------------------------------


def report_events(report: bytes) -> list[dict]:
    """The JSON events the harness wrote on REPORT_FD (anything malformed is dropped)."""
    events = []
    for line in report.split(b"\n"):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def as_text(data: bytes) -> str:
    """Output bytes as storable text."""
    # NUL cannot be stored in PostgreSQL text.
    return data.decode("utf-8", "replace").replace("\x00", "\ufffd")


def capped(data: bytes, *, truncated: bool, limits: Limits) -> str:
    """Output as text, with a notice when the output cap cut it."""
    text = as_text(data)
    if truncated and data:
        text += f"\n[output truncated at {limits.output_kb:g} KB]"
    return text
