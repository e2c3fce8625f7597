"""Hostile submissions (tests/sandbox/hostile.py) against the real sandbox.

For every case: the right verdict, back within the wall limit (plus a second), nothing of the
run's uid left running, nothing changed outside the run, and a normal submission graded right
afterwards still passes.
"""

from __future__ import annotations

import glob
import os
import socket
import subprocess
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from sandbox import SANDBOX_ENV, SandboxResult, Verdict, isolation, run_tests
from tests.sandbox.hostile import (
    CORRECT_SOLUTION,
    HOSTILE_CASES,
    HOSTILE_LIMITS,
    MARKER_NAME,
    TEST_SOURCE,
    HostileCase,
    processes_of_uid,
)

SANDBOX_DIRS = os.path.join(isolation.run_root(), "llmasos-sandbox-*")


def run(solution: str) -> tuple[SandboxResult, float]:
    started = time.monotonic()
    result = run_tests(solution=solution, test_source=TEST_SOURCE, limits=HOSTILE_LIMITS)
    return result, time.monotonic() - started


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=[case.id for case in HOSTILE_CASES])
def test_hostile_code_is_contained(case: HostileCase, canaries: dict[Path, bytes]) -> None:
    sandbox_dirs = set(glob.glob(SANDBOX_DIRS))

    result, elapsed = run(case.solution)

    assert result.verdict == case.expected, (result.problem, result.tests, result.stdout[-500:])
    assert elapsed < HOSTILE_LIMITS.wall_seconds + 1
    if case.forges:
        assert not [test for test in result.tests if test.outcome == "passed"]
    if result.run_uid is not None:  # None only when the tests do not run as root
        assert processes_of_uid(result.run_uid) == []
    assert set(glob.glob(SANDBOX_DIRS)) <= sandbox_dirs  # this run's directory is gone
    for path, content in canaries.items():
        assert path.read_bytes() == content
    assert not Path(tempfile.gettempdir(), MARKER_NAME).exists()

    after, _ = run(CORRECT_SOLUTION)
    assert after.verdict == Verdict.PASSED


def test_a_daemon_does_not_keep_the_run_open() -> None:
    case = next(case for case in HOSTILE_CASES if case.id == "daemon")

    result, elapsed = run(case.solution)

    assert result.verdict == Verdict.PASSED
    assert elapsed < 1


def test_the_environment_is_only_the_sandboxs_own(canaries: dict[Path, bytes]) -> None:
    case = next(case for case in HOSTILE_CASES if case.id == "env_secrets")

    result, _ = run(case.solution)

    assert result.verdict == Verdict.PASSED
    ours = set(SANDBOX_ENV.values())
    leaked = [
        name
        for name, value in os.environ.items()
        if len(value) >= 6 and value not in ours and value in result.stdout
    ]
    assert leaked == []
    assert "'PATH': '/usr/bin:/bin', 'HOME': '/tmp'" in result.stdout


def test_a_submission_cannot_see_a_concurrent_ones_files() -> None:
    planter = textwrap.dedent(
        """\
        import time

        for path in ["{marker}", "/tmp/{marker}", "/dev/shm/{marker}"]:
            with open(path, "w") as file:
                file.write("here")
        time.sleep(1.5)


        def add(a, b):
            return a + b
        """
    ).format(marker=MARKER_NAME)
    finder = next(case for case in HOSTILE_CASES if case.id == "find_marker")
    planted: list[SandboxResult] = []
    thread = threading.Thread(target=lambda: planted.append(run(planter)[0]))
    thread.start()
    time.sleep(0.5)  # the planter has written its files and is sleeping

    found, _ = run(finder.solution)
    thread.join()

    assert planted[0].verdict == Verdict.PASSED
    assert found.verdict == Verdict.PASSED, found.stdout
    assert found.run_uid != planted[0].run_uid or found.run_uid is None


def test_the_network_is_unreachable_even_where_the_host_listens(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    probe = f"""\
import socket

ESCAPED = []
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=1).close()
    ESCAPED.append({port})
except OSError:
    pass


def add(a, b):
    return a + b + len(ESCAPED)
"""
    try:
        # Control: outside the sandbox the same probe does connect, so it would notice.
        outside = subprocess.run(
            ["/usr/bin/python3", "-c", probe + "print(add(2, 3))"],
            capture_output=True,
            text=True,
            timeout=10,
            cwd=tmp_path,
        )
        assert outside.stdout.strip() == "6"

        result, _ = run(probe)
    finally:
        listener.close()

    assert result.verdict == Verdict.PASSED


@pytest.mark.parametrize("case_id", ["read_host_files", "env_secrets", "symlinks"])
def test_the_probes_do_see_the_host_outside_the_sandbox(
    case_id: str, canaries: dict[Path, bytes], tmp_path: Path
) -> None:
    """Control: the same code run unsandboxed does escape, so a pass in the sandbox means
    something."""
    case = next(case for case in HOSTILE_CASES if case.id == case_id)

    outside = subprocess.run(
        ["/usr/bin/python3", "-c", case.solution + "\nprint('add:', add(2, 3))"],
        capture_output=True,
        text=True,
        timeout=10,
        cwd=tmp_path,
    )

    assert outside.returncode == 0, outside.stderr
    assert "add: 5" not in outside.stdout
