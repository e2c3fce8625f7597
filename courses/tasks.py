from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def announcement_deliver(announcement_id: int) -> int:
    from courses.services import announcement_deliver as deliver

    return deliver(announcement_id=announcement_id)
