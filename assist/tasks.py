"""Celery entry points for assist; the work lives in assist.usage."""

from __future__ import annotations

from celery import shared_task


@shared_task
def usage_purge() -> int:
    """Daily (Celery beat): drop usage rows older than AI_USAGE_RETENTION_DAYS."""
    from assist.usage import usage_purge as purge

    return purge()
