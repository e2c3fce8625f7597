from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def announcement_deliver(announcement_id: int) -> int:
    from courses.services import announcement_deliver as deliver

    return deliver(announcement_id=announcement_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def material_ingest(material_id: int) -> str:
    from courses.services import material_report
    from knowledge.ingest import material_ingest as ingest

    return ingest(material_id=material_id, report=material_report).status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def lesson_ingest(lesson_id: int) -> int:
    from knowledge.ingest import lesson_ingest as ingest

    return ingest(lesson_id=lesson_id)
