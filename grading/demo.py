"""Demo assignments from grading/demo_assignments/<course slug>/NN-slug/ (format: see the comment
at the top of python-basics/01-*/assignment.toml). Loading is idempotent: an assignment is found
again by its title and updated in place, keeping its submissions."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from courses.models import Course
from grading.models import Assignment, Kind
from sandbox import TestFileError, test_names

DEMO_ASSIGNMENTS_DIR = Path(__file__).resolve().parent / "demo_assignments"


class DemoAssignmentError(Exception):
    pass


def _read(directory: Path, name: str) -> str:
    path = directory / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _without_title(markdown: str) -> str:
    """The page shows the title already; a leading `# Title` line would repeat it."""
    first, _, rest = markdown.partition("\n")
    return (rest if first.startswith("# ") else markdown).strip() + "\n"


def _fields(directory: Path, course: Course) -> dict[str, object]:
    manifest = tomllib.loads(_read(directory, "assignment.toml"))
    kind = manifest["kind"]
    lesson = course.lessons.filter(slug=manifest.get("lesson", "")).first()
    fields: dict[str, object] = {
        "kind": kind,
        "lesson": lesson,
        "max_score": manifest.get("max_score", 10),
        "concepts": manifest.get("concepts", []),
        "due_at": timezone.now() + timedelta(days=manifest.get("due_in_days", 14)),
        "is_published": True,
    }
    if kind == Kind.CODE:
        tests = _read(directory, "tests.py")
        try:
            names = test_names(tests)
        except TestFileError as error:
            raise DemoAssignmentError(f"{directory.name}/tests.py: {error}") from error
        fields.update(
            instructions=_without_title(_read(directory, "instructions.md")),
            starter_code=_read(directory, "starter.py"),
            module_name=manifest.get("module_name", "solution"),
            test_code=tests,
            reference_solution=_read(directory, "reference.py"),
            test_names=names,
            test_concepts=manifest.get("test_concepts", {}),
            weights=manifest.get("weights", {}),
            hidden_tests=manifest.get("hidden_tests", []),
            limits=manifest.get("limits", {}),
        )
    else:
        fields.update(
            instructions=_without_title(_read(directory, "question.md")),
            reference_answer=_read(directory, "reference.md").strip(),
            rubric=manifest["rubric"],
        )
    return fields | {"title": manifest["title"]}


@transaction.atomic
def demo_assignments_load(*, course: Course) -> int:
    directory = DEMO_ASSIGNMENTS_DIR / course.slug
    if not directory.is_dir():
        return 0
    teacher = course.teachers.first()
    loaded = 0
    for position, folder in enumerate(sorted(p for p in directory.iterdir() if p.is_dir()), 1):
        fields = _fields(folder, course)
        assignment = Assignment.objects.filter(course=course, title=fields["title"]).first()
        if assignment is None:
            assignment = Assignment(course=course, created_by=teacher)
        elif assignment.due_at:
            fields.pop("due_at")  # reloading the demo does not move deadlines
        for name, value in fields.items():
            setattr(assignment, name, value)
        assignment.position = position
        assignment.save()
        loaded += 1
    return loaded
