"""A real Celery worker process runs a task that pushes to a student's live socket.

On the embedded defaults the broker is SQLite and the push crosses processes through the
channel-layer outbox; with CELERY_BROKER_URL/REDIS_URL set (the PostgreSQL+Redis run of
`make test`) the same test goes through Redis.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from courses import services
from courses.models import Announcement
from llmasos.asgi import application
from notifications.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


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


async def test_material_is_ingested_by_the_worker_with_live_progress(
    worker_process, teacher, course
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from knowledge import services as knowledge_services
    from knowledge.models import Material

    key = (await database_sync_to_async(Token.objects.get_or_create)(user=teacher))[0].key
    socket = WebsocketCommunicator(
        application, "/ws/notifications/", headers=[(b"authorization", f"Token {key}".encode())]
    )
    assert (await socket.connect())[0]
    body = b"# Attention\n\n" + b"Queries meet keys and the softmax makes weights. " * 200
    material = await database_sync_to_async(knowledge_services.material_create)(
        course=course, uploaded_by=teacher, upload=SimpleUploadedFile("notes.md", body)
    )

    frames: list[dict] = []
    while not frames or frames[-1]["status"] not in ("ready", "failed"):
        frame = await socket.receive_json_from(timeout=120)
        if frame.get("type") == "material.status" and frame["id"] == material.pk:
            frames.append(frame)
    await socket.disconnect()

    assert frames[-1]["status"] == "ready", frames[-1]
    assert frames[-1]["chunks"] > 1
    progress = [f["progress"] for f in frames]
    assert progress == sorted(progress) and progress[-1] == 100 and len(set(progress)) >= 3
    stored = await database_sync_to_async(Material.objects.get)(pk=material.pk)
    assert stored.status == "ready" and stored.chunk_count == frames[-1]["chunks"]
