"""Ingestion tasks. They moved here from courses/tasks.py; `name=` keeps the old task names,
which messages already queued by an older deployment (and a running worker's registry) carry."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="courses.tasks.material_ingest", acks_late=True, reject_on_worker_lost=True)
def material_ingest(material_id: int) -> str:
    from knowledge.ingest import material_ingest as ingest
    from knowledge.models import MaterialStatus
    from knowledge.services import material_report

    material = ingest(material_id=material_id, report=material_report)
    if material.status == MaterialStatus.READY:
        # The quotes' sentence vectors, once the material is searchable: until they are stored
        # the tutor embeds a passage's sentences when it first quotes it (knowledge.sentences).
        sentences_store.delay(material.course_id)
    return material.status


@shared_task(acks_late=True, reject_on_worker_lost=True)
def sentences_store(course_id: int) -> int:
    from knowledge.ingest import sentences_backfill

    return sentences_backfill(course_id=course_id)


@shared_task(name="courses.tasks.lesson_ingest", acks_late=True, reject_on_worker_lost=True)
def lesson_ingest(lesson_id: int) -> int:
    from knowledge.ingest import lesson_ingest as ingest

    return ingest(lesson_id=lesson_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def course_reembed(course_id: int) -> int:
    from knowledge.ingest import course_reembed as reembed

    return reembed(course_id=course_id)
