"""The channel layer for the embedded (no Redis) setup.

Channels' in-memory layer only reaches consumers in its own process, but ingestion and grading
progress is sent from the Celery worker, another process. This layer is the in-memory layer plus
a file outbox: a process that serves websockets delivers in memory as usual; any other process
(a Celery worker, a management command) drops the message into the outbox directory, and the
serving process drains it a few times a second. With REDIS_URL set, channels-redis replaces all of
this (see settings).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

from channels.layers import InMemoryChannelLayer


class OutboxChannelLayer(InMemoryChannelLayer):
    def __init__(
        self,
        outbox_dir: str,
        poll_interval: float = 0.2,
        expiry: int = 60,
        **kwargs: Any,
    ) -> None:
        super().__init__(expiry=expiry, **kwargs)
        self.outbox = Path(outbox_dir)
        self.outbox.mkdir(parents=True, exist_ok=True)
        self.poll_interval = poll_interval
        self._drain_task: asyncio.Task[None] | None = None
        self._serving = False

    # A process becomes a "server" the first time one of its consumers joins a group or listens.
    async def receive(self, channel: str) -> dict[str, Any]:
        self._start_draining()
        return await super().receive(channel)

    async def group_add(self, group: str, channel: str) -> None:
        self._start_draining()
        await super().group_add(group, channel)

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if self._serving:
            await super().group_send(group, message)
        else:
            self._post("group", group, message)

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        if self._serving:
            await super().send(channel, message)
        else:
            self._post("channel", channel, message)

    def _post(self, kind: str, target: str, message: dict[str, Any]) -> None:
        envelope = {"kind": kind, "target": target, "message": message, "sent_at": time.time()}
        name = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex}"
        temporary = self.outbox / f"{name}.tmp"
        temporary.write_text(json.dumps(envelope))
        # The rename is atomic, so a draining server never reads a half-written message.
        temporary.replace(self.outbox / f"{name}.json")

    def _start_draining(self) -> None:
        self._serving = True
        loop = asyncio.get_running_loop()
        if (
            self._drain_task is None
            or self._drain_task.done()
            or self._drain_task.get_loop() is not loop
        ):
            self._drain_task = loop.create_task(self._drain_forever())

    async def _drain_forever(self) -> None:
        while True:
            await self.drain_once()
            await asyncio.sleep(self.poll_interval)

    async def drain_once(self) -> int:
        delivered = 0
        for path in sorted(self.outbox.glob("*.json")):
            claimed = path.with_suffix(".claimed")
            try:
                # Several serving processes may share the outbox (tests, a second runserver):
                # whoever renames the file first delivers it, exactly once.
                path.rename(claimed)
            except FileNotFoundError:
                continue
            try:
                envelope = json.loads(claimed.read_text())
            except (OSError, ValueError):
                claimed.unlink(missing_ok=True)
                continue
            claimed.unlink(missing_ok=True)
            if time.time() - envelope.get("sent_at", 0) > self.expiry:
                continue
            if envelope["kind"] == "group":
                await super().group_send(envelope["target"], envelope["message"])
            else:
                await super().send(envelope["target"], envelope["message"])
            delivered += 1
        return delivered

    async def flush(self) -> None:
        await super().flush()
        for path in self.outbox.glob("*.json"):
            path.unlink(missing_ok=True)
