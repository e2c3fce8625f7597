"""`manage.py load_demo`: the demo courses, assignments, concepts and history in one go.

It lives in the portal (the site layer) because it fills every app; each app loads its own part
(`courses.demo`, `knowledge.demo`, `grading.demo`, `learning.demo`) and none of them imports
another for it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from courses.demo import DEMO_ACCOUNTS, DemoContentError, demo_load
from courses.services import course_reindex_lessons
from grading.demo import DemoAssignmentError, demo_assignments_load
from knowledge.demo import demo_materials_load
from learning.demo import demo_classmates_load, demo_concepts_load, demo_history_load
from learning.services.concepts import ImportRefused


class Command(BaseCommand):
    help = "Load the demo courses and the demo student, teacher and admin (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even with DEBUG off (the demo passwords are public).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to create demo accounts with public passwords while "
                "DEBUG is off; pass --force if this really is a demo server."
            )
        try:
            courses = demo_load()
        except DemoContentError as error:
            raise CommandError(f"Demo content is broken: {error}") from error
        for course in courses:
            queued = course_reindex_lessons(course=course)
            try:
                materials = demo_materials_load(course=course)
            except DemoContentError as error:
                raise CommandError(f"Demo content is broken: {error}") from error
            try:
                assignments = demo_assignments_load(course=course)
            except DemoAssignmentError as error:
                raise CommandError(f"Demo assignments are broken: {error}") from error
            try:
                concepts = demo_concepts_load(course=course)
            except ImportRefused as error:
                raise CommandError(f"Demo concepts are broken: {error}") from error
            demo_history_load(course=course)
            demo_classmates_load(course=course)
            self.stdout.write(
                f"Loaded “{course.title}” ({queued} lessons and {materials} new materials "
                f"queued for indexing; {assignments} assignments, {concepts} concepts)"
            )
        self.stdout.write(
            "Demo logins: "
            + ", ".join(f"{a.username} / {a.password} ({a.role})" for a in DEMO_ACCOUNTS)
        )
