"""`make run` stops within 10 s on TERM to its process group, even while the worker is busy.

A service manager or a closing terminal sends TERM to the whole group. The Celery worker then
begins a warm shutdown that waits for its running task (a grading or model job: minutes), and
the old script waited on it. Here the worker runs a task that outlasts any grace period.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, free_port, wait_for_port

NAP = "tests.platform.slow_task.nap"


def _alive_in_group(pgid: int) -> list[str]:
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        state, _ppid, group = stat[stat.rindex(")") + 2 :].split()[:3]
        if int(group) == pgid and state != "Z":
            alive.append(f"{entry.name} {name}")
    return alive


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.2)


def test_term_to_the_process_group_stops_everything_within_10_seconds(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "LLMASOS_VAR_DIR": str(tmp_path),
        "LLMASOS_BIN": str(Path(sys.executable).parent),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",  # the embedded broker, in this test's var dir
        "PYTHONPATH": str(ROOT),
        "WORKER_OPTIONS": "--include tests.platform.slow_task",
    }
    script = subprocess.Popen(
        [str(ROOT / "scripts" / "serve.sh"), "127.0.0.1", str(port)],
        env=env,
        start_new_session=True,  # its own process group, like `make run` in a terminal
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, script, timeout=60)
        # Sent by the same app and settings as the worker's (the embedded broker in tmp_path).
        subprocess.run(
            [env["LLMASOS_BIN"] + "/celery", "-A", "llmasos", "call", "--args=[600]", NAP],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=60,
        )
        log = tmp_path / "log" / "worker.log"
        _wait_for(lambda: f"{NAP}[" in log.read_text(), 60, "the worker took no task")
        assert len(_alive_in_group(script.pid)) >= 4  # script, worker, its pool, uvicorn

        os.killpg(script.pid, signal.SIGTERM)
        stopped = time.monotonic()
        _wait_for(lambda: script.poll() is not None, 10, "the script still runs after 10 s")
        left = _alive_in_group(script.pid)
        assert left == [], f"still running {time.monotonic() - stopped:.0f}s after TERM: {left}"
    finally:
        if script.poll() is None or _alive_in_group(script.pid):
            os.killpg(script.pid, signal.SIGKILL)
            script.wait()
