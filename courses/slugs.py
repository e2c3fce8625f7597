"""Course and lesson addresses: derived from titles, unique, never a word the URLconf uses.

Shared by the HTML forms and the API serializers so both say the same thing.
"""

from __future__ import annotations

import hashlib

from django.utils.text import slugify
from django.utils.translation import gettext as _

from courses.models import Course, Lesson

# Words the URLconf already uses next to course and lesson slugs (/courses/new/, /lessons/new/).
RESERVED_SLUGS = frozenset({"new"})
MAX_LENGTH = 80


def slug_or_from_title(slug: str | None, title: str | None) -> str:
    if slug:
        return slug
    derived = slugify(title or "")[:MAX_LENGTH]
    if derived or not title:
        return derived
    # A title without Latin letters or digits (a Chinese one) slugifies to nothing; its digest
    # gives an address that stays the same for the same title.
    return "c-" + hashlib.sha256(title.encode()).hexdigest()[:10]


def course_slug_problem(slug: str, *, course_id: int | None = None) -> str | None:
    if slug in RESERVED_SLUGS:
        return _("“%(slug)s” is reserved; choose another address.") % {"slug": slug}
    others = Course.objects.filter(slug=slug)
    if course_id is not None:
        others = others.exclude(pk=course_id)
    if others.exists():
        return _("Another course already uses this address.")
    return None


def lesson_slug_problem(slug: str, *, course: Course, lesson_id: int | None = None) -> str | None:
    if slug in RESERVED_SLUGS:
        return _("“%(slug)s” is reserved; choose another address.") % {"slug": slug}
    others = Lesson.objects.filter(course=course, slug=slug)
    if lesson_id is not None:
        others = others.exclude(pk=lesson_id)
    if others.exists():
        return _("Another lesson of this course already uses this address.")
    return None
