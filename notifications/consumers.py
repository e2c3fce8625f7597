"""The live notification socket: /ws/notifications/.

Frames sent to the client are JSON: `{"type": "notification", ...}` and, later, progress events
(`{"type": "status", ...}`). A browser page connects with `?format=html` and receives the same
events rendered as HTMX out-of-band fragments instead. The client may send `{"type": "ping"}`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from core.consumers import JsonFrameConsumer
from notifications.groups import user_group

MAX_CLIENT_FRAME = 1024
UNKNOWN_FRAME = _('Unknown frame; send {"type": "ping"}.')


class NotificationConsumer(JsonFrameConsumer):
    max_frame = MAX_CLIENT_FRAME

    async def connect(self) -> None:
        user = await self.signed_in_user()
        if user is None:
            return
        query = parse_qs(self.scope.get("query_string", b"").decode())
        self.html = query.get("format", ["json"])[0] == "html"
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def frame_received(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.frame_unreadable()

    async def frame_unreadable(self) -> None:
        # This socket only listens; a page in HTML mode has nothing to show an error in.
        if not self.html:
            await self.send_json({"type": "error", "message": str(UNKNOWN_FRAME)})

    async def live_event(self, message: dict[str, Any]) -> None:
        event = message["event"]
        if self.html:
            await self.send_text(
                render_to_string("notifications/_live_event.html", {"event": event})
            )
        else:
            await self.send_json(event)
