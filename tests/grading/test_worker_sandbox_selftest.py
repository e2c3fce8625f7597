"""A worker whose sandbox fails its start-up self-test consumes no grading job, and says why."""

from __future__ import annotations

import time

import pytest

from grading.models import Status, Submission
from grading.services import submission_create
from tests.conftest import LoggedProcess, celery_worker
from tests.grading.conftest import RIGHT

pytestmark = pytest.mark.django_db(transaction=True)


def _read_until(process: LoggedProcess, text: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    seen = process.output(tail=1_000_000)
    while text not in seen and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.5)
        seen = process.output(tail=1_000_000)
    assert text in seen, seen[-3000:]
    return seen


def test_a_worker_whose_sandbox_fails_its_self_test_grades_nothing(
    code_assignment, enrolled_student
):
    # A broken sandbox, as a misconfigured server would have it: its "Python" runs nothing.
    with celery_worker(
        "--pool=solo", "-l", "INFO", SANDBOX_PYTHON="/usr/bin/true", GRADING_FEEDBACK="false"
    ) as worker:
        submission = submission_create(
            assignment=code_assignment, student=enrolled_student, code=RIGHT
        )
        _read_until(worker, "REFUSES TO CONSUME JOBS")
        log = _read_until(worker, " ready.")
        time.sleep(3)  # a consuming worker picks the job up within a poll (0.1 s)

        assert "SANDBOX SELF-TEST FAILED" in log
        assert Submission.objects.get(pk=submission.pk).status == Status.QUEUED
        assert worker.poll() is None  # up and visibly idle, not restarting in a loop
