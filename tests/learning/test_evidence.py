"""Graded assignments move mastery: through the real sandbox and the task path."""

from __future__ import annotations

from decimal import Decimal

import pytest

from grading import services as grading_services
from learning.models import Mastery, Observation
from tests.conftest import require_sandbox
from tests.grading import conftest as grading_fixtures
from tests.grading.conftest import HALF_RIGHT, RIGHT, WRONG

# The grading tests' fixtures: an assignment graded by three unittest tests, and submitting
# through the task path.
code_assignment = grading_fixtures.code_assignment
submit = grading_fixtures.submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sandbox(settings) -> None:
    require_sandbox()
    settings.GRADING_FEEDBACK = False


@pytest.fixture
def tagged(code_assignment, concepts):
    """test_negative checks values; the other tests count for both concepts."""
    code_assignment.concepts = ["dot-products", "values"]
    code_assignment.test_concepts = {"TestAdd.test_negative": ["values"]}
    code_assignment.save()
    return code_assignment


def _mastery(student, concept) -> float:
    return Mastery.objects.get(student=student, concept=concept).p_known


def test_mastery_rises_after_right_results_and_falls_after_wrong_ones(
    tagged, enrolled_student, submit, concepts
) -> None:
    dot = concepts["dot-products"]
    right = submit(tagged, enrolled_student, code=RIGHT)
    assert right.verdict == "passed"
    after_right = _mastery(enrolled_student, dot)
    assert after_right == pytest.approx(0.6)  # the prior 0.2 after one right answer
    wrong = submit(tagged, enrolled_student, code=WRONG)
    assert wrong.verdict == "failed"
    after_wrong = _mastery(enrolled_student, dot)
    assert after_wrong < after_right
    submit(tagged, enrolled_student, code=RIGHT)
    assert _mastery(enrolled_student, dot) > after_wrong
    assert Observation.objects.filter(student=enrolled_student, concept=dot).count() == 3


def test_a_test_tagged_with_a_concept_counts_for_that_concept(
    tagged, enrolled_student, submit, concepts
) -> None:
    half = submit(tagged, enrolled_student, code=HALF_RIGHT)
    outcomes = {t["name"]: t["outcome"] for t in half.tests}
    assert outcomes["TestAdd.test_negative"] == "failed"
    evidence = dict(
        Observation.objects.filter(submission=half).values_list("concept__slug", "correct")
    )
    assert evidence == {"dot-products": True, "values": False}
    assert _mastery(enrolled_student, concepts["dot-products"]) > 0.5
    assert _mastery(enrolled_student, concepts["values"]) < 0.2


def test_a_syntax_error_counts_as_wrong_and_a_teachers_override_replaces_the_evidence(
    tagged, enrolled_student, submit, teacher, concepts
) -> None:
    broken = submit(tagged, enrolled_student, code="def add(a, b) return a + b\n")
    assert broken.verdict == "error"
    assert set(Observation.objects.filter(submission=broken).values_list("correct", flat=True)) == {
        False
    }
    grading_services.submission_review(
        submission=broken, reviewer=teacher, score=Decimal(10), comment="Typo only; full marks."
    )
    assert set(Observation.objects.filter(submission=broken).values_list("correct", flat=True)) == {
        True
    }
    assert Observation.objects.filter(student=enrolled_student).count() == 2  # replaced, not added
    assert _mastery(enrolled_student, concepts["values"]) == pytest.approx(0.6)


def test_concepts_outside_the_graph_are_ignored(
    code_assignment, enrolled_student, submit, concepts
) -> None:
    code_assignment.concepts = ["dot-products", "not-in-the-graph"]
    code_assignment.save()
    submit(code_assignment, enrolled_student, code=RIGHT)
    assert list(
        Observation.objects.filter(student=enrolled_student).values_list("concept__slug", flat=True)
    ) == ["dot-products"]


def test_the_student_hears_the_verdict_only_once_mastery_counts_it(
    tagged, enrolled_student, submit, teacher, concepts, monkeypatch
) -> None:
    """Whoever opens My path on seeing "Passed" must find the pass already counted."""
    from grading import grader

    told: list[tuple[Decimal, int]] = []  # (score the student is shown, right answers counted)

    def report_and_note(submission) -> None:
        if submission.is_done:
            right = Observation.objects.filter(submission=submission, correct=True).count()
            told.append((submission.score, right))

    monkeypatch.setattr(grader, "submission_report", report_and_note)
    monkeypatch.setattr(grading_services, "submission_report", report_and_note)
    passed = submit(tagged, enrolled_student, code=RIGHT)
    grading_services.submission_review(
        submission=passed, reviewer=teacher, score=Decimal(0), comment="Copied."
    )
    assert told == [(Decimal(10), 2), (Decimal(0), 0)]


def test_a_skipped_test_is_no_evidence_either_way(tagged, enrolled_student, submit) -> None:
    tagged.test_code = tagged.test_code.replace(
        "    def test_negative", '    @unittest.skip("next week")\n    def test_negative'
    )
    tagged.save()
    right = submit(tagged, enrolled_student, code=RIGHT)
    assert right.verdict == "passed"
    evidence = dict(
        Observation.objects.filter(submission=right).values_list("concept__slug", "correct")
    )
    assert evidence == {"dot-products": True, "values": True}
