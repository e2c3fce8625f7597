"""The demo platform: three real courses from courses/demo_content/ and three demo accounts.

Each course directory holds `course.toml` (title, slug, summary, description, optional language,
modules with their lesson files in order) and one Markdown file per lesson whose first line is
`# Title`. Its `[[materials]]` (files uploaded to the course's knowledge base) are loaded by
knowledge/demo.py, which may import the knowledge app; this module may not.
Loading is idempotent: running it again updates the texts in place and keeps enrollments.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from accounts.models import Role, User
from courses.markdown import markdown_errors
from courses.models import Course, Enrollment, Lesson, Module

DEMO_CONTENT_DIR = Path(__file__).resolve().parent / "demo_content"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    first_name: str
    last_name: str


DEMO_ACCOUNTS = (
    DemoAccount("student", "learn-with-llmasos", Role.STUDENT, "Sam", "Student"),
    DemoAccount("teacher", "teach-with-llmasos", Role.TEACHER, "Tara", "Teacher"),
    DemoAccount("admin", "admin-llmasos", Role.ADMIN, "Ada", "Admin"),
)


# The demo student starts enrolled in these and free to enroll in the others.
ENROLLED_COURSES = ("python-basics", "llm-zh")
# Manifest keys copied to Course fields only where this installation's Course has the field:
# `language` arrives with the Chinese-retrieval work, and the demo must load before and after.
OPTIONAL_COURSE_FIELDS = ("language",)


class DemoContentError(Exception):
    pass


def _optional_course_fields(manifest: dict[str, object]) -> dict[str, object]:
    names = {field.name for field in Course._meta.get_fields()}
    return {
        key: manifest[key] for key in OPTIONAL_COURSE_FIELDS if key in manifest and key in names
    }


def _lesson_from_file(path: Path) -> tuple[str, str, str]:
    text = path.read_text(encoding="utf-8")
    first, _, body = text.partition("\n")
    if not first.startswith("# "):
        raise DemoContentError(f"{path.name}: the first line must be '# Title'")
    slug = re.sub(r"^\d+-", "", path.stem)
    errors = markdown_errors(body)
    if errors:
        raise DemoContentError(f"{path.name}: {'; '.join(errors)}")
    return first[2:].strip(), slug, body.strip() + "\n"


def demo_accounts_ensure() -> dict[str, User]:
    users = {}
    for account in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=account.username,
            defaults={
                "role": account.role,
                "first_name": account.first_name,
                "last_name": account.last_name,
                "email": f"{account.username}@demo.llmasos.invalid",
            },
        )
        if created:
            user.set_password(account.password)
            user.save()
        users[account.username] = user
    return users


@transaction.atomic
def demo_course_load(*, directory: Path, teacher: User) -> Course:
    manifest = tomllib.loads((directory / "course.toml").read_text(encoding="utf-8"))
    course, _ = Course.objects.update_or_create(
        slug=manifest["slug"],
        defaults={
            "title": manifest["title"],
            "summary": manifest["summary"],
            "description": manifest.get("description", "").strip(),
            **_optional_course_fields(manifest),
        },
    )
    course.teachers.add(teacher)
    for module_position, module_data in enumerate(manifest["modules"], start=1):
        module, _ = Module.objects.update_or_create(
            course=course,
            position=module_position,
            defaults={"title": module_data["title"], "summary": module_data.get("summary", "")},
        )
        for lesson_position, file_name in enumerate(module_data["lessons"], start=1):
            title, slug, body = _lesson_from_file(directory / file_name)
            lesson = Lesson.objects.filter(course=course, slug=slug).first() or Lesson(slug=slug)
            lesson.module, lesson.title, lesson.body = module, title, body
            lesson.position = lesson_position
            lesson.save()
    course.is_published = True
    course.save()
    return course


def demo_load() -> list[Course]:
    users = demo_accounts_ensure()
    courses = [
        demo_course_load(directory=directory, teacher=users["teacher"])
        for directory in sorted(DEMO_CONTENT_DIR.iterdir())
        if (directory / "course.toml").exists()
    ]
    for course in courses:
        if course.slug in ENROLLED_COURSES:
            Enrollment.objects.get_or_create(user=users["student"], course=course)
    return courses
