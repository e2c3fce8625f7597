"""`make run` started as root runs nothing as root: scripts/as_service_user.sh hands the services
to an unprivileged user, and the sandbox keeps every defence without root.

The hostile submissions of the sandbox suite run again here, in a process that
as_service_user.sh started (no uid 0, no capability, no_new_privs): the same verdicts, the fork
bomb still ended by the run's own cgroup, the start-up self-test passing. Then the real
`serve.sh` is started through it and its web server and worker are checked from /proc.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port, wait_for_port

SCRIPT = ROOT / "scripts" / "as_service_user.sh"
SERVICE_USER = "llmasos"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="only root can hand the services to a user"),
    # Nothing here touches a database: one run, in the SQLite pass, is enough.
    pytest.mark.skipif(
        os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="runs once, in the SQLite pass",
    ),
]

PROBE = """\
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmasos.settings")
import django
django.setup()  # as in the grading worker: the verdicts' sentences are translatable text
from sandbox import cgroups, run_tests, selftest
from tests.sandbox.hostile import HOSTILE_CASES, HOSTILE_LIMITS, TEST_SOURCE, CORRECT_SOLUTION

status = dict(line.split(":", 1) for line in open("/proc/self/status"))
selftest.ensure_isolated()  # raises when the sandbox does not isolate for this user
seen = {
    "euid": os.geteuid(),
    "capabilities": int(status["CapEff"].strip(), 16),
    "no_new_privs": status["NoNewPrivs"].strip(),
    "cgroups": cgroups.available(),
    "verdicts": {},
}
for case in HOSTILE_CASES + [type(HOSTILE_CASES[0])("correct", CORRECT_SOLUTION, "passed")]:
    result = run_tests(solution=case.solution, test_source=TEST_SOURCE, limits=HOSTILE_LIMITS)
    seen["verdicts"][case.id] = {"got": result.verdict.value, "expected": case.expected}
print(json.dumps(seen))
"""


@pytest.fixture
def var() -> Iterator[Path]:
    """A var directory the service user can reach (pytest's tmp_path sits in root's 0700 one)."""
    parent = Path(tempfile.mkdtemp(prefix="llmasos-service-user-"))
    parent.chmod(0o755)
    yield parent / "var"
    shutil.rmtree(parent, ignore_errors=True)


def _service_env(var: Path) -> dict[str, str]:
    # What `make run` has: the model and its cache in var/, the local model service.
    inherited = ("MODEL_CACHE_DIR", "LLM_BACKEND", "LLM_BASE_URL", "LLM_MODEL")
    return {
        **{name: value for name, value in os.environ.items() if name not in inherited},
        "LLMASOS_VAR_DIR": str(var),
        "LLMASOS_BIN": str(Path(sys.executable).parent),
        "LLMASOS_USER": SERVICE_USER,
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "llmasos.settings",
    }


def _service_user_can_run_this_python() -> bool:
    """The virtualenv must sit on a Python the service user can read (`make install` builds it on
    Debian's /usr/bin/python3.11); a developer's venv on a Python under /root cannot be used."""
    probe = subprocess.run(
        [
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "env",  # the user's own exec: see as_service_user.sh
            sys.executable,
            "-c",
            "",
        ],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


needs_readable_python = pytest.mark.skipif(
    not _service_user_can_run_this_python(),
    reason="this virtualenv's Python is under a directory only root can read",
)


def test_a_virtualenv_the_user_cannot_run_is_refused_with_the_fix(tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    python = fake_bin / "python"  # as a Python under /root is to the service user: out of reach
    python.write_text("#!/bin/sh\n")
    python.chmod(0o700)
    env = {**_service_env(tmp_path / "var"), "LLMASOS_BIN": str(fake_bin)}

    result = subprocess.run(
        [str(SCRIPT), "true"], env=env, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode == 1
    assert "cannot run" in result.stderr and "make install" in result.stderr
    assert "LLMASOS_USER=root" in result.stderr


@needs_readable_python
def test_the_sandbox_holds_every_defence_without_root(var: Path) -> None:
    result = subprocess.run(
        [str(SCRIPT), sys.executable, "-c", PROBE],
        env=_service_env(var),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["euid"] != 0
    assert seen["capabilities"] == 0
    assert seen["no_new_privs"] == "1"
    assert seen["cgroups"] is True  # the delegated subtree: runs still get their own caps
    wrong = {case: v for case, v in seen["verdicts"].items() if v["got"] != v["expected"]}
    assert not wrong
    assert seen["verdicts"]["fork_bomb"]["got"] == "resource_limit"
    assert seen["verdicts"]["correct"]["got"] == "passed"
    assert (var.stat().st_mode & 0o777) == 0o700
    assert var.stat().st_uid != 0


def _uids_below(pid: int) -> dict[int, tuple[str, int, int]]:
    """name, real uid and effective capabilities of `pid` and everything below it."""
    found: dict[int, tuple[str, int, int]] = {}
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = dict(
                line.split(":", 1)
                for line in Path(f"/proc/{current}/status").read_text().splitlines()
            )
            kids = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        found[current] = (
            status["Name"].strip(),
            int(status["Uid"].split()[0]),
            int(status["CapEff"].strip(), 16),
        )
        pending.extend(int(kid) for kid in kids)
    return found


@needs_readable_python
def test_serve_runs_the_web_server_and_worker_as_the_service_user(var: Path) -> None:
    port = free_port()
    migrate = subprocess.run(
        [str(SCRIPT), sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        env=_service_env(var),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    server = subprocess.Popen(
        [str(SCRIPT), str(ROOT / "scripts" / "serve.sh"), "127.0.0.1", str(port)],
        env=_service_env(var),
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        # The model service comes first: as this user it converts the packaged model into the
        # fresh var/ (site-packages is read-only to it) and loads it; then the web starts.
        wait_for_port(port, server, timeout=240)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=30) as page:
            assert page.status == 200
        deadline = time.monotonic() + 60
        log = var / "log" / "worker.log"
        while "ready" not in (log.read_text() if log.exists() else ""):
            assert time.monotonic() < deadline, "the worker never became ready"
            time.sleep(0.5)

        processes = _uids_below(server.pid)
        names = {name for name, _uid, _caps in processes.values()}
        assert any("celery" in name for name in names) or any("python" in name for name in names), (
            names
        )
        as_root = {pid: entry for pid, entry in processes.items() if entry[1] == 0}
        assert not as_root, as_root
        assert all(caps == 0 for _name, _uid, caps in processes.values())
        assert "refus" not in log.read_text().lower()  # the self-test passed as this user
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
