from __future__ import annotations

import pytest

from assist.services import ai_policy_set
from courses.models import Lesson
from grading.models import Assignment
from tests.tutor.conftest import tutor_course  # noqa: F401 - shared with the tutor tests

TESTS = (
    "from solution import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n"
    "def test_secret():\n    assert add(-40, 2) == -38  # SECRET_CASE\n"
)


@pytest.fixture
def lesson(course) -> Lesson:
    return Lesson.objects.get(course=course, slug="queries")


@pytest.fixture
def assignment(course, teacher, lesson) -> Assignment:
    return Assignment.objects.create(
        course=course,
        lesson=lesson,
        created_by=teacher,
        title="Add two numbers",
        instructions="Write `add(a, b)`.",
        test_code=TESTS,
        test_names=["test_add", "test_secret"],
        hidden_tests=["test_secret"],
    )


@pytest.fixture
def set_rule(teacher):
    """Set a teacher's rule: set_rule(course, "off"), set_rule(course, "hints", lesson=...)."""

    def set_(course, mode, **scope):
        return ai_policy_set(course=course, mode=mode, by=teacher, **scope)

    return set_
