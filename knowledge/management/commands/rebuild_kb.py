from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from knowledge.index import index_rebuild
from knowledge.ingest import sentences_backfill
from knowledge.management.course_option import add_course_argument, selected_courses


class Command(BaseCommand):
    help = "Rebuild the FAISS index of one course (or of all) from the chunk rows in the database."

    def add_arguments(self, parser: CommandParser) -> None:
        add_course_argument(parser)
        parser.add_argument(
            "--sentences",
            action="store_true",
            help="also embed and store the sentence vectors of passages ingested without them",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        courses = selected_courses(options["course"])
        for course in courses:
            count = index_rebuild(course.pk)
            self.stdout.write(f"{course.slug}: {count} passages indexed")
            if options["sentences"]:
                stored = sentences_backfill(course_id=course.pk)
                self.stdout.write(f"{course.slug}: sentence vectors stored for {stored} passages")
