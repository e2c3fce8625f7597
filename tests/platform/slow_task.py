"""A task that outlasts any shutdown grace: a worker running it stands for one busy grading or
model job when `make run` is told to stop (tests/platform/test_run_script.py)."""

from __future__ import annotations

import time

from llmasos.celery import app


@app.task(name="tests.platform.slow_task.nap")
def nap(seconds: float) -> None:
    time.sleep(seconds)
