"""A real Celery worker process runs a task that pushes to a student's live socket.

On the embedded defaults the broker is SQLite and the push crosses processes through the
channel-layer outbox; with CELERY_BROKER_URL/REDIS_URL set (the PostgreSQL+Redis run of
`make test`) the same test goes through Redis.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from courses import services
from courses.models import Announcement
from llmasos.asgi import application
from llmasos.celery import app as celery_app
from notifications.models import Notification
from tests.conftest import ROOT, subprocess_env

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker_process():
    celery_app.conf.task_always_eager = False
    # Leftovers of an interrupted run must not run against this database; a new broker may
    # have nothing to purge and say so with an error.
    with contextlib.suppress(Exception):
        celery_app.control.purge()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "llmasos",
            "worker",
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    print(output.decode(errors="replace")[-3000:])  # shown by pytest when the test fails


async def test_an_announcement_is_delivered_by_the_worker_to_the_open_page(
    worker_process, teacher, course, enrolled_student
):
    key = (await database_sync_to_async(Token.objects.get_or_create)(user=enrolled_student))[0].key
    socket = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[(b"authorization", f"Token {key}".encode())]
    )
    connected, _ = await socket.connect()
    assert connected

    announcement = await database_sync_to_async(services.announcement_create)(
        course=course, author=teacher, title="Quiz on Friday", body="Bring questions."
    )

    frame = await socket.receive_json_from(timeout=90)  # includes the worker's start-up
    assert frame["type"] == "notification"
    assert frame["title"] == "Attention basics: Quiz on Friday"
    assert frame["url"] == course.get_absolute_url()
    await socket.disconnect()

    assert worker_process.poll() is None, "the worker died"
    assert (
        await database_sync_to_async(Notification.objects.filter(user=enrolled_student).count)()
        == 1
    )
    delivered = await database_sync_to_async(Announcement.objects.get)(pk=announcement.pk)
    assert delivered.delivered_at is not None and delivered.recipients == 1


def test_delivering_twice_notifies_each_student_once(
    teacher, course, enrolled_student, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        announcement = services.announcement_create(
            course=course, author=teacher, title="T", body="B"
        )
    services.announcement_deliver(announcement_id=announcement.pk)  # a retried task
    assert Notification.objects.filter(user=enrolled_student).count() == 1
