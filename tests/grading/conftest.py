"""Assignments and helpers for grading tests. Grading runs in the real sandbox (bubblewrap);
the sandbox's own tests and the hostile submissions are in tests/sandbox."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from accounts.models import User
from courses.models import Course
from grading import services
from grading.models import Assignment, Kind, Submission
from tests.conftest import require_sandbox
from tests.sandbox.hostile import canaries  # noqa: F401 - a fixture the task-path tests use

TESTS = """\
import unittest
from solution import add


class TestAdd(unittest.TestCase):
    def test_small(self):
        self.assertEqual(add(2, 3), 5)

    def test_negative(self):
        self.assertEqual(add(-2, -3), -5)

    def test_large(self):
        self.assertEqual(add(10**12, 1), 10**12 + 1)
"""
RIGHT = "def add(a, b):\n    return a + b\n"
WRONG = "def add(a, b):\n    return a - b\n"  # fails every test
HALF_RIGHT = "def add(a, b):\n    return abs(a) + abs(b)\n"  # fails only test_negative


@pytest.fixture(autouse=True, scope="session")
def _sandbox_works() -> None:
    require_sandbox()


@pytest.fixture(autouse=True)
def _no_ai_feedback(settings) -> None:
    # Feedback is a second model call per failed submission; test_grader.py turns it on.
    settings.GRADING_FEEDBACK = False


@pytest.fixture
def code_assignment(course: Course, teacher: User) -> Assignment:
    return services.assignment_create(
        course=course,
        created_by=teacher,
        title="Add two numbers",
        kind=Kind.CODE,
        instructions="Write `add(a, b)`.",
        max_score=Decimal(10),
        starter_code="def add(a, b):\n    pass\n",
        test_code=TESTS,
        reference_solution=RIGHT,
        test_names=["TestAdd.test_small", "TestAdd.test_negative", "TestAdd.test_large"],
        weights={"TestAdd.test_small": 2},
        hidden_tests=["TestAdd.test_large"],
        limits={"cpu_seconds": 2, "wall_seconds": 4},
    )


@pytest.fixture
def text_assignment(course: Course, teacher: User) -> Assignment:
    return services.assignment_create(
        course=course,
        created_by=teacher,
        title="Lists and tuples",
        kind=Kind.TEXT,
        instructions="What is the difference between a list and a tuple in Python?",
        max_score=Decimal(10),
        reference_answer=(
            "A list is mutable: you can change, add and remove its items. A tuple is immutable: "
            "once created it cannot change, so it can be a dictionary key."
        ),
        rubric=[
            {"criterion": "Says that a list is mutable and can be changed", "points": 5},
            {"criterion": "Says that a tuple is immutable and cannot be changed", "points": 5},
        ],
    )


@pytest.fixture
def submit(django_capture_on_commit_callbacks) -> Callable[..., Submission]:
    """Submit and grade through the task path (eager Celery), as the on-commit hook would."""

    def _submit(assignment: Assignment, student: User, **answer: str) -> Submission:
        with django_capture_on_commit_callbacks(execute=True):
            submission = services.submission_create(
                assignment=assignment, student=student, **answer
            )
        submission.refresh_from_db()
        return submission

    return _submit
