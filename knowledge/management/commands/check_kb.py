from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from knowledge.index import index_ids
from knowledge.management.course_option import add_course_argument, selected_courses
from knowledge.models import Chunk


class Command(BaseCommand):
    help = "Report every disagreement between the FAISS indexes and the chunk rows (exit 1 if any)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_course_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        courses = selected_courses(options["course"])
        problems = 0
        for course in courses:
            in_index = index_ids(course.pk)
            in_db = set(Chunk.objects.filter(course=course).values_list("id", flat=True))
            missing, extra = in_db - in_index, in_index - in_db
            if missing or extra:
                problems += 1
                self.stdout.write(
                    f"{course.slug}: {len(missing)} passage(s) missing from the "
                    f"index, {len(extra)} in the index but not in the database "
                    f"(fix: manage.py rebuild_kb {course.slug})"
                )
            else:
                self.stdout.write(f"{course.slug}: ok ({len(in_db)} passages)")
        if problems:
            raise SystemExit(1)
