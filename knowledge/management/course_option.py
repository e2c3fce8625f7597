"""The optional `course` argument shared by the knowledge-base commands."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser
from django.db.models import QuerySet

from courses.models import Course


def add_course_argument(parser: CommandParser) -> None:
    parser.add_argument("course", nargs="?", help="course slug; all courses when omitted")


def selected_courses(slug: str | None) -> QuerySet[Course]:
    if not slug:
        return Course.objects.all()
    courses = Course.objects.filter(slug=slug)
    if not courses.exists():
        raise CommandError(f"No course with the slug {slug!r}.")
    return courses
