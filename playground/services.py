"""Playground rules: who may open what, snippets, limits, and running an assignment's visible
tests. The socket (consumers.py) and the pages only translate."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from core.errors import DomainError
from courses.access import can_read_lessons
from courses.models import Course
from grading.models import Assignment, Kind
from playground.models import Snippet
from sandbox import Limits


class PlaygroundError(DomainError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def playground_limits() -> Limits:
    """The playground's own limits: longer wall time than grading (a program may wait for the
    student to type), the sandbox defaults for the rest."""
    return Limits.from_settings(
        cpu_seconds=settings.PLAYGROUND_CPU_SECONDS,
        wall_seconds=settings.PLAYGROUND_WALL_SECONDS,
        memory_mb=settings.PLAYGROUND_MEMORY_MB,
        output_kb=settings.PLAYGROUND_OUTPUT_KB,
    )


def source_problem(code: Any) -> str | None:
    if not isinstance(code, str) or not code.strip():
        return _("Write some code first.")
    if len(code.encode()) > settings.PLAYGROUND_MAX_SOURCE_KB * 1024:
        return _("The program is larger than %(size)s KB.") % {
            "size": settings.PLAYGROUND_MAX_SOURCE_KB
        }
    return None


def assignment_for(*, user: Any, assignment_id: Any) -> Assignment | None:
    """A published code assignment the user may read, or None (unknown, hidden, not enrolled)."""
    try:
        pk = int(assignment_id)
    except (TypeError, ValueError):
        return None
    assignment = (
        Assignment.objects.select_related("course")
        .filter(pk=pk, kind=Kind.CODE, is_published=True)
        .first()
    )
    if assignment is None or not can_read_lessons(user, assignment.course):
        return None
    return assignment


def snippet_for_viewer(*, user: Any, snippet_id: int) -> Snippet | None:
    """The owner's snippet, or one shared with a course the user may read; else None (404)."""
    snippet = Snippet.objects.select_related("shared_with", "owner").filter(pk=snippet_id).first()
    if snippet is None:
        return None
    if snippet.owner_id == user.pk:
        return snippet
    if snippet.shared_with is not None and can_read_lessons(user, snippet.shared_with):
        return snippet
    return None


def shareable_courses(*, user: Any) -> QuerySet[Course]:
    """Courses a snippet may be shared with: the ones the user is enrolled in or teaches."""
    return (
        Course.objects.filter(Q(enrollments__user=user) | Q(teachers=user))
        .distinct()
        .order_by("title")
    )


def snippet_save(
    *, owner: Any, title: str, code: str, shared_with: Course | None, snippet: Snippet | None
) -> Snippet:
    if problem := source_problem(code):
        raise PlaygroundError("bad_code", problem)
    if (
        shared_with is not None
        and not shareable_courses(user=owner).filter(pk=shared_with.pk).exists()
    ):
        raise PlaygroundError(
            "bad_course", _("You can only share with a course you take or teach.")
        )
    if snippet is None:
        snippet = Snippet(owner=owner)
    snippet.title, snippet.code, snippet.shared_with = title, code, shared_with
    snippet.save()
    return snippet


def visible_tests_run(*, assignment: Assignment, code: str) -> dict[str, Any]:
    """Run the student's code against the assignment's visible tests only (nothing is stored)."""
    from grading.checks import assignment_limits, test_source_without
    from sandbox import run_tests

    result = run_tests(
        solution=code,
        test_source=test_source_without(assignment.test_code, set(assignment.hidden_tests)),
        module_name=assignment.module_name,
        limits=assignment_limits(assignment.limits),
    )
    return {
        "verdict": str(result.verdict),
        "problem": result.problem,
        "tests": [
            {"name": t.name, "outcome": t.outcome, "message": t.message} for t in result.tests
        ],
        "hidden": len(assignment.hidden_tests),
        "stdout": result.stdout,
        "stderr": result.stderr,
    }
