"""Calibration on the teacher's grades and the rule that releases free-text scores."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.models import Role, User
from courses.services import enrollment_create
from grading.agreement import (
    Calibrator,
    agreement_measure,
    calibrator_fit,
    informative_order,
    quadratic_weighted_kappa,
)
from grading.calibration import (
    MIN_TEACHER_GRADES,
    calibration_summary,
    grading_settings_update,
    review_suggestions,
)
from grading.models import Calibration, Review
from grading.services import submission_review

ANSWERS = [
    "Lists are mutable, so you can change them, for example append items. Tuples are immutable "
    "and cannot be changed once created.",
    "A list can be modified after it is created. A tuple is fixed and can never be modified.",
    "A list is mutable, which means you can change its items.",
    "A tuple is immutable: once you made it, it cannot change.",
    "My favourite meal is banana bread with walnuts, baked on a sunday afternoon.",
    "list mutable tuple immutable changed append hashable dictionary key",
    "A tuple is mutable and a list is immutable.",
    "Lists are mutable and tuples are immutable.",
    "The difference between a list and a tuple in Python.",
    "You can add and remove the items of a list. Tuples are immutable.",
    "Lists can be changed: you can append, insert and remove items.",
    "A list is a mutable sequence, you may change it whenever you like.",
]


def test_quadratic_weighted_kappa_rewards_agreement_and_punishes_far_misses():
    teacher = [0, 2, 5, 8, 10, 3]
    assert quadratic_weighted_kappa(teacher, teacher) == 1.0
    close = quadratic_weighted_kappa([1, 2, 4, 8, 9, 3], teacher)
    reversed_ = quadratic_weighted_kappa([10 - t for t in teacher], teacher)
    assert 0.9 < close < 1.0 and reversed_ < 0


def test_calibration_learns_what_each_criterion_is_worth_to_the_teacher():
    # The teacher gives 80% for the first criterion and 20% for the second, not 50/50.
    features = [[a, b] for a in (0.0, 0.5, 1.0) for b in (0.0, 0.5, 1.0)] * 3
    targets = [0.8 * a + 0.2 * b for a, b in features]
    fitted = calibrator_fit(features=features, targets=targets, points=[5, 5])
    # Pulled from the rubric's 50/50 toward the teacher's 80/20 (the prior holds it back).
    assert fitted.weights[0] - fitted.weights[1] > 0.2
    assert Calibrator.prior([5, 5]).weights == (0.5, 0.5)
    measured = agreement_measure(features=features, targets=targets, points=[5, 5], max_score=10)
    assert measured.qwk > measured.raw_qwk and measured.mae < measured.raw_mae


def test_a_few_grades_cannot_throw_the_rubric_away():
    fitted = calibrator_fit(features=[[1.0, 0.0]], targets=[0.0], points=[5, 5])
    assert fitted.weights[0] > 0.1  # one odd grade bends the weights, it does not erase them


def test_the_most_informative_answers_come_first():
    graded = [[1.0, 1.0]]
    pending = [[0.95, 1.0], [0.0, 0.0], [0.9, 0.9], [1.0, 0.0]]
    order = informative_order(pending=pending, graded=graded)
    assert order[0] == 1  # the opposite of everything graded so far
    assert order[1] == 3  # then a mixed answer
    assert sorted(order) == [0, 1, 2, 3]


@pytest.fixture
def answered(text_assignment, course, submit):
    """Ten students' answers to the lists-and-tuples question, graded by the worker."""
    submissions = []
    for index, text in enumerate(ANSWERS):
        student = User.objects.create_user(
            username=f"student{index}", password="x", role=Role.STUDENT
        )
        enrollment_create(user=student, course=course)
        submissions.append(submit(text_assignment, student, text=text))
    return submissions


@pytest.mark.django_db
def test_no_score_is_released_before_the_teacher_has_graded_enough(answered):
    assert all(s.needs_review and s.is_provisional for s in answered)


@pytest.mark.django_db
def test_scores_are_released_once_agreement_with_the_teacher_reaches_the_bar(
    answered, text_assignment, teacher, course, submit
):
    # The teacher agrees with the proposals: approving is grading.
    for submission in answered[:MIN_TEACHER_GRADES]:
        submission_review(submission=submission, reviewer=teacher, score=None, comment="")
    calibration = Calibration.objects.get(assignment=text_assignment)
    assert calibration.graded == MIN_TEACHER_GRADES
    assert calibration.qwk is not None and calibration.qwk >= 0.8
    for pending in answered[MIN_TEACHER_GRADES:]:
        pending.refresh_from_db()
        assert not pending.needs_review and not pending.is_provisional  # released
    late = User.objects.create_user(username="late", password="x", role=Role.STUDENT)
    enrollment_create(user=late, course=course)
    new = submit(text_assignment, late, text=ANSWERS[1])
    assert not new.needs_review and not new.is_provisional
    summary = calibration_summary(assignment=text_assignment)
    assert summary.released and summary.graded == MIN_TEACHER_GRADES


@pytest.mark.django_db
def test_a_course_bar_above_the_measured_agreement_keeps_every_answer_in_review(
    answered, text_assignment, teacher, course, submit
):
    grading_settings_update(course=course, release_qwk=1.0)
    # The teacher disagrees now and then: agreement is real but not perfect.
    for index, submission in enumerate(answered[:MIN_TEACHER_GRADES]):
        nudge = Decimal(1) if index % 2 else Decimal(0)
        score = min(submission.auto_score + nudge, Decimal(10))
        submission_review(submission=submission, reviewer=teacher, score=score, comment="Close.")
    measured = Calibration.objects.get(assignment=text_assignment).qwk
    assert measured is not None and measured < 1.0
    late = User.objects.create_user(username="late", password="x", role=Role.STUDENT)
    enrollment_create(user=late, course=course)
    assert submit(text_assignment, late, text=ANSWERS[0]).is_provisional


@pytest.mark.django_db
def test_overrides_feed_the_calibration_and_move_the_waiting_proposals(
    answered, text_assignment, teacher
):
    list_only, tuple_only = answered[2], answered[3]
    # This teacher gives nothing for what lists are: only the tuple counts.
    for index in (0, 1, 4, 5, 6, 10, 11):
        submission = answered[index]
        score = Decimal(str(round(10 * submission.criteria[1]["raw"])))
        submission_review(submission=submission, reviewer=teacher, score=score, comment="Tuple.")
    calibration = Calibration.objects.get(assignment=text_assignment)
    assert calibration.weights[1] > calibration.weights[0]
    list_only.refresh_from_db()
    tuple_only.refresh_from_db()
    assert list_only.review == Review.NONE and list_only.is_provisional  # still a proposal
    assert list_only.score < tuple_only.score


@pytest.mark.django_db
def test_the_review_queue_suggests_answers_unlike_those_already_graded(
    answered, text_assignment, teacher
):
    good = answered[0]
    submission_review(submission=good, reviewer=teacher, score=None, comment="")
    suggested = review_suggestions(assignment=text_assignment)
    assert good not in suggested and len(suggested) == len(ANSWERS) - 1
    first = suggested[0]
    # The opposite of the strong answer graded.
    assert first.auto_score is not None and first.auto_score <= Decimal(3)
