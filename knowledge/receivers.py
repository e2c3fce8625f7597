"""How lesson edits reach the knowledge base without courses importing it: courses sends
`lesson_changed` (and Django sends `pre_delete`), and these receivers, connected in
KnowledgeConfig.ready(), queue the re-indexing or drop the passages from the index."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import pre_delete

from courses.models import Course, Lesson
from courses.signals import course_language_changed, lesson_changed
from knowledge import services


def on_lesson_changed(sender: Any, *, lesson: Lesson, **kwargs: Any) -> None:
    services.lesson_queue_reindex(lesson_id=lesson.pk)


def on_course_language_changed(sender: Any, *, course: Course, **kwargs: Any) -> None:
    services.course_queue_reembed(course_id=course.pk)


def on_lesson_deleting(sender: Any, *, instance: Lesson, **kwargs: Any) -> None:
    services.lesson_forget_passages(lesson_id=instance.pk, course_id=instance.course_id)


def connect() -> None:
    lesson_changed.connect(on_lesson_changed, dispatch_uid="knowledge.lesson_changed")
    course_language_changed.connect(
        on_course_language_changed, dispatch_uid="knowledge.course_language_changed"
    )
    pre_delete.connect(on_lesson_deleting, sender=Lesson, dispatch_uid="knowledge.lesson_deleting")
