"""Question budgets: spend, run out with a clear message, refill over time, admin overrides."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from assist.budget import QuotaExceeded, budget_refund, budget_state, budget_take
from assist.models import QuestionBudget

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _small_budget(settings):
    settings.TUTOR_QUOTA_QUESTIONS = 3
    settings.TUTOR_QUOTA_REFILL_SECONDS = 180


def test_a_new_student_starts_with_a_full_budget(student):
    state = budget_state(user=student)
    assert (state.available, state.capacity, state.next_question_at) == (3, 3, None)


def test_questions_run_out_and_the_message_says_when_to_come_back(student):
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False):
        for left in (2, 1, 0):
            assert budget_take(user=student).available == left
        with pytest.raises(QuotaExceeded) as refused:
            budget_take(user=student)
    state = refused.value.state
    assert state.available == 0
    assert state.next_question_at == timezone.now().replace(
        year=2026, month=11, day=23, hour=10, minute=3, second=0, microsecond=0
    )
    assert "no tutor questions left" in str(refused.value)
    assert "in about 3 min" in str(refused.value)


def test_one_question_comes_back_every_refill_period_up_to_the_capacity(student):
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False) as clock:
        for _ in range(3):
            budget_take(user=student)
        clock.shift(timedelta(seconds=179))
        assert budget_state(user=student).available == 0
        clock.shift(timedelta(seconds=1))
        assert budget_state(user=student).available == 1
        budget_take(user=student)
        with pytest.raises(QuotaExceeded):
            budget_take(user=student)
        clock.shift(timedelta(hours=5))
        assert budget_state(user=student).available == 3  # never above the capacity


def test_a_refund_gives_the_question_back(student):
    budget_take(user=student)
    budget_refund(user=student)
    assert budget_state(user=student).available == 3


def test_teachers_and_admins_are_not_limited(teacher, admin_user):
    for user in (teacher, admin_user):
        for _ in range(10):
            assert budget_take(user=user).unlimited


def test_an_admin_override_changes_one_students_budget(student, other_student):
    with time_machine.travel("2026-11-23 10:00:00Z", tick=False) as clock:
        QuestionBudget.objects.create(
            user=student, available=1, checked_at=timezone.now(), capacity=1, refill_seconds=60
        )
        budget_take(user=student)
        with pytest.raises(QuotaExceeded):
            budget_take(user=student)
        clock.shift(timedelta(seconds=60))
        assert budget_take(user=student).available == 0
        assert budget_state(user=other_student).capacity == 3
