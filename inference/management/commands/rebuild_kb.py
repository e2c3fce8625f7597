from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.models import Course
from inference.knowledge.index import index_rebuild


class Command(BaseCommand):
    help = "Rebuild the FAISS index of one course (or of all) from the chunk rows in the database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course", nargs="?", help="course slug; all courses when omitted")

    def handle(self, *args: Any, **options: Any) -> None:
        courses = Course.objects.all()
        if options["course"]:
            courses = courses.filter(slug=options["course"])
            if not courses.exists():
                raise CommandError(f"No course with the slug {options['course']!r}.")
        for course in courses:
            count = index_rebuild(course.pk)
            self.stdout.write(f"{course.slug}: {count} passages indexed")
