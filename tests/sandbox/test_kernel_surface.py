"""The sandbox's kernel surface and the host: the seccomp filter, the run's cgroup, the private
run-directory parent and its sweep, all through the real sandbox."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from sandbox import Limits, Verdict, cgroups, isolation, run_program, run_tests

FAST = Limits(cpu_seconds=3, wall_seconds=6, memory_mb=64, processes=16, tmp_mb=8)

PROBES = """\
import ctypes, fcntl, socket
libc = ctypes.CDLL(None, use_errno=True)

def report(name, ok):
    print(name, "OPEN" if ok else "denied")

params = ctypes.create_string_buffer(120)
report("io_uring_setup", libc.syscall(425, 8, params) >= 0)
for family in (socket.AF_INET, socket.AF_INET6, 40, 16):  # 40 AF_VSOCK, 16 AF_NETLINK
    try:
        socket.socket(family, socket.SOCK_DGRAM).close()
        report(f"socket{family}", True)
    except OSError:
        report(f"socket{family}", False)
report("ptrace", libc.ptrace(0, 0, 0, 0) == 0)  # PTRACE_TRACEME
report("bpf", libc.syscall(321, 0, 0, 0) >= 0 or ctypes.get_errno() != 1)
report("unshare", libc.unshare(0x00020000) == 0)  # CLONE_NEWNS
report("keyctl", libc.syscall(250, 0, -3, 0) >= 0)  # KEYCTL_GET_KEYRING_ID of the session
with open("/usr/bin/python3", "rb") as shared:
    try:
        fcntl.flock(shared, fcntl.LOCK_EX | fcntl.LOCK_NB)
        report("flock", True)
    except OSError:
        report("flock", False)
left, right = socket.socketpair()  # AF_UNIX stays: asyncio and multiprocessing need it
report("unix", True)
"""


def test_the_kernels_risky_calls_are_denied() -> None:
    result = run_program(code=PROBES, limits=FAST)

    lines = dict(line.split() for line in result.stdout.splitlines())
    assert lines.pop("unix") == "OPEN", result.stderr
    assert lines == dict.fromkeys(
        [
            "io_uring_setup",
            "socket2",
            "socket10",
            "socket40",
            "socket16",
            "ptrace",
            "bpf",
            "unshare",
            "keyctl",
            "flock",
        ],
        "denied",
    ), result.stderr


HOLD_A_READ_LOCK = """\
import fcntl, os, sys, time
shared = os.open(sys.executable, os.O_RDONLY)  # a read lock needs only a read-only descriptor
fcntl.lockf(shared, fcntl.LOCK_SH, 1, 0)
print("locked", flush=True)
time.sleep(3)
"""

LOOK_FOR_THE_LOCK = """\
import fcntl, os, struct, sys, time
time.sleep(1)
shared = os.open(sys.executable, os.O_RDONLY)
question = struct.pack("hhqqi", fcntl.F_WRLCK, 0, 0, 1, 0)
for name, command in (("getlk", fcntl.F_GETLK), ("ofd_getlk", 36)):
    try:
        answer = fcntl.fcntl(shared, command, question)
        print(name, "free" if struct.unpack("hhqqi", answer)[0] == fcntl.F_UNLCK else "SEEN")
    except OSError:
        print(name, "denied")
"""


def test_a_record_lock_on_a_shared_file_is_invisible_to_other_runs() -> None:
    holder: dict[str, object] = {}
    thread = threading.Thread(
        target=lambda: holder.setdefault("run", run_program(code=HOLD_A_READ_LOCK, limits=FAST))
    )
    thread.start()
    looker = run_program(code=LOOK_FOR_THE_LOCK, limits=FAST)
    thread.join()

    assert "locked" in holder["run"].stdout  # type: ignore[attr-defined]
    assert dict(line.split() for line in looker.stdout.splitlines()) == {
        "getlk": "denied",
        "ofd_getlk": "denied",
    }, looker.stderr


def test_sqlite_with_its_locks_still_works_in_the_run() -> None:
    code = """\
import sqlite3
db = sqlite3.connect("/tmp/notes.db")
db.execute("CREATE TABLE t (x)"); db.execute("INSERT INTO t VALUES (42)"); db.commit()
print(sqlite3.connect("/tmp/notes.db").execute("SELECT x FROM t").fetchone()[0])
"""
    result = run_program(code=code, limits=FAST)
    assert result.stdout.strip() == "42", (result.problem, result.stderr)


def test_threads_and_subprocesses_still_work_under_the_filter() -> None:
    code = """\
import subprocess, sys, threading
from concurrent.futures import ProcessPoolExecutor
t = threading.Thread(target=print, args=("thread",)); t.start(); t.join()
child = subprocess.run([sys.executable, "-c", "print('child')"], capture_output=True, text=True)
print(child.stdout.strip())
with ProcessPoolExecutor(2) as pool:
    print(sum(pool.map(abs, [-1, -2])))
"""
    result = run_program(code=code, limits=FAST)

    assert result.verdict == Verdict.PASSED, (result.problem, result.stderr)
    assert result.stdout.split() == ["thread", "child", "3"]


FORK_BOMB = """\
import os, time
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.01)
"""

FORK_UNTIL_REFUSED = """\
import os, time
while True:
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
    except OSError:
        break
"""

needs_cgroups = pytest.mark.skipif(not cgroups.available(), reason="no writable cgroups here")


@needs_cgroups
def test_a_fork_bomb_is_a_resource_limit_in_grading_and_the_playground() -> None:
    # Forks until refused, then lets its tests pass: before the cgroup, this run passed.
    graded = run_tests(
        solution=FORK_UNTIL_REFUSED,
        test_source="import solution\n\n\ndef test_it():\n    assert solution\n",
        limits=FAST,
    )
    played = run_program(code=FORK_BOMB, limits=FAST)

    assert graded.verdict == Verdict.RESOURCE_LIMIT, (graded.problem, graded.tests)
    assert "more processes than allowed (16)" in graded.problem
    assert played.verdict == Verdict.RESOURCE_LIMIT, played.problem


@needs_cgroups
def test_the_whole_run_cannot_hold_processes_times_the_memory_limit() -> None:
    # Four children of 60 MB each stay under the 64 MB per-process limit; together they pass
    # the run's cap (64 + 8 + 4 + 64 MB), so the kernel kills one inside the run's group.
    code = """\
import os, time
pids = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(60 << 20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(2)
        os._exit(0)
    pids.append(pid)
statuses = [os.waitpid(pid, 0)[1] for pid in pids]
print("all survived" if not any(statuses) else "one killed")
"""
    result = run_program(code=code, limits=FAST)

    assert result.verdict == Verdict.MEMORY_LIMIT, (result.problem, result.stdout, result.stderr)


@needs_cgroups
def test_a_runs_cgroup_is_removed_after_it() -> None:
    def groups() -> set[str]:
        found: set[str] = set()
        for parent in Path(cgroups.CGROUP_ROOT).glob(f"*/{cgroups.PARENT}"):
            found |= {path.name for path in parent.glob(f"{cgroups.GROUP_PREFIX}{os.getpid()}-*")}
        found |= {p.name for p in (cgroups.CGROUP_ROOT / cgroups.PARENT).glob("llmasos-run-*")}
        return found

    before = groups()
    assert run_program(code=FORK_BOMB, limits=FAST).verdict == Verdict.RESOURCE_LIMIT
    assert groups() <= before


def test_the_sweep_never_follows_a_planted_symlink(monkeypatch: pytest.MonkeyPatch) -> None:
    victim_dir = Path(tempfile.mkdtemp(prefix="victim-"))
    victim = victim_dir / "precious"
    victim.write_text("mine")
    victim.chmod(0o644)
    victim_dir.chmod(0o755)
    an_hour_ago = time.time() - isolation.STALE_RUN_DIR_SECONDS - 60
    for target in (victim, victim_dir):  # old enough to look stale, were the link followed
        os.utime(target, (an_hour_ago, an_hour_ago))
    # Under the old prefix in the shared temporary directory, and (were it writable to anyone)
    # inside the private parent: both named like a stale run directory.
    planted = [
        Path(tempfile.gettempdir()) / f"{isolation.RUN_DIR_PREFIX}planted{os.getpid()}",
        isolation.run_root() / f"{isolation.RUN_DIR_PREFIX}planted{os.getpid()}",
    ]
    for link, target in zip(planted, (victim, victim_dir), strict=True):
        link.symlink_to(target)
        os.utime(link, (an_hour_ago, an_hour_ago), follow_symlinks=False)
    monkeypatch.setattr(isolation, "_last_sweep", 0.0)
    try:
        result = run_program(code="print('hi')", limits=FAST)

        assert result.verdict == Verdict.PASSED
        assert oct(victim.stat().st_mode & 0o777) == oct(0o644)
        assert oct(victim_dir.stat().st_mode & 0o777) == oct(0o755)
        assert victim.read_text() == "mine"
    finally:
        for link in planted:
            link.unlink(missing_ok=True)
        victim.unlink()
        victim_dir.rmdir()


def test_run_directories_live_in_a_private_parent() -> None:
    root = isolation.run_root()

    info = root.lstat()
    assert root.is_dir() and not root.is_symlink()
    assert info.st_uid == os.geteuid()
    assert info.st_mode & 0o777 == 0o711  # passable for the run's uid, listable by nobody else


def test_a_planted_run_root_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (tmp_path / f"{isolation.RUN_ROOT_NAME}-{os.geteuid()}").symlink_to(tmp_path)

    with pytest.raises(isolation.SandboxError):
        isolation.run_root()


def test_only_what_python_needs_of_usr_is_visible() -> None:
    code = """\
import os, zoneinfo
for path in ("/usr/bin/python3", "/usr/lib/python3.11/json", "/usr/bin/bwrap",
             "/usr/bin/setpriv", "/usr/share/doc", "/usr/local", "/usr/bin/sh"):
    print(path, os.path.exists(path))
print("zone", zoneinfo.ZoneInfo("Europe/Paris").key)
"""
    result = run_program(code=code, limits=FAST)

    seen = dict(line.split() for line in result.stdout.splitlines())
    assert seen.pop("zone") == "Europe/Paris", result.stderr
    assert seen == {
        "/usr/bin/python3": "True",
        "/usr/lib/python3.11/json": "True",
        "/usr/bin/bwrap": "False",
        "/usr/bin/setpriv": "False",
        "/usr/share/doc": "False",
        "/usr/local": "False",
        "/usr/bin/sh": "False",
    }


@needs_cgroups
def test_many_tiny_files_in_dev_shm_end_at_the_runs_memory_cap() -> None:
    # /dev/shm's size is capped by bwrap; its inodes' kernel memory is charged to the run's
    # cgroup, so 300 000 empty files (~300 MB of inodes) stop at the run's cap.
    code = """\
for n in range(300_000):
    open(f"/dev/shm/{n}", "w").close()
print("made them all")
"""
    # CPU time to spare: on a slow or busy machine 3 s ran out before the cap was reached, and
    # the run ended as a time-out, which says nothing about the memory charge.
    result = run_program(code=code, limits=replace(FAST, cpu_seconds=20, wall_seconds=40))

    assert result.verdict == Verdict.MEMORY_LIMIT, (result.stdout, result.problem)
    assert "made them all" not in result.stdout
