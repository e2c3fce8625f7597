from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.groups import user_group
from notifications.models import Level, Notification


def live_event_send(*, user_id: int, event: dict[str, Any]) -> None:
    """Push a JSON frame to every open page of one user (any process: web, worker, command).

    `event` is what the socket sends (it must have a "type"); the consumer forwards it as is.
    """
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(user_group(user_id), {"type": "live.event", "event": event})


def notification_create(
    *,
    user_id: int,
    title: str,
    body: str = "",
    url: str = "",
    level: str = Level.INFO,
    dedupe_key: str = "",
) -> Notification:
    """Store a notification and, once the transaction commits, push it to the user's pages."""
    if dedupe_key:
        existing = Notification.objects.filter(user_id=user_id, dedupe_key=dedupe_key).first()
        if existing:
            return existing
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                user_id=user_id,
                title=title[:300],
                body=body,
                url=url,
                level=level,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        return Notification.objects.get(user_id=user_id, dedupe_key=dedupe_key)
    frame = notification.as_frame()
    transaction.on_commit(lambda: live_event_send(user_id=user_id, event=frame))
    return notification


def notifications_mark_read(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
