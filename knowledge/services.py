"""Everything that changes course material: upload, delete, status reports, lesson re-indexing.

Moved here from courses/services.py; the ingestion itself (parse, chunk, embed, index) is in
knowledge/ingest.py and runs in a Celery task (knowledge/tasks.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from courses.models import Course
from knowledge.index import index_remove
from knowledge.models import Chunk, Material, MaterialStatus

MATERIAL_KINDS = {
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
}


def material_upload_problem(*, name: str, size: int) -> str | None:
    """Why an upload cannot be ingested, or None. Checked before anything is stored."""
    extension = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if extension not in MATERIAL_KINDS:
        return (
            f"Unsupported file type “{extension or name}”: upload PDF, HTML, Markdown "
            f"or plain text (.pdf, .html, .md, .txt)."
        )
    if size == 0:
        return "The file is empty."
    limit = settings.KB_MAX_UPLOAD_MB
    if size > limit * 1024 * 1024:
        return f"The file is {size / 1024 / 1024:.1f} MB; the limit is {limit} MB."
    return None


def material_create(*, course: Course, uploaded_by: Any, upload: Any) -> Material:
    """Store an upload and queue its ingestion, or record at once why it cannot be used."""
    from knowledge.tasks import material_ingest as material_ingest_task

    name = upload.name.rsplit("/", 1)[-1][:255]
    problem = material_upload_problem(name=name, size=upload.size)
    if problem:
        return Material.objects.create(
            course=course,
            uploaded_by=uploaded_by,
            original_name=name,
            kind="",
            size=upload.size,
            status=MaterialStatus.FAILED,
            progress=100,
            error=problem,
        )
    extension = "." + name.rsplit(".", 1)[-1].lower()
    material = Material(
        course=course,
        uploaded_by=uploaded_by,
        original_name=name,
        kind=MATERIAL_KINDS[extension],
        size=upload.size,
    )
    material.file.save(name, upload, save=False)
    material.save()
    material_ingest_task.delay_on_commit(material.pk)
    return material


def material_delete(*, material: Material) -> None:
    from knowledge.ingest import material_remove_chunks

    material_remove_chunks(material=material)
    if material.file:
        material.file.delete(save=False)
    material.delete()


def material_report(material: Material) -> None:
    """Push a material's status to its uploader's and the course teachers' open pages.

    Positional on purpose: knowledge.ingest calls it back as `report(material)`."""
    from notifications.services import live_event_send

    recipients = set(material.course.teachers.values_list("id", flat=True))
    if material.uploaded_by_id:
        recipients.add(material.uploaded_by_id)
    event = material.as_status()
    for user_id in recipients:
        live_event_send(user_id=user_id, event=event)


def lesson_queue_reindex(*, lesson_id: int) -> None:
    """Re-embed a lesson's passages once the transaction that changed it commits."""
    from knowledge.tasks import lesson_ingest as lesson_ingest_task

    lesson_ingest_task.delay_on_commit(lesson_id)


def course_queue_reembed(*, course_id: int) -> None:
    """Re-embed a course's passages (its language changed) once the change commits."""
    from knowledge.tasks import course_reembed as course_reembed_task

    course_reembed_task.delay_on_commit(course_id)


def lesson_forget_passages(*, lesson_id: int, course_id: int) -> None:
    """Take a lesson's passages out of the course's index when the lesson is deleted.

    The rows go with the lesson (ON DELETE CASCADE); the FAISS index is a file, so its entries
    are removed here, after the deletion commits (a rolled-back deletion keeps them).
    """
    ids = list(Chunk.objects.filter(lesson_id=lesson_id).values_list("id", flat=True))
    if not ids:
        return

    def forget() -> None:
        # When the whole course went, its index state went with it; nothing left to update.
        if Course.objects.filter(pk=course_id).exists():
            index_remove(course_id, ids)

    transaction.on_commit(forget)
