"""Everything that changes courses, modules, lessons, enrollment and announcements.

Course material lives in the knowledge app (knowledge/services.py)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext

from accounts.services import language_of
from core.errors import DomainError
from courses.models import (
    Announcement,
    Course,
    Enrollment,
    Lesson,
    LessonCompletion,
    Module,
)
from courses.signals import course_language_changed, lesson_changed


class EnrollmentError(DomainError):
    pass


class PublishError(DomainError):
    pass


def _next_position(queryset: Any) -> int:
    return (queryset.aggregate(top=Max("position"))["top"] or 0) + 1


@transaction.atomic
def course_create(
    *,
    author: Any,
    title: str,
    slug: str,
    summary: str,
    description: str = "",
    tutor_strict: bool = False,
    language: str = "en",
) -> Course:
    course = Course.objects.create(
        title=title,
        slug=slug,
        summary=summary,
        description=description,
        tutor_strict=tutor_strict,
        language=language,
    )
    course.teachers.add(author)
    return course


def course_update(
    *,
    course: Course,
    title: str,
    slug: str,
    summary: str,
    description: str,
    tutor_strict: bool | None = None,
    language: str | None = None,
) -> Course:
    course.title, course.slug, course.summary, course.description = (
        title,
        slug,
        summary,
        description,
    )
    if tutor_strict is not None:
        course.tutor_strict = tutor_strict
    old_language = Course.objects.filter(pk=course.pk).values_list("language", flat=True).first()
    if language is not None:
        course.language = language
    course.save()
    if old_language is not None and old_language != course.language:
        course_language_announce(course=course)
    return course


def course_language_announce(*, course: Course) -> None:
    """Tell listeners (by signal, on commit) that the course's language changed: its passages
    were embedded for the old language, and the knowledge app re-embeds them."""
    transaction.on_commit(lambda: course_language_changed.send(sender=Course, course=course))


def course_set_published(*, course: Course, published: bool) -> Course:
    if published and not course.lessons.exists():
        raise PublishError(gettext("Add at least one lesson before publishing the course."))
    course.is_published = published
    course.save(update_fields=["is_published", "updated_at"])
    return course


def module_create(*, course: Course, title: str, summary: str = "") -> Module:
    return Module.objects.create(
        course=course, title=title, summary=summary, position=_next_position(course.modules)
    )


def module_update(*, module: Module, title: str, summary: str) -> Module:
    module.title, module.summary = title, summary
    module.save()
    return module


def lesson_create(*, module: Module, title: str, slug: str, body: str) -> Lesson:
    lesson = Lesson.objects.create(
        module=module, title=title, slug=slug, body=body, position=_next_position(module.lessons)
    )
    lesson_reindex(lesson=lesson)
    return lesson


def lesson_reindex(*, lesson: Lesson) -> None:
    """Lessons are part of the course's knowledge base; tell it (by signal) that one changed."""
    lesson_changed.send(sender=Lesson, lesson=lesson)


def course_reindex_lessons(*, course: Course) -> int:
    lessons = list(course.lessons.all())
    for lesson in lessons:
        lesson_reindex(lesson=lesson)
    return len(lessons)


def lesson_update(*, lesson: Lesson, module: Module, title: str, slug: str, body: str) -> Lesson:
    if module.pk != lesson.module_id:
        lesson.position = _next_position(module.lessons)
    lesson.module, lesson.title, lesson.slug, lesson.body = module, title, slug, body
    lesson.save()
    lesson_reindex(lesson=lesson)
    return lesson


def enrollment_create(*, user: Any, course: Course) -> Enrollment:
    """Enroll a user; enrolling twice is harmless and returns the existing enrollment."""
    if not course.is_published:
        raise EnrollmentError(gettext("This course is not open for enrollment yet."))
    if course.teachers.filter(pk=user.pk).exists():
        raise EnrollmentError(gettext("You teach this course, so you already have access to it."))
    try:
        with transaction.atomic():
            enrollment, _ = Enrollment.objects.get_or_create(user=user, course=course)
    except IntegrityError:
        # Two requests raced past get_or_create's SELECT; the other one created the row.
        enrollment = Enrollment.objects.get(user=user, course=course)
    return enrollment


def enrollment_delete(*, user: Any, course: Course) -> None:
    Enrollment.objects.filter(user=user, course=course).delete()


def lesson_mark_complete(*, user: Any, lesson: Lesson) -> LessonCompletion:
    completion, _ = LessonCompletion.objects.get_or_create(user=user, lesson=lesson)
    return completion


def announcement_create(*, course: Course, author: Any, title: str, body: str) -> Announcement:
    from courses.tasks import announcement_deliver as announcement_deliver_task

    announcement = Announcement.objects.create(course=course, author=author, title=title, body=body)
    announcement_deliver_task.delay_on_commit(announcement.pk)
    return announcement


def announcement_deliver(*, announcement_id: int) -> int:
    """Notify every enrolled student. Safe to run twice: one notification per student at most."""
    from notifications.services import notification_create

    announcement = Announcement.objects.select_related("course").get(pk=announcement_id)
    course = announcement.course
    students = list(course.enrollments.select_related("user"))
    for enrollment in students:
        # The teacher's words stay as written; only the frame around them is each student's.
        with language_of(user=enrollment.user):
            title = gettext("%(course)s: %(title)s") % {
                "course": course.title,
                "title": announcement.title,
            }
        notification_create(
            user_id=enrollment.user_id,
            title=title,
            body=announcement.body,
            url=course.get_absolute_url(),
            dedupe_key=f"announcement:{announcement.pk}",
        )
    Announcement.objects.filter(pk=announcement.pk).update(
        delivered_at=timezone.now(), recipients=len(students)
    )
    return len(students)
