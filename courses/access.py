"""Who may see and change what in a course. One place, used by views, the API and consumers."""

from __future__ import annotations

from typing import Any

from courses.models import Course, Enrollment


def is_course_teacher(user: Any, course: Course) -> bool:
    if not user.is_authenticated:
        return False
    return user.is_platform_admin or course.teachers.filter(pk=user.pk).exists()


def is_enrolled(user: Any, course: Course) -> bool:
    if not user.is_authenticated:
        return False
    return Enrollment.objects.filter(user=user, course=course).exists()


def can_view_course(user: Any, course: Course) -> bool:
    """The course page (syllabus): anyone for a published course, its teachers for a draft."""
    return course.is_published or is_course_teacher(user, course)


def can_read_lessons(user: Any, course: Course) -> bool:
    """Lesson contents: the course's teachers, and students enrolled in the published course."""
    if is_course_teacher(user, course):
        return True
    return course.is_published and is_enrolled(user, course)
