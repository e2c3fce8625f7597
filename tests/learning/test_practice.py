"""Practice answers: graded at once, moving BKT mastery, and reviewed with FSRS once mastered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from courses.services import enrollment_create
from learning.models import Mastery, Observation, QuestionStatus, ReviewCard
from learning.services import mastery as mastery_services
from learning.services import practice

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)

pytestmark = pytest.mark.django_db


def test_mastery_follows_bkt_by_hand(enrolled_student, answer, concepts) -> None:
    first = answer(enrolled_student, True, at=T0)
    assert first.correct and first.counted
    assert first.mastery_before == pytest.approx(0.2)
    assert first.mastery_after == pytest.approx(0.6)
    second = answer(enrolled_student, False, at=T0 + HOUR)
    # 0.6*0.1 / (0.06 + 0.4*0.8) = 0.157895; + 0.842105*0.15 = 0.284211
    assert second.mastery_after == pytest.approx(0.284211, abs=1e-6)
    mastery = Mastery.objects.get(student=enrolled_student, concept=concepts["dot-products"])
    assert (mastery.attempts, mastery.correct) == (2, 1)
    assert mastery.p_known == pytest.approx(0.284211, abs=1e-6)


def test_answering_the_same_question_again_at_once_does_not_pump_mastery(
    enrolled_student, answer
) -> None:
    answer(enrolled_student, True, at=T0)
    again = answer(enrolled_student, True, at=T0 + timedelta(minutes=2))
    assert again.correct and not again.counted
    assert again.mastery_after == pytest.approx(0.6)
    assert Observation.objects.filter(student=enrolled_student).count() == 1
    later = answer(enrolled_student, True, at=T0 + HOUR)
    assert later.counted and later.mastery_after > 0.6


@pytest.mark.parametrize(
    ("response", "right"),
    [
        ("10", True),
        (" 10. ", True),
        ("10.0", True),
        ("'10'", True),
        ("\uff11\uff10\u3002", True),  # a Chinese input method's full-width digits and 。
        ("「10」", True),
        ("ten", False),
        ("1 0", False),
    ],
)
def test_short_answers_are_normalised(enrolled_student, short_question, response, right) -> None:
    result = practice.practice_answer_submit(
        question=short_question, student=enrolled_student, response=response, at=T0
    )
    assert result.correct is right


@pytest.mark.parametrize(
    ("response", "message"),
    [("", "Choose or type an answer"), ("7", "Choose one of the options"), ("x" * 2001, "longer")],
)
def test_bad_answers_are_refused_and_nothing_is_recorded(
    enrolled_student, choice_question, response, message
) -> None:
    with pytest.raises(practice.PracticeRefused, match=message):
        practice.practice_answer_submit(
            question=choice_question, student=enrolled_student, response=response
        )
    assert not Observation.objects.exists()


def test_a_draft_question_cannot_be_answered(enrolled_student, choice_question) -> None:
    choice_question.status = QuestionStatus.DRAFT
    choice_question.save()
    with pytest.raises(practice.PracticeRefused, match="not open"):
        practice.practice_answer_submit(
            question=choice_question, student=enrolled_student, response="1"
        )


def test_mastery_creates_a_review_card_and_fsrs_due_dates_move_with_answers(
    enrolled_student, answer, short_question, concepts
) -> None:
    answer(enrolled_student, True, at=T0)
    answer(enrolled_student, True, at=T0 + HOUR, question=short_question)
    assert not ReviewCard.objects.exists()
    third = answer(enrolled_student, True, at=T0 + 2 * HOUR)
    assert third.mastery_after >= 0.95 and third.newly_mastered
    card = ReviewCard.objects.get(student=enrolled_student, concept=concepts["dot-products"])
    mastered_at = T0 + 2 * HOUR
    assert card.due == mastered_at + timedelta(days=2)  # FSRS-6 "Good" on a new card

    # Reviewed right when due: the next review moves further out than the first interval.
    right = answer(enrolled_student, True, at=card.due, question=short_question)
    card.refresh_from_db()
    assert right.review_due == card.due
    assert card.due - right.answer.created_at > timedelta(days=2)
    assert card.reviews == 2
    long_interval = card.due - right.answer.created_at

    # Forgotten at the next review: due again within days, far sooner than after a right answer.
    wrong = answer(enrolled_student, False, at=card.due)
    card.refresh_from_db()
    assert timedelta(days=1) <= card.due - wrong.answer.created_at <= timedelta(days=3)
    assert card.due - wrong.answer.created_at < long_interval / 3


def _enrolled_students(user_model, course, count: int) -> list:
    students = [user_model.objects.create_user(f"s{n}", password="x") for n in range(count)]
    for student in students:
        enrollment_create(user=student, course=course)
    return students


def _answer_three_with_one_miss(answer, students: list) -> None:
    """Three answers each, one of them wrong, the miss moving from answer to answer."""
    for number, student in enumerate(students):
        for step in range(3):
            answer(student, number % 3 != step, at=T0 + step * HOUR)


def test_fitting_parameters_needs_enough_data_then_recomputes_mastery(
    settings, course, concepts, answer, short_question, django_user_model
) -> None:
    settings.LEARNING_FIT_MIN_ANSWERS = 30
    settings.LEARNING_FIT_MIN_STUDENTS = 10
    students = _enrolled_students(django_user_model, course, 12)
    _answer_three_with_one_miss(answer, students[:9])
    results = mastery_services.concept_params_fit(course=course)
    assert all(r.params is None for r in results)  # 9 students: not enough

    for student in students[9:]:
        for step in range(3):
            answer(student, True, at=T0 + step * HOUR, question=short_question)
    before = Mastery.objects.get(student=students[0], concept=concepts["dot-products"]).p_known
    fits = {r.concept.slug: r for r in mastery_services.concept_params_fit(course=course)}
    fitted = fits["dot-products"]
    assert fitted.params is not None and fitted.students == 12 and fitted.recomputed == 12
    concepts["dot-products"].refresh_from_db()
    assert concepts["dot-products"].fitted["answers"] == 36
    after = Mastery.objects.get(student=students[0], concept=concepts["dot-products"]).p_known
    assert after != pytest.approx(before)
    assert fits["values"].params is None


def test_the_nightly_refit_fits_only_courses_with_new_answers(
    settings, course, concepts, answer, django_user_model
) -> None:
    from learning.tasks import concept_params_refit_due

    settings.LEARNING_FIT_MIN_ANSWERS = 30
    settings.LEARNING_FIT_MIN_STUDENTS = 10
    students = _enrolled_students(django_user_model, course, 11)
    _answer_three_with_one_miss(answer, students[:10])
    assert mastery_services.courses_due_for_refit() == [course]

    assert concept_params_refit_due() == {course.slug: ["dot-products"]}
    concepts["dot-products"].refresh_from_db()
    assert concepts["dot-products"].fitted["answers"] == 30
    assert mastery_services.courses_due_for_refit() == []
    assert concept_params_refit_due() == {}  # nothing new: nothing refitted

    answer(students[10], True, at=T0 + 10 * HOUR)
    assert mastery_services.courses_due_for_refit() == [course]
    concept_params_refit_due()
    concepts["dot-products"].refresh_from_db()
    assert concepts["dot-products"].fitted["answers"] == 31


def test_celery_beat_schedules_the_refit_at_the_configured_hour() -> None:
    from llmasos.celery import app

    app.loader.import_default_modules()
    entry = app.conf.beat_schedule["learning-refit-bkt"]
    assert entry["task"] in app.tasks
    assert entry["schedule"].hour == {3} and entry["schedule"].minute == {30}
