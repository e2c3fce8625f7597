"""A real Celery worker (prefork) whose pool process dies mid-grading, twice.

Celery's answer to a dead pool process is WorkerLostError; with acks_late and
reject_on_worker_lost the broker re-delivers the message. The first re-delivery grades again;
a submission that takes a second worker down with it ends as "internal error", and the worker
goes on grading the next submission normally.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grading.models import Status, Submission
from grading.services import submission_create
from tests.conftest import celery_worker
from tests.grading.conftest import RIGHT

pytestmark = pytest.mark.django_db(transaction=True)

SLOW = "import time\n\ndef add(a, b):\n    time.sleep(30)\n    return a + b\n"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def _pool_process(worker: subprocess.Popen, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = _children(worker.pid)
        if children:
            return children[0]
        time.sleep(0.2)
    raise TimeoutError("the worker started no pool process")


def _wait_for(submission_id: int, timeout: float = 90, **expected: object) -> Submission:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        submission = Submission.objects.get(pk=submission_id)
        if all(getattr(submission, name) == value for name, value in expected.items()):
            return submission
        time.sleep(0.2)
    raise AssertionError(f"submission never reached {expected}: {submission.__dict__}")


@pytest.fixture
def prefork_worker(transactional_db) -> Iterator[subprocess.Popen]:
    with celery_worker(
        "--pool=prefork", "--concurrency=1", "-l", "WARNING", GRADING_FEEDBACK="false"
    ) as process:
        yield process


def test_a_submission_that_kills_two_workers_ends_as_internal_error(
    prefork_worker, code_assignment, enrolled_student
):
    code_assignment.limits = {"cpu_seconds": 20, "wall_seconds": 40}
    code_assignment.max_attempts = 0
    code_assignment.save()
    submission = submission_create(assignment=code_assignment, student=enrolled_student, code=SLOW)

    for pickup in (1, 2):
        _wait_for(submission.pk, status=Status.RUNNING, grading_attempts=pickup)
        os.kill(_pool_process(prefork_worker), signal.SIGKILL)

    ended = _wait_for(submission.pk, status=Status.INTERNAL_ERROR)
    assert ended.grading_attempts == 2 and ended.verdict == ""
    assert "failed twice" in ended.problem
    assert prefork_worker.poll() is None, "the worker itself must survive"

    following = submission_create(assignment=code_assignment, student=enrolled_student, code=RIGHT)
    graded = _wait_for(following.pk, status=Status.GRADED)
    assert graded.verdict == "passed" and graded.grading_attempts == 1
