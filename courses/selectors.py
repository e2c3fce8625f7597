"""Reads of courses that several views and the API share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from courses.models import Course, Enrollment, Lesson, LessonCompletion


def catalog(*, query: str = "") -> QuerySet[Course]:
    courses = Course.objects.published().annotate(
        lesson_count=Count("lessons", distinct=True),
        student_count=Count("enrollments", distinct=True),
    )
    if query:
        courses = courses.filter(Q(title__icontains=query) | Q(summary__icontains=query))
    return courses.order_by("title")


def course_outline(*, course: Course) -> QuerySet[Any]:
    # Lessons bring their course along: every outline entry builds its URL from course.slug.
    lessons = Lesson.objects.select_related("course").order_by("position", "id")
    return course.modules.prefetch_related(Prefetch("lessons", queryset=lessons))


def lesson_sequence(*, course: Course) -> list[Lesson]:
    """Every lesson of the course in reading order: by module, then by position in it."""
    return list(
        Lesson.objects.filter(course=course)
        .select_related("module", "course")
        .order_by("module__position", "module_id", "position", "id")
    )


@dataclass(frozen=True)
class Progress:
    completed_ids: frozenset[int]
    total: int
    next_lesson: Lesson | None

    @property
    def completed(self) -> int:
        return len(self.completed_ids)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0


def course_progress(*, user: Any, course: Course) -> Progress:
    lessons = lesson_sequence(course=course)
    done = frozenset(completed_lesson_ids(user=user, course=course))
    next_lesson = next((lesson for lesson in lessons if lesson.pk not in done), None)
    return Progress(completed_ids=done, total=len(lessons), next_lesson=next_lesson)


def completed_lesson_ids(*, user: Any, course: Course) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(
        LessonCompletion.objects.filter(user=user, lesson__course=course).values_list(
            "lesson_id", flat=True
        )
    )


def student_enrollments(*, user: Any) -> list[tuple[Enrollment, Progress]]:
    enrollments = Enrollment.objects.filter(user=user).select_related("course")
    return [(e, course_progress(user=user, course=e.course)) for e in enrollments]


def teacher_courses(*, user: Any) -> QuerySet[Course]:
    courses = Course.objects.all() if user.is_platform_admin else Course.objects.taught_by(user)
    return courses.annotate(
        lesson_count=Count("lessons", distinct=True),
        student_count=Count("enrollments", distinct=True),
    ).order_by("title")


def course_roster(*, course: Course) -> QuerySet[Enrollment]:
    return (
        course.enrollments.select_related("user")
        .annotate(
            lessons_completed=Count(
                "user__lesson_completions",
                filter=Q(user__lesson_completions__lesson__course=course),
                distinct=True,
            )
        )
        .order_by("user__username")
    )
