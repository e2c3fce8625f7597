"""Helpers to open the tutor socket through the real ASGI stack (origin check, auth, routing)."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from llmasos.asgi import application


@database_sync_to_async
def token_for(user: Any) -> str:
    return Token.objects.get_or_create(user=user)[0].key


async def tutor_socket(
    user: Any = None,
    slug: str = "attention",
    *,
    query: str = "",
    origin: str | None = None,
    cookie: str | None = None,
) -> WebsocketCommunicator:
    headers = []
    if origin:
        headers.append((b"origin", origin.encode()))
    if user is not None:
        headers.append((b"authorization", f"Token {await token_for(user)}".encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    path = f"/ws/courses/{slug}/tutor/" + (f"?{query}" if query else "")
    return WebsocketCommunicator(application, path, headers=headers)


async def connected(user: Any, slug: str = "attention", **options: Any) -> WebsocketCommunicator:
    socket = await tutor_socket(user, slug, **options)
    ok, code = await socket.connect()
    assert ok, f"refused with {code}"
    if "format=html" not in options.get("query", ""):
        ready = await socket.receive_json_from()
        assert ready["type"] == "ready"
    else:
        await socket.receive_from()  # the quota fragment
    return socket


async def ask(socket: WebsocketCommunicator, question: str, **fields: Any) -> None:
    await socket.send_to(text_data=json.dumps({"type": "ask", "question": question, **fields}))


async def until(
    socket: WebsocketCommunicator, frame_type: str, timeout: float = 30
) -> tuple[dict, list[dict]]:
    """Frames up to and including the first of `frame_type`: (that frame, the ones before it)."""
    before: list[dict] = []
    while True:
        frame = await socket.receive_json_from(timeout=timeout)
        if frame["type"] == frame_type:
            return frame, before
        before.append(frame)
