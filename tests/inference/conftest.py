"""One live `manage.py serve_inference` (the real packaged model) shared by the server tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import ROOT, LoggedProcess, free_port

SERVICE_KEY = "test-service-key"


@dataclass(frozen=True)
class Service:
    base_url: str  # ends in /v1
    api_key: str
    model: str
    process: subprocess.Popen | None = None

    def health(self) -> dict:
        try:
            url = f"{self.base_url}/health"
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
                return json.load(response)
        except urllib.error.HTTPError as error:
            return json.loads(error.read() or b"{}")


def wait_until_ready(service: Service, timeout: float = 180) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if service.process is not None and service.process.poll() is not None:
            output = service.process.output() if isinstance(service.process, LoggedProcess) else ""
            raise RuntimeError(f"serve_inference exited: {output[-2000:]}")
        try:
            if service.health().get("status") == "ready":
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError("serve_inference was not ready in time")


@pytest.fixture(scope="session")
def local_service() -> Iterator[Service]:
    port = free_port()
    env = {**os.environ, "INFERENCE_API_KEY": SERVICE_KEY, "LLM_BACKGROUND_MAX_WAIT": "10"}
    process = LoggedProcess(
        [sys.executable, "manage.py", "serve_inference", "--port", str(port)], cwd=ROOT, env=env
    )
    service = Service(f"http://127.0.0.1:{port}/v1", SERVICE_KEY, "smollm2-135m-instruct", process)
    try:
        wait_until_ready(service)
        yield service
    finally:
        print(process.stop())
