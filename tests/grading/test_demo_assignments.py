"""The Python course ships graded assignments whose reference solutions pass in the sandbox."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from grading.checks import assignment_limits, code_assignment_check
from grading.models import Assignment, Kind
from sandbox import run_tests

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_assignments(demo_once: str, db: None) -> list[Assignment]:
    return list(Assignment.objects.filter(course__slug="python-basics"))


def test_the_python_course_ships_at_least_six_assignments_of_both_kinds(demo_assignments):
    kinds = [a.kind for a in demo_assignments]
    assert len(demo_assignments) >= 6
    assert kinds.count(Kind.CODE) >= 5 and kinds.count(Kind.TEXT) >= 2
    assert all(a.lesson is not None and a.concepts for a in demo_assignments)


def test_loading_the_demo_again_changes_nothing(demo_assignments, settings):
    due = {a.pk: a.due_at for a in demo_assignments}
    call_command("load_demo", stdout=io.StringIO())
    again = {a.pk: a.due_at for a in Assignment.objects.filter(course__slug="python-basics")}
    assert again == due


def test_every_reference_solution_passes_and_no_starter_does(demo_assignments):
    for assignment in (a for a in demo_assignments if a.is_code):
        check = code_assignment_check(
            test_code=assignment.test_code,
            module_name=assignment.module_name,
            reference_solution=assignment.reference_solution,
            starter_code=assignment.starter_code,
            weights=assignment.weights,
            hidden_tests=assignment.hidden_tests,
            limits=assignment.limits,
        )
        assert check.ok, (assignment.title, check.problems)
        assert check.test_names == assignment.test_names
        starter = run_tests(
            solution=assignment.starter_code,
            test_source=assignment.test_code,
            module_name=assignment.module_name,
            limits=assignment_limits(assignment.limits),
        )
        assert not any(t.outcome == "passed" for t in starter.tests), assignment.title
