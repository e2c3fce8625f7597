"""One base for the JSON websocket consumers (tutor, playground, notifications).

It does what every socket did on its own: refuse anonymous users, close on an oversized or
binary frame, parse JSON, answer an unreadable frame with an error frame (the socket stays
open), send nothing once the socket has closed, and close the socket of an account that was
deactivated (or deleted) while it was open. Subclasses handle parsed frames in `frame_received`
and keep their own protocol.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any, ClassVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from core.i18n import language_from_scope

CLOSE_NOT_SIGNED_IN = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_TOO_BIG = 1009  # the websocket standard's "message too big"


def _account_is_active(user_id: Any) -> bool:
    return get_user_model().objects.filter(pk=user_id, is_active=True).exists()


class JsonFrameConsumer(AsyncWebsocketConsumer):
    max_frame: ClassVar[int] = 1024  # characters of one client frame; more closes the socket
    bad_frame_message: ClassVar[str | Promise] = _("Frames are JSON objects with a type.")
    open = False  # accepted and not yet disconnected: frames may be sent
    account_watch: asyncio.Task[None] | None = None

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
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            self.account_watch = asyncio.create_task(self._watch_account(user.pk))

    async def _watch_account(self, user_id: Any) -> None:
        """Close the socket once its account is deactivated: a socket authenticates once, at
        connect, and would otherwise keep running code or the model for a closed account."""
        while self.open:
            await asyncio.sleep(settings.WS_ACCOUNT_CHECK_SECONDS)
            if not await database_sync_to_async(_account_is_active)(user_id):
                await self.close(code=CLOSE_NOT_SIGNED_IN)
                self.open = False
                # Stop the socket's work now, not when the client acknowledges the close
                # (subclasses' `disconnect` is safe to run twice).
                await self.disconnect(CLOSE_NOT_SIGNED_IN)
                return

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        self.open = False  # before `disconnect` runs: tasks still streaming stop sending
        watch = self.account_watch
        if watch is not None and watch is not asyncio.current_task() and not watch.done():
            watch.cancel()
        await super().websocket_disconnect(message)

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Frames speak the page's language: LocaleMiddleware does not run for sockets. Tasks a
        # handler starts (a streaming answer) copy this context, so they keep the language too.
        with translation.override(language_from_scope(self.scope)):
            await super().dispatch(message)

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
        await self.send_error("bad_frame", str(self.bad_frame_message))

    async def send_error(self, code: str, message: str | Promise, **extra: Any) -> None:
        # str(): a message may be a lazy translation, rendered now in the socket's language.
        await self.send_json({"type": "error", "code": code, "message": str(message), **extra})

    async def send_json(self, frame: dict[str, Any]) -> None:
        await self.send_text(json.dumps(frame))

    async def send_text(self, text: str) -> None:
        if self.open:
            await self.send(text)
