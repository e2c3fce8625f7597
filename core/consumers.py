"""One base for the JSON websocket consumers (tutor, playground, notifications).

It does what every socket did on its own: refuse anonymous users, close on an oversized or
binary frame, parse JSON, answer an unreadable frame with an error frame (the socket stays
open), and send nothing once the socket has closed. Subclasses handle parsed frames in
`frame_received` and keep their own protocol.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from channels.generic.websocket import AsyncWebsocketConsumer

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_BIG = 1009  # the websocket standard's "message too big"


class JsonFrameConsumer(AsyncWebsocketConsumer):
    max_frame: ClassVar[int] = 1024  # characters of one client frame; more closes the socket
    bad_frame_message: ClassVar[str] = "Frames are JSON objects with a type."
    open = False  # accepted and not yet disconnected: frames may be sent

    async def signed_in_user(self) -> Any | None:
        """The connecting user, or None after closing the socket with CLOSE_NOT_SIGNED_IN."""
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return None
        return user

    async def accept(self, subprotocol: str | None = None, headers: Any = None) -> None:
        await super().accept(subprotocol=subprotocol, headers=headers)
        self.open = True

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        self.open = False  # before `disconnect` runs: tasks still streaming stop sending
        await super().websocket_disconnect(message)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > self.max_frame:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await self.frame_unreadable()
            return
        await self.frame_received(frame)

    async def frame_received(self, frame: dict[str, Any]) -> None:
        raise NotImplementedError

    async def frame_unreadable(self) -> None:
        """Not JSON, or not an object."""
        await self.send_error("bad_frame", self.bad_frame_message)

    async def send_error(self, code: str, message: str, **extra: Any) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, **extra})

    async def send_json(self, frame: dict[str, Any]) -> None:
        await self.send_text(json.dumps(frame))

    async def send_text(self, text: str) -> None:
        if self.open:
            await self.send(text)
