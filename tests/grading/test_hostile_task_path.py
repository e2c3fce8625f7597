"""The hostile submissions of tests/grading/hostile.py, submitted by a student and graded through
the grading task (services → Celery task → grader → sandbox → database), not the sandbox alone.

Each gets the right verdict and score within its limit plus a second, no sandbox process is
left, nothing outside the run changes, and the student's next submission is graded normally.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from grading.models import Kind, Status
from grading.sandbox import UID_RANGE, sandbox_problem
from grading.services import assignment_create
from tests.grading.hostile import (
    CANARY_ENV,
    CORRECT_SOLUTION,
    HOSTILE_CASES,
    HOSTILE_LIMITS,
    REPO_CANARY,
    TEST_SOURCE,
    TMP_CANARY,
    HostileCase,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sandbox_works(settings) -> None:  # type: ignore[no-untyped-def]
    settings.GRADING_FEEDBACK = False
    problem = sandbox_problem()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"The sandbox must work in CI: {problem}")
        pytest.skip(problem)


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[Path, bytes]]:
    for name, value in CANARY_ENV.items():
        monkeypatch.setenv(name, value)
    files = {REPO_CANARY: b"repository canary\n", TMP_CANARY: b"host /tmp canary\n"}
    for path, content in files.items():
        path.write_bytes(content)
    yield files
    for path in files:
        path.unlink(missing_ok=True)


def sandbox_processes() -> list[int]:
    """Processes running as any sandbox uid (runs get fresh uids from UID_RANGE)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uid_line = next(line for line in status.read_text().splitlines() if line[:4] == "Uid:")
        except (OSError, StopIteration):
            continue
        if UID_RANGE[0] <= int(uid_line.split()[1]) <= UID_RANGE[1]:
            found.append(int(status.parent.name))
    return found


@pytest.fixture
def hostile_assignment(course, teacher):  # type: ignore[no-untyped-def]
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


def test_every_hostile_submission_gets_its_verdict_through_the_task_path(
    hostile_assignment, enrolled_student, submit, canaries
):
    # One test for all cases, in order: `plant_marker` must run before `find_marker`.
    for case in HOSTILE_CASES:
        _check(case, hostile_assignment, enrolled_student, submit, canaries)


def _check(case: HostileCase, assignment, student, submit, canaries) -> None:  # type: ignore[no-untyped-def]
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
    assert sandbox_processes() == [], case.id
    for path, content in canaries.items():
        assert path.read_bytes() == content, (case.id, path)

    normal = submit(assignment, student, code=CORRECT_SOLUTION)
    assert (normal.verdict, normal.score) == ("passed", Decimal(3)), case.id
