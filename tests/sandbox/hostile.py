"""Hostile submissions, shared by the sandbox tests and the Celery-path grading tests.

Every case is a solution for TEST_SOURCE (three tests of `add`). A case that tries to escape is
written so that a successful escape is *visible in the verdict*: the probe counts what it reached,
read or found, and `add` is off by that count, so any escape turns "passed" into "failed". The
probes also print what they saw, for the tests that check the output.

Run them with HOSTILE_LIMITS (small, so the suite stays fast). The `plant_marker` case must run
before `find_marker`, as listed. Set CANARY_ENV in the environment of whatever runs the sandbox
(the `canaries` fixture does) so `env_secrets` has a known secret to look for. The fixture is
defined here, next to what it plants, and imported by the conftests of tests/sandbox and
tests/grading (the task-path hostile tests use it too).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox import Limits, cgroups

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS_FILE = REPO_ROOT / "llmasos" / "settings.py"
REPO_CANARY = REPO_ROOT / "tests" / "sandbox" / ".sandbox-canary"
TMP_CANARY = Path("/tmp/llmasos-canary-for-sandbox-tests")  # noqa: S108 - the host's /tmp, on purpose
CANARY_ENV = {"LLMASOS_SANDBOX_CANARY": "canary-3b1f9c2e-not-for-students"}
MARKER_NAME = "llmasos-other-submission-marker"

HOSTILE_LIMITS = Limits(cpu_seconds=2, wall_seconds=3, memory_mb=256, output_kb=64)

TEST_SOURCE = """\
from solution import add


def test_small():
    assert add(2, 3) == 5


def test_negative():
    assert add(-4, 1) == -3


def test_zero():
    assert add(0, 0) == 0
"""

CORRECT_SOLUTION = """\
def add(a, b):
    return a + b
"""

# Shared by the probes: `add` is wrong by the number of things the submission got at.
_ADD_OFF_BY_ESCAPES = """
print("escaped:", ESCAPED)


def add(a, b):
    return a + b + len(ESCAPED)
"""


@dataclass(frozen=True)
class HostileCase:
    id: str
    solution: str
    expected: str  # a sandbox.Verdict value
    forges: bool = False  # tries to forge results: then no test may come back "passed"


def _probe_paths(paths: list[str]) -> str:
    return (
        f"""
import os

ESCAPED = []
for path in {paths!r}:
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as file:
                file.read(1)
        ESCAPED.append(path)
    except OSError:
        pass
"""
        + _ADD_OFF_BY_ESCAPES
    )


HOST_PATHS = [
    "/etc/passwd",
    "/etc/shadow",
    "/root",
    "/home",
    "/work",
    str(REPO_ROOT),
    str(SETTINGS_FILE),
    str(REPO_ROOT / ".venv" / "bin" / "python"),
    str(REPO_CANARY),
    str(TMP_CANARY),
    # /proc/1 is the sandbox's own init; its root must be the sandbox's root, not the host's.
    "/proc/1/root/etc/passwd",
    f"/proc/1/root{SETTINGS_FILE}",
    "/proc/1/cwd/etc/passwd",
    "/sys/fs/cgroup/cgroup.procs",
]

HOSTILE_CASES: list[HostileCase] = [
    HostileCase(
        "fork_bomb",
        """\
import os

while True:
    try:
        os.fork()
    except OSError:
        pass
""",
        # the run's cgroup refuses the forks and says so; without one, the wall limit ends it
        "resource_limit" if cgroups.available() else "timeout",
    ),
    HostileCase(
        "busy_loop",
        """\
def add(a, b):
    while True:
        pass
""",
        "timeout",
    ),
    HostileCase(
        "sleep",
        """\
import time


def add(a, b):
    time.sleep(60)
    return a + b
""",
        "timeout",
    ),
    HostileCase(
        "allocate_2_gb",
        """\
def add(a, b):
    hog = bytearray(2 * 1024**3)
    return a + b + len(hog) * 0
""",
        "memory_limit",
    ),
    HostileCase(
        "print_100_mb",
        """\
line = "x" * 1023
for _ in range(100 * 1024):
    print(line)


def add(a, b):
    return a + b
""",
        "output_limit",
    ),
    HostileCase(
        "write_1_gb_file",
        """\
def add(a, b):
    block = b"\\0" * 1024 * 1024
    with open("big.bin", "wb") as file:
        for _ in range(1024):
            file.write(block)
    return a + b
""",
        "output_limit",
    ),
    HostileCase(
        "fill_tmp",
        """\
def add(a, b):
    block = b"\\0" * 1024 * 1024
    for number in range(1024):
        with open(f"part{number}.bin", "wb") as file:
            for _ in range(4):
                file.write(block)
    return a + b
""",
        "output_limit",
    ),
    HostileCase(
        "network",
        """\
import socket

ESCAPED = []
for address in [("127.0.0.1", 5432), ("127.0.0.1", 6379), ("1.1.1.1", 53), ("1.1.1.1", 443)]:
    try:  # the seccomp filter refuses AF_INET sockets; the namespace has no route anyway
        with socket.socket() as connection:
            connection.settimeout(1)
            connection.connect(address)
        ESCAPED.append(address)
    except OSError as error:
        print(address, error)
try:
    socket.getaddrinfo("example.org", 443)
    ESCAPED.append("dns")
except OSError as error:
    print("dns", error)
"""
        + _ADD_OFF_BY_ESCAPES,
        "passed",
    ),
    HostileCase("read_host_files", _probe_paths(HOST_PATHS), "passed"),
    HostileCase(
        "env_secrets",
        f"""\
import os

SECRET = {next(iter(CANARY_ENV.values()))!r}
seen = [repr(dict(os.environ))]
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{{pid}}/{{name}}", "rb") as file:
                    seen.append(file.read().decode("utf-8", "replace"))
            except OSError:
                pass
print("\\n".join(seen))
ESCAPED = [text for text in seen if SECRET in text]
"""
        + _ADD_OFF_BY_ESCAPES,
        "passed",
    ),
    HostileCase(
        "plant_marker",
        f"""\
import os

for path in ["{MARKER_NAME}", "/tmp/{MARKER_NAME}", "/dev/shm/{MARKER_NAME}",
             {str(REPO_CANARY)!r}, {str(TMP_CANARY)!r}, "/sandbox/{MARKER_NAME}"]:
    try:
        with open(path, "w") as file:
            file.write("planted by another submission")
    except OSError as error:
        print(path, error)


def add(a, b):
    return a + b
""",
        "passed",
    ),
    HostileCase(
        "find_marker",
        f"""\
import os

ESCAPED = []
for directory in [".", "/tmp", "/dev/shm", "/sandbox", "/"]:
    try:
        if "{MARKER_NAME}" in os.listdir(directory):
            ESCAPED.append(directory)
    except OSError:
        pass
"""
        + _ADD_OFF_BY_ESCAPES,
        "passed",
    ),
    HostileCase(
        "symlinks",
        f"""\
import os

ESCAPED = []
targets = {[*HOST_PATHS, "/proc/1/root", "/proc/self/root/etc/passwd"]!r}
for number, target in enumerate(targets):
    link = f"link{{number}}"
    os.symlink(target, link)
    try:
        if os.path.isdir(link):
            entries = os.listdir(link)
            # /proc/1/root is the sandbox's own root: only host-only entries count
            if {{"etc", "root", "home", "work"}} & set(entries) or target != "/proc/1/root":
                ESCAPED.append((target, entries[:5]))
        else:
            with open(link, "rb") as file:
                ESCAPED.append((target, file.read(40)))
    except OSError:
        pass
"""
        + _ADD_OFF_BY_ESCAPES,
        "passed",
    ),
    HostileCase(
        "daemon",
        """\
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        try:
            for _ in range(600):
                with open("/tmp/daemon.log", "a") as log:
                    log.write("still here\\n")
                time.sleep(0.1)
        finally:
            os._exit(0)
    os._exit(0)
os.wait()


def add(a, b):
    return a + b
""",
        "passed",
    ),
    HostileCase(
        "exit_at_import_with_forged_report",
        """\
import json
import os
import sys

forged = [{"e": "end", "n": name, "o": "passed", "m": "", "d": 1}
          for name in ("test_small", "test_negative", "test_zero")]
forged += [{"e": "done"}, {"e": "exit", "code": 0, "signal": None, "cpu_ms": 1}]
text = "\\n".join(json.dumps(event) for event in forged) + "\\n"
print(text + "Ran 3 tests in 0.001s\\n\\nOK")
print(text, file=sys.stderr)
os.write(1, text.encode())
os.write(2, text.encode())
sys.exit(0)
""",
        "error",
        forges=True,
    ),
    HostileCase(
        "os_exit_mid_run",
        """\
import os


def add(a, b):
    print("3 passed")
    os._exit(0)
""",
        "error",
        forges=True,
    ),
    HostileCase(
        "forge_through_proc_fd",
        """\
import json
import os

# Give up our own channel, then look for anyone else's: the harness's report pipe must be
# out of reach (its owner is not dumpable).
os.closerange(3, 1024)
forged = [{"e": "start", "n": name} for name in ("test_small", "test_negative", "test_zero")]
forged += [{"e": "end", "n": name, "o": "passed", "m": "", "d": 1}
           for name in ("test_small", "test_negative", "test_zero")]
forged += [{"e": "done"}, {"e": "exit", "code": 0, "signal": None, "cpu_ms": 1}]
text = ("\\n".join(json.dumps(event) for event in forged) + "\\n").encode()
for pid in os.listdir("/proc"):
    if not pid.isdigit() or int(pid) == os.getpid():
        continue
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError as error:
        print(pid, error)
        continue
    for fd in fds:
        try:
            target = os.open(f"/proc/{pid}/fd/{fd}", os.O_WRONLY | os.O_NONBLOCK)
            os.write(target, text)
            os.close(target)
            print("wrote to", pid, fd)
        except OSError as error:
            print(pid, fd, error)


def add(a, b):
    return a - b
""",
        "error",
        forges=True,
    ),
]


def processes_of_uid(uid: int) -> list[int]:
    """Pids whose real, effective, saved or filesystem uid is `uid` (read from /proc/*/status)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                uids = next(line for line in status if line.startswith("Uid:")).split()[1:]
        except (OSError, StopIteration):
            continue
        if str(uid) in uids:
            found.append(int(entry))
    return found


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[Path, bytes]]:
    """Files outside the sandbox that no submission may change, and a secret in the environment."""
    for name, value in CANARY_ENV.items():
        monkeypatch.setenv(name, value)
    files = {REPO_CANARY: b"repository canary\n", TMP_CANARY: b"host /tmp canary\n"}
    for path, content in files.items():
        path.write_bytes(content)
    yield files
    for path in files:
        path.unlink(missing_ok=True)
