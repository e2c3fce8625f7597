"""The live notification socket: /ws/notifications/.

Frames sent to the client are JSON: `{"type": "notification", ...}` and, later, progress events
(`{"type": "status", ...}`). A browser page connects with `?format=html` and receives the same
events rendered as HTMX out-of-band fragments instead. The client may send `{"type": "ping"}`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from notifications.groups import user_group

MAX_CLIENT_FRAME = 1024


class NotificationConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.html = query.get("format", ["json"])[0] == "html"
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None or len(text_data) > MAX_CLIENT_FRAME:
            await self.close(code=1009)
            return
        try:
            frame = json.loads(text_data)
        except ValueError:
            frame = None
        if isinstance(frame, dict) and frame.get("type") == "ping":
            await self.send(json.dumps({"type": "pong"}))
        elif not self.html:
            await self.send(
                json.dumps({"type": "error", "message": 'Unknown frame; send {"type": "ping"}.'})
            )

    async def live_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if self.html:
            await self.send(render_to_string("notifications/_live_event.html", {"event": event}))
        else:
            await self.send(json.dumps(event))
