"""A control group per run: one ceiling on the whole run's memory and process count.

The harness's rlimits are per process: without a group, a run may hold `processes` x `memory_mb`
and a fork bomb is only slowed by RLIMIT_NPROC. The group caps the sum (memory, tmpfs pages
included, and tasks), tells afterwards whether a cap was hit (so a fork bomb is reported as a
resource limit, not as whatever its tests said), and is how the run's last process is killed.

cgroup v1 (the memory and pids hierarchies at /sys/fs/cgroup/{memory,pids}) and v2 (a cgroup2
mount at /sys/fs/cgroup with the memory and pids controllers delegated) are both supported. Where
neither is writable (an unprivileged worker, a container without delegation) runs go on with the
rlimits alone and a warning is logged once: the seccomp filter and the namespaces still hold.

Joining happens before bwrap starts: the run's command begins with a tiny shell that writes "0"
(itself) into the group's cgroup.procs and execs the rest, so bwrap and everything it starts are
inside from their first instruction (a pid moved in after the start could already have forked).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

CGROUP_ROOT = Path("/sys/fs/cgroup")
GROUP_PREFIX = "llmasos-run-"
PARENT = "llmasos"  # our own subtree: the sweep never touches another program's groups
# The join: write ourselves into every listed cgroup.procs, then exec the rest of the argv.
JOIN_SCRIPT = 'while [ "$1" != -- ]; do echo 0 > "$1" || exit 125; shift; done; shift; exec "$@"'
JOIN_FAILED_STATUS = 125


@dataclass(frozen=True)
class _Layout:
    version: int
    memory: Path  # the parent directory our groups are made in, per controller
    pids: Path


@functools.cache
def _layout() -> _Layout | None:
    """Where run groups can be made here, or None (logged once) when nowhere."""
    try:
        if (CGROUP_ROOT / "cgroup.controllers").exists():  # the unified (v2) hierarchy
            parent = CGROUP_ROOT / PARENT
            parent.mkdir(mode=0o755, exist_ok=True)
            enabled = (CGROUP_ROOT / "cgroup.subtree_control").read_text().split()
            for controller in ("memory", "pids"):
                if controller not in enabled:
                    (CGROUP_ROOT / "cgroup.subtree_control").write_text(f"+{controller}")
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
            return _Layout(version=2, memory=parent, pids=parent)
        memory, pids = CGROUP_ROOT / "memory" / PARENT, CGROUP_ROOT / "pids" / PARENT
        for path in (memory, pids):
            path.mkdir(mode=0o755, exist_ok=True)
        return _Layout(version=1, memory=memory, pids=pids)
    except OSError as error:
        logger.warning(
            "Sandbox runs have no per-run cgroup (%s): memory and processes are limited per "
            "process only. Run the worker as root with writable memory and pids cgroups.",
            error,
        )
        return None


def available() -> bool:
    """Whether runs here get a cgroup."""
    return _layout() is not None


class RunGroup:
    """One run's cgroup(s): made with its caps, joined by the command, removed afterwards."""

    def __init__(self, layout: _Layout, *, memory_bytes: int, processes: int) -> None:
        self._layout = layout
        name = f"{GROUP_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
        dirs = [layout.memory / name]
        if layout.pids != layout.memory:
            dirs.append(layout.pids / name)
        self._dirs = dirs
        made: list[Path] = []
        try:
            for path in dirs:
                path.mkdir(mode=0o755)
                made.append(path)
            memory_dir, pids_dir = dirs[0], dirs[-1]
            if layout.version == 2:
                (memory_dir / "memory.max").write_text(str(memory_bytes))
                with contextlib.suppress(OSError):  # only with swap accounting
                    (memory_dir / "memory.swap.max").write_text("0")
            else:
                (memory_dir / "memory.limit_in_bytes").write_text(str(memory_bytes))
                with contextlib.suppress(OSError):  # only with swap accounting
                    (memory_dir / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))
                with contextlib.suppress(OSError):
                    (memory_dir / "memory.swappiness").write_text("0")
            (pids_dir / "pids.max").write_text(str(processes))
        except BaseException:
            for path in made:
                with contextlib.suppress(OSError):
                    path.rmdir()
            raise

    def join_argv(self) -> list[str]:
        """The argv prefix that puts the rest of the command into this group."""
        procs = [str(path / "cgroup.procs") for path in self._dirs]
        return ["/bin/sh", "-c", JOIN_SCRIPT, "sh", *procs, "--"]

    def exceeded(self) -> str | None:
        """ "processes" when a fork was refused, "memory" when the OOM killer struck, else None."""
        memory_dir, pids_dir = self._dirs[0], self._dirs[-1]
        if _counter(pids_dir / "pids.events", "max") > 0:
            return "processes"
        if self._layout.version == 2:
            oom = _counter(memory_dir / "memory.events", "oom_kill")
        else:
            oom = _counter(memory_dir / "memory.oom_control", "oom_kill")
        return "memory" if oom > 0 else None

    def remove(self, *, timeout: float = 2.0) -> None:
        """Kill whatever is still in the group and delete it."""
        deadline = time.monotonic() + timeout
        for path in self._dirs:
            while True:
                _kill_members(path)
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # EBUSY: a member is still exiting
                    if time.monotonic() > deadline:
                        logger.warning("Sandbox cgroup %s could not be removed.", path)
                        break
                    time.sleep(0.005)


def run_group(*, memory_bytes: int, processes: int) -> RunGroup | None:
    """A new cgroup for one run with these caps, or None where cgroups are not available."""
    layout = _layout()
    if layout is None:
        return None
    try:
        return RunGroup(layout, memory_bytes=memory_bytes, processes=processes)
    except OSError as error:
        logger.warning("Sandbox cgroup not created (%s): this run has per-process limits.", error)
        return None


def _counter(path: Path, key: str) -> int:
    """A `key value` line of a cgroup stats file (0 when missing)."""
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _kill_members(path: Path) -> None:
    kill_file = path / "cgroup.kill"  # v2 (5.14+): the kernel kills every member at once
    if kill_file.exists():
        with contextlib.suppress(OSError):
            kill_file.write_text("1")
        return
    with contextlib.suppress(OSError):
        for pid in (path / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)


def sweep_stale_groups() -> None:
    """Remove groups a killed worker left (their owner's pid is gone)."""
    layout = _layout()
    if layout is None:
        return
    for parent in {layout.memory, layout.pids}:
        with contextlib.suppress(OSError):
            for path in parent.iterdir():
                owner = path.name.removeprefix(GROUP_PREFIX).split("-")[0]
                if not path.name.startswith(GROUP_PREFIX) or not owner.isdigit():
                    continue
                if int(owner) != os.getpid() and not Path(f"/proc/{owner}").exists():
                    _kill_members(path)
                    with contextlib.suppress(OSError):
                        path.rmdir()
