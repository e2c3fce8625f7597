"""The course lookups of courses/access.py, persona by persona, on a published and a draft course:
each answers the course, 403 or 404, the same through the lookup itself, a page and the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from courses import access
from courses.models import Course, Enrollment
from tests.conftest import api_client_for

PERSONAS = ("anonymous", "student", "enrolled", "teacher", "other_teacher", "admin")
C = "course"  # the lookup answers the course
Personas = dict[str, Any]  # persona name -> user (None: anonymous)
Courses = tuple[Course, Course]  # (published, draft)

# Expected outcome per persona: (on the published course, on the draft).
VIEWER = {
    "anonymous": (C, 404),
    "student": (C, 404),
    "enrolled": (C, 404),
    "teacher": (C, C),
    "other_teacher": (C, 404),
    "admin": (C, C),
}
READER = {
    "anonymous": (403, 404),
    "student": (403, 404),
    "enrolled": (C, 404),  # enrolled in the draft too: a draft's lessons are still closed
    "teacher": (C, C),
    "other_teacher": (403, 404),
    "admin": (C, C),
}
TEACHER = {
    "anonymous": (403, 404),
    "student": (403, 404),
    "enrolled": (403, 404),
    "teacher": (C, C),
    "other_teacher": (403, 404),
    "admin": (C, C),
}
# Pages have always answered 403 (not 404) on a teacher-only page of another's draft.
TEACHER_PAGE = {persona: (TEACHER[persona][0], TEACHER[persona][0]) for persona in PERSONAS}


class Anonymous:
    is_authenticated = False


@pytest.fixture
def personas(
    student: User, teacher: User, other_teacher: User, admin_user: User, other_student: User
) -> dict[str, Any]:
    """Every persona; "enrolled" is enrolled in both courses (the draft one went back to draft
    after enrolling, which is the only way a student is enrolled in a draft)."""
    return {
        "anonymous": None,
        "student": other_student,
        "enrolled": student,
        "teacher": teacher,
        "other_teacher": other_teacher,
        "admin": admin_user,
    }


@pytest.fixture
def courses(course: Course, draft_course: Course, student: User) -> tuple[Course, Course]:
    Enrollment.objects.create(user=student, course=course)
    Enrollment.objects.create(user=student, course=draft_course)
    return course, draft_course


def _cases(table: dict[str, tuple[Any, Any]]) -> list[tuple[str, int, Any]]:
    return [(p, state, table[p][state]) for p in PERSONAS for state in (0, 1)]


def _check_lookup(lookup: Callable[..., Course], user: Any, course: Course, expected: Any) -> None:
    if expected == C:
        assert lookup(user=user or Anonymous(), slug=course.slug) == course
    else:
        error = Http404 if expected == 404 else PermissionDenied
        with pytest.raises(error):
            lookup(user=user or Anonymous(), slug=course.slug)


@pytest.mark.parametrize(("persona", "state", "expected"), _cases(VIEWER))
def test_course_for_viewer(
    personas: Personas, courses: Courses, persona: str, state: int, expected: Any
) -> None:
    _check_lookup(access.course_for_viewer, personas[persona], courses[state], expected)


@pytest.mark.parametrize(("persona", "state", "expected"), _cases(READER))
def test_course_for_reader(
    personas: Personas, courses: Courses, persona: str, state: int, expected: Any
) -> None:
    _check_lookup(access.course_for_reader, personas[persona], courses[state], expected)


@pytest.mark.parametrize(("persona", "state", "expected"), _cases(TEACHER))
def test_course_for_teacher(
    personas: Personas, courses: Courses, persona: str, state: int, expected: Any
) -> None:
    _check_lookup(access.course_for_teacher, personas[persona], courses[state], expected)


@pytest.mark.parametrize(("persona", "state", "expected"), _cases(TEACHER_PAGE))
def test_course_for_teacher_as_pages_ask(
    personas: Personas, courses: Courses, persona: str, state: int, expected: Any
) -> None:
    def lookup(*, user: Any, slug: str) -> Course:
        return access.course_for_teacher(user=user, slug=slug, hide_draft=False)

    _check_lookup(lookup, personas[persona], courses[state], expected)


def test_an_unknown_course_is_a_404_for_every_lookup(admin_user: User) -> None:
    for lookup in (access.course_for_viewer, access.course_for_reader, access.course_for_teacher):
        with pytest.raises(Http404, match=r"No course “nope”\."):
            lookup(user=admin_user, slug="nope")
    with pytest.raises(Http404):
        access.course_for_teacher(user=admin_user, slug="nope", hide_draft=False)


# Through the pages: the course page (viewer; open to anonymous users), the assignments (reader),
# the roster (teacher).
PAGES = (
    ("courses:detail", VIEWER, ""),
    ("grading:assignments", READER, "Enroll in the course to see its assignments."),
    ("courses:students", TEACHER_PAGE, access.TEACHERS_ONLY),
)


@pytest.mark.parametrize(("name", "table", "denied"), PAGES)
def test_pages_answer_the_lookups(
    client: Client,
    personas: Personas,
    courses: Courses,
    name: str,
    table: dict[str, tuple[Any, Any]],
    denied: str,
) -> None:
    for persona in PERSONAS:
        user = personas[persona]
        client.logout()
        if user is not None:
            client.force_login(user)
        for state, course in enumerate(courses):
            response = client.get(reverse(name, args=[course.slug]))
            expected = table[persona][state]
            where = f"{name} as {persona} on {course.slug}"
            if user is None and name != "courses:detail":
                assert response.status_code == 302, where  # to the sign-in page first
                assert response["Location"].startswith(reverse("accounts:login")), where
            elif expected == C:
                assert response.status_code == 200, where
            else:
                assert response.status_code == expected, where
                if expected == 403:
                    assert escape(str(denied)) in response.content.decode(), where


# Through the API: the same lookups answer JSON `{"detail": ...}`. Only a course's detail is
# open without a token (as its page is).
APIS = (
    ("api-course", VIEWER, ""),
    ("api-lessons", READER, access.ENROLL_TO_READ),
    ("api-course-students", TEACHER, access.TEACHERS_ONLY),
)


@pytest.mark.parametrize(("name", "table", "denied"), APIS)
def test_the_api_answers_the_lookups(
    personas: Personas,
    courses: Courses,
    name: str,
    table: dict[str, tuple[Any, Any]],
    denied: str,
) -> None:
    for persona in PERSONAS:
        user = personas[persona]
        api = api_client_for(user)
        for state, course in enumerate(courses):
            response = api.get(reverse(name, args=[course.slug]))
            expected = table[persona][state]
            where = f"{name} as {persona} on {course.slug}"
            if user is None and name != "api-course":
                assert response.status_code == 401, where  # the API wants a token first
            elif expected == C:
                assert response.status_code == 200, where
            elif expected == 404:
                assert response.status_code == 404, where
                assert response.json() == {"detail": f"No course “{course.slug}”."}, where
            else:
                assert response.status_code == 403, where
                assert response.json() == {"detail": denied}, where
