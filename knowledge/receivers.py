"""How lesson edits reach the knowledge base without courses importing it: courses sends
`lesson_changed` (and Django sends `pre_delete`), and these receivers, connected in
KnowledgeConfig.ready(), queue the re-indexing or drop the passages from the index."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import pre_delete

from courses.models import Lesson
from courses.signals import lesson_changed
from knowledge import services


def on_lesson_changed(sender: Any, *, lesson: Lesson, **kwargs: Any) -> None:
    services.lesson_queue_reindex(lesson_id=lesson.pk)


def on_lesson_deleting(sender: Any, *, instance: Lesson, **kwargs: Any) -> None:
    services.lesson_forget_passages(lesson_id=instance.pk, course_id=instance.course_id)


def connect() -> None:
    lesson_changed.connect(on_lesson_changed, dispatch_uid="knowledge.lesson_changed")
    pre_delete.connect(on_lesson_deleting, sender=Lesson, dispatch_uid="knowledge.lesson_deleting")
