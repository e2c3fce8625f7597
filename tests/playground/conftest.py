"""Playground sockets through the real ASGI stack (origin check, token auth, routing)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator

from llmasos.asgi import application
from tests.conftest import require_sandbox
from tests.tutor.sockets import token_for


@pytest.fixture(autouse=True, scope="session")
def _sandbox_works() -> None:
    require_sandbox()


@pytest.fixture(autouse=True)
def _short_runs(settings) -> None:
    settings.PLAYGROUND_WALL_SECONDS = 5
    settings.PLAYGROUND_CPU_SECONDS = 3


async def playground_socket(user: Any = None) -> WebsocketCommunicator:
    headers = []
    if user is not None:
        headers.append((b"authorization", f"Token {await token_for(user)}".encode()))
    return WebsocketCommunicator(application, "/ws/playground/", headers=headers)


async def connected(user: Any) -> WebsocketCommunicator:
    socket = await playground_socket(user)
    ok, code = await socket.connect()
    assert ok, f"refused with {code}"
    ready = await socket.receive_json_from()
    assert ready["type"] == "ready"
    return socket


async def frames_until(
    socket: WebsocketCommunicator, kind: str, timeout: float = 15
) -> tuple[dict[str, Any], list[tuple[float, dict[str, Any]]]]:
    """Frames up to the first of `kind`: (that frame, [(arrival time, frame), ...] before it)."""
    before: list[tuple[float, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout
    while True:
        frame = await socket.receive_json_from(timeout=max(deadline - time.monotonic(), 0.1))
        if frame["type"] == kind:
            return frame, before
        before.append((time.monotonic(), frame))


def printed(frames: list[tuple[float, dict[str, Any]]], stream: str = "stdout") -> str:
    return "".join(f["text"] for _, f in frames if f["type"] == "output" and f["stream"] == stream)
