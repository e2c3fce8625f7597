"""Course and lesson addresses: derived from titles, unique, never a word the URLconf uses.

Shared by the HTML forms and the API serializers so both say the same thing.
"""

from __future__ import annotations

from django.utils.text import slugify

from courses.models import Course, Lesson

# Words the URLconf already uses next to course and lesson slugs (/courses/new/, /lessons/new/).
RESERVED_SLUGS = frozenset({"new"})
MAX_LENGTH = 80


def slug_or_from_title(slug: str | None, title: str | None) -> str:
    return slug or slugify(title or "")[:MAX_LENGTH]


def course_slug_problem(slug: str, *, course_id: int | None = None) -> str | None:
    if slug in RESERVED_SLUGS:
        return f"“{slug}” is reserved; choose another address."
    others = Course.objects.filter(slug=slug)
    if course_id is not None:
        others = others.exclude(pk=course_id)
    if others.exists():
        return "Another course already uses this address."
    return None


def lesson_slug_problem(slug: str, *, course: Course, lesson_id: int | None = None) -> str | None:
    if slug in RESERVED_SLUGS:
        return f"“{slug}” is reserved; choose another address."
    others = Lesson.objects.filter(course=course, slug=slug)
    if lesson_id is not None:
        others = others.exclude(pk=lesson_id)
    if others.exists():
        return "Another lesson of this course already uses this address."
    return None
