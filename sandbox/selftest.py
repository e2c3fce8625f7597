"""The sandbox's start-up self-test: does it isolate here, before it runs anyone's code?

A worker whose sandbox silently lost its network namespace, shows host files or applies no
limits would still grade: every result would look normal. So every process that runs student
code checks once, through the real sandbox, with a probe that tries exactly those doors, and
refuses to run anything while one is open (`ensure_isolated`). The Celery worker checks at
start-up and stops consuming jobs (llmasos/celery.py); the web process checks before its first
playground run.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from pathlib import Path

from sandbox import cgroups
from sandbox.isolation import Limits, SandboxError, Verdict, run_root

logger = logging.getLogger(__name__)

PROBE_LIMITS = Limits(cpu_seconds=5, wall_seconds=20, memory_mb=32, processes=8, tmp_mb=4)

# What the probe tries. It prints one JSON line and then forks until refused.
PROBE = """\
import json, os, resource, socket, time
seen = {}
with open("/proc/net/dev") as devices:  # the network namespace's interfaces
    seen["interfaces"] = sorted(line.split(":")[0].strip() for line in devices if ":" in line)
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    seen["inet_socket"] = True
except OSError:
    seen["inet_socket"] = False
seen["visible"] = [path for path in PATHS if os.path.lexists(path)]
try:
    block = bytearray(96 << 20)
    seen["memory_limited"] = False
except MemoryError:
    seen["memory_limited"] = True
seen["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[0]
print(json.dumps(seen), flush=True)
while True:
    try:
        if os.fork() == 0:
            time.sleep(10)
            os._exit(0)
    except OSError:
        break
"""

_lock = threading.Lock()
_checked: list[str] | None = None


def isolation_problems() -> list[str]:
    """What the sandbox fails to isolate here, in plain sentences ([] when it holds)."""
    from sandbox.runner_programs import run_program

    with tempfile.NamedTemporaryFile(dir=run_root(), prefix="selftest-canary-") as canary:
        paths = ["/etc/passwd", "/root", "/home", canary.name, str(Path(__file__).resolve())]
        code = f"PATHS = {paths!r}\n{PROBE}"
        try:
            result = run_program(code=code, limits=PROBE_LIMITS, _self_test=True)
        except (OSError, SandboxError) as error:
            return [f"the sandbox does not start ({error})"]
    try:
        seen = json.loads(result.stdout.splitlines()[0])
    except (IndexError, ValueError):
        return [f"the probe did not report ({result.verdict}: {result.problem or result.stderr})"]
    problems = []
    if seen.get("interfaces") != ["lo"]:
        problems.append(f"the network is reachable (interfaces {seen.get('interfaces')})")
    if seen.get("inet_socket"):
        problems.append("an AF_INET socket opens (no seccomp filter)")
    if seen.get("visible"):
        problems.append(f"host files are visible ({', '.join(seen['visible'])})")
    if not seen.get("memory_limited"):
        problems.append("the memory limit is not applied")
    if seen.get("nproc") != int(PROBE_LIMITS.processes):
        problems.append("the process limit is not applied")
    if cgroups.available() and result.verdict != Verdict.RESOURCE_LIMIT:
        problems.append(f"the run's cgroup did not stop a fork bomb ({result.verdict})")
    return problems


def ensure_isolated() -> None:
    """Raise SandboxError unless this process's self-test passed (run once, on first use)."""
    global _checked
    with _lock:
        if _checked is None:
            _checked = isolation_problems()
            if _checked:
                logger.critical(
                    "SANDBOX SELF-TEST FAILED in process %s, no student code will run here: %s",
                    os.getpid(),
                    "; ".join(_checked),
                )
        problems = _checked
    if problems:
        raise SandboxError("The sandbox does not isolate on this server: " + "; ".join(problems))


def reset() -> None:
    """Forget the result (tests, or after fixing the machine in a long-lived process)."""
    global _checked
    with _lock:
        _checked = None
