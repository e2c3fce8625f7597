"""The tutor socket on the real packaged model (SmolLM2-135M-Instruct) and embedder."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache

from inference import backends
from inference.backends import LocalBackend
from tests.tutor.sockets import ask, connected, until
from tutor.models import Message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _real_model(settings):
    settings.LLM_BACKEND = "local"
    settings.TUTOR_MAX_TOKENS = 48
    backends.reset_backend()
    cache.clear()
    yield
    backends.reset_backend()


async def test_the_real_model_streams_a_cited_answer(tutor_course, enrolled_student):
    socket = await connected(enrolled_student, query="lesson=multi-head")
    await ask(socket, "How do several attention heads work together?")
    done, before = await until(socket, "done", timeout=120)
    tokens = [f["text"] for f in before if f["type"] == "token"]
    assert len(tokens) >= 5  # arrived piece by piece, not as one block
    assert "".join(tokens).strip() == done["text"]
    assert done["status"] == "complete" and done["covered"] is True
    assert done["usage"]["completion_tokens"] > 0 and done["first_token_ms"] > 0
    assert done["citations"][0]["url"].startswith("/courses/attention/lessons/multi-head/")
    await socket.disconnect()


async def test_a_disconnect_frees_the_engine_within_a_second(
    tutor_course, enrolled_student, settings
):
    settings.TUTOR_MAX_TOKENS = 200
    engine = LocalBackend.engine()
    socket = await connected(enrolled_student)
    await ask(socket, "How do several attention heads work together?")
    started = await socket.receive_json_from(timeout=10)
    await until(socket, "token", timeout=120)
    await until(socket, "token", timeout=30)
    await socket.disconnect()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.0
    while engine.active_requests and loop.time() < deadline:
        await asyncio.sleep(0.02)
    assert engine.active_requests == 0
    reply = await database_sync_to_async(Message.objects.get)(pk=started["message"])
    assert reply.status == "stopped" and reply.content  # what was said before the disconnect
