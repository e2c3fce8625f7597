"""`make run` stops within 10 s on TERM to its process group, even while the worker is busy.

A service manager or a closing terminal sends TERM to the whole group. The Celery worker then
begins a warm shutdown that waits for its running task (a grading or model job: minutes), and
the old script waited on it. Here the worker runs a task that outlasts any grace period.

The inference service starts first and holds the one model: the web and the workers start once
it says it is loaded, and reach the model through it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from django.conf import settings

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


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _pid_of(pgid: int, needle: str) -> int:
    for line in _alive_in_group(pgid):
        pid = line.split()[0]
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        if needle in command:
            return int(pid)
    raise AssertionError(f"no process running {needle!r}")


def test_term_to_the_process_group_stops_everything_within_10_seconds(tmp_path):
    port = free_port()
    inference_port = free_port()
    env = {
        **os.environ,
        "LLMASOS_VAR_DIR": str(tmp_path),
        "LLMASOS_BIN": str(Path(sys.executable).parent),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",  # the embedded broker, in this test's var dir
        "PYTHONPATH": str(ROOT),
        "WORKER_OPTIONS": "--include tests.platform.slow_task",
        "INFERENCE_PORT": str(inference_port),
        # The model prepared once for the suite, not dequantised again in tmp_path (~25 s).
        "MODEL_CACHE_DIR": str(settings.MODEL_CACHE_DIR),
        "LLM_BACKEND": "local",  # what a developer's shell has; make run starts the service
    }
    env.pop("LLM_BASE_URL", None)
    script = subprocess.Popen(
        [str(ROOT / "scripts" / "serve.sh"), "127.0.0.1", str(port)],
        env=env,
        start_new_session=True,  # its own process group, like `make run` in a terminal
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, script, timeout=240)  # the web starts once the model is loaded
        health = httpx.get(f"http://127.0.0.1:{inference_port}/v1/health", timeout=10)
        assert health.status_code == 200 and health.json()["status"] == "ready"
        for needle in ("uvicorn llmasos.asgi", "-Q celery", "-Q llm"):
            environ = _environ(_pid_of(script.pid, needle))
            assert environ["LLM_BACKEND"] == "openai"
            assert environ["LLM_BASE_URL"] == f"http://127.0.0.1:{inference_port}/v1"
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
        # script, the service, the two workers and their pools, uvicorn
        assert len(_alive_in_group(script.pid)) >= 7

        os.killpg(script.pid, signal.SIGTERM)
        stopped = time.monotonic()
        _wait_for(lambda: script.poll() is not None, 10, "the script still runs after 10 s")
        left = _alive_in_group(script.pid)
        assert left == [], f"still running {time.monotonic() - stopped:.0f}s after TERM: {left}"
    finally:
        if script.poll() is None or _alive_in_group(script.pid):
            os.killpg(script.pid, signal.SIGKILL)
            script.wait()


def test_a_model_that_cannot_load_stops_make_run_with_the_reason(tmp_path):
    env = {
        **os.environ,
        "LLMASOS_VAR_DIR": str(tmp_path),
        "LLMASOS_BIN": str(Path(sys.executable).parent),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
        "PYTHONPATH": str(ROOT),
        "INFERENCE_PORT": str(free_port()),
        "LLM_MODEL": str(tmp_path / "no-such-model"),
    }
    env.pop("LLM_BACKEND", None)
    env.pop("LLM_BASE_URL", None)
    done = subprocess.run(
        [str(ROOT / "scripts" / "serve.sh"), "127.0.0.1", str(free_port())],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        start_new_session=True,
    )
    assert done.returncode == 1
    assert "The model did not load" in done.stderr
    assert "did not become ready" in done.stderr
    assert not (tmp_path / "log" / "worker.log").exists()  # nothing else was started
