"""The hostile submissions of tests/sandbox/hostile.py, submitted by a student and graded through
the grading task (services → Celery task → grader → sandbox → database), not the sandbox alone.

Each gets the right verdict and score within its limit plus a second, no sandbox process is
left, nothing outside the run changes, and the student's next submission is graded normally.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

import sandbox
from grading.models import Kind, Status
from grading.services import assignment_create
from sandbox import run_tests
from tests.sandbox.hostile import (
    CORRECT_SOLUTION,
    HOSTILE_CASES,
    HOSTILE_LIMITS,
    TEST_SOURCE,
    HostileCase,
    processes_of_uid,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_uids(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The uid of every sandbox run the grader starts (a spy: the real run_tests still runs)."""
    uids: list[int | None] = []

    def spy(**kwargs):
        result = run_tests(**kwargs)
        uids.append(result.run_uid)
        return result

    monkeypatch.setattr(sandbox, "run_tests", spy)
    return uids


@pytest.fixture
def hostile_assignment(course, teacher):
    return assignment_create(
        course=course,
        created_by=teacher,
        title="Add, defended",
        kind=Kind.CODE,
        instructions="Write `add(a, b)`.",
        max_score=Decimal(3),
        max_attempts=0,
        test_code=TEST_SOURCE,
        test_names=["test_small", "test_negative", "test_zero"],
        limits={
            "cpu_seconds": HOSTILE_LIMITS.cpu_seconds,
            "wall_seconds": HOSTILE_LIMITS.wall_seconds,
            "memory_mb": HOSTILE_LIMITS.memory_mb,
            "output_kb": HOSTILE_LIMITS.output_kb,
        },
    )


# Listed order is run order: `plant_marker` runs before `find_marker`.
@pytest.mark.parametrize("case", HOSTILE_CASES, ids=[case.id for case in HOSTILE_CASES])
def test_a_hostile_submission_gets_its_verdict_through_the_task_path(
    case: HostileCase, hostile_assignment, enrolled_student, submit, canaries, run_uids
):
    assignment, student = hostile_assignment, enrolled_student
    started = time.monotonic()
    submission = submit(assignment, student, code=case.solution)
    elapsed = time.monotonic() - started

    assert submission.status == Status.GRADED, (case.id, submission.problem)
    assert submission.verdict == case.expected, (case.id, submission.problem, submission.tests)
    assert elapsed < HOSTILE_LIMITS.wall_seconds + 1, (case.id, elapsed)
    passed = [t for t in submission.tests if t["outcome"] == "passed"]
    if case.forges:
        assert passed == [] and submission.score == 0, case.id
    if case.expected == "passed":
        assert submission.score == Decimal(3), case.id  # every escape attempt failed
    assert len(run_uids) >= 1
    if run_uids[-1] is not None:  # None only when the tests do not run as root
        assert processes_of_uid(run_uids[-1]) == [], case.id
    for path, content in canaries.items():
        assert path.read_bytes() == content, (case.id, path)

    normal = submit(assignment, student, code=CORRECT_SOLUTION)
    assert (normal.verdict, normal.score) == ("passed", Decimal(3)), case.id
