"""The live notification socket, through the real ASGI stack (origin check, auth, routing)."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.authtoken.models import Token

from llmasos.asgi import application
from notifications.services import notification_create

pytestmark = pytest.mark.django_db(transaction=True)
PATH = "/ws/notifications/"


def _token(user) -> str:
    return Token.objects.get_or_create(user=user)[0].key


def _socket(
    path: str = PATH,
    *,
    token: str | None = None,
    origin: str | None = "http://localhost",
    cookie: str | None = None,
) -> WebsocketCommunicator:
    headers = []
    if origin:
        headers.append((b"origin", origin.encode()))
    if token:
        headers.append((b"authorization", f"Token {token}".encode()))
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, path, headers=headers)


async def test_it_rejects_anonymous_sockets(db):
    socket = _socket()
    connected, code = await socket.connect()
    assert not connected
    assert code == 4401
    await socket.disconnect()


async def test_it_rejects_a_bad_token(db):
    socket = _socket(token="not-a-real-token")
    connected, _ = await socket.connect()
    assert not connected
    await socket.disconnect()


async def test_it_rejects_a_foreign_origin_even_with_a_valid_token(student):
    socket = _socket(
        token=await database_sync_to_async(_token)(student), origin="https://evil.example"
    )
    connected, _ = await socket.connect()
    assert not connected
    await socket.disconnect()


async def test_a_program_receives_its_notifications_as_json(student, other_student):
    socket = _socket(token=await database_sync_to_async(_token)(student), origin=None)
    connected, _ = await socket.connect()
    assert connected
    await database_sync_to_async(notification_create)(
        user_id=other_student.pk, title="Not for Alice"
    )
    assert await socket.receive_nothing(timeout=0.3)
    await database_sync_to_async(notification_create)(
        user_id=student.pk, title="Graded", body="Your homework is graded.", url="/x/"
    )
    frame = await socket.receive_json_from(timeout=5)
    assert frame["type"] == "notification"
    assert (frame["title"], frame["body"], frame["url"]) == (
        "Graded",
        "Your homework is graded.",
        "/x/",
    )
    await socket.disconnect()


async def test_a_browser_page_receives_an_htmx_fragment(client, student):
    await database_sync_to_async(client.force_login)(student)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    socket = _socket(f"{PATH}?format=html", cookie=cookie)
    connected, _ = await socket.connect()
    assert connected
    await database_sync_to_async(notification_create)(user_id=student.pk, title="Hello <b>you</b>")
    html = await socket.receive_from(timeout=5)
    assert 'id="toasts" hx-swap-oob="afterbegin"' in html
    assert "Hello &lt;b&gt;you&lt;/b&gt;" in html  # escaped, never markup
    await socket.disconnect()


async def test_it_answers_pings_and_explains_unknown_frames(student):
    socket = _socket(token=await database_sync_to_async(_token)(student))
    await socket.connect()
    await socket.send_to(text_data=json.dumps({"type": "ping"}))
    assert await socket.receive_json_from() == {"type": "pong"}
    await socket.send_to(text_data="{not json")
    assert (await socket.receive_json_from())["type"] == "error"
    await socket.disconnect()


async def test_an_oversized_frame_closes_the_socket(student):
    socket = _socket(token=await database_sync_to_async(_token)(student))
    await socket.connect()
    await socket.send_to(text_data="x" * 5000)
    assert (await socket.receive_output(timeout=2))["type"] == "websocket.close"
    await socket.disconnect()


async def test_an_unknown_socket_path_is_refused(student):
    socket = _socket("/ws/nothing/", token=await database_sync_to_async(_token)(student))
    with pytest.raises(ValueError, match="No route found"):
        await socket.connect()


async def test_an_idle_socket_still_receives_after_a_quiet_spell(student):
    # Longer than the channel layer's blocking read; with Redis this once killed idle sockets.
    import asyncio

    socket = _socket(token=await database_sync_to_async(_token)(student))
    assert (await socket.connect())[0]
    await asyncio.sleep(7)
    await database_sync_to_async(notification_create)(user_id=student.pk, title="Still here")
    assert (await socket.receive_json_from(timeout=5))["title"] == "Still here"
    await socket.disconnect()


async def test_a_deactivated_accounts_socket_closes(student, settings):
    """A socket authenticates once, at connect: deactivating the account closes it anyway."""
    settings.WS_ACCOUNT_CHECK_SECONDS = 0.2
    socket = _socket(token=await database_sync_to_async(_token)(student))
    connected, _ = await socket.connect()
    assert connected
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from())["type"] == "pong"
    student.is_active = False
    await database_sync_to_async(student.save)(update_fields=["is_active"])
    closed = await socket.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4401}
    await socket.disconnect()


async def test_an_active_accounts_socket_stays_open(student, settings):
    settings.WS_ACCOUNT_CHECK_SECONDS = 0.1
    socket = _socket(token=await database_sync_to_async(_token)(student))
    assert (await socket.connect())[0]
    assert await socket.receive_nothing(timeout=0.5)
    await socket.send_json_to({"type": "ping"})
    assert (await socket.receive_json_from())["type"] == "pong"
    await socket.disconnect()
