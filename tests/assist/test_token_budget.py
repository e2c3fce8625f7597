"""Daily token caps per student and per course: reserved under a lock, settled to real counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assist.budget import (
    TokenBudgetExceeded,
    budget_state,
    tokens_reserve,
    tokens_used_today,
)
from assist.models import AIPolicy, QuestionBudget, UsageRecord
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

QUESTION = "How do several attention heads work together?"


def test_parallel_requests_see_each_others_reservation(enrolled_student, course, settings):
    settings.AI_DAILY_TOKENS_PER_USER = 800
    settings.AI_TOKEN_RESERVE = 800
    tokens_reserve(user=enrolled_student, course_id=course.pk)  # the first is under the cap...
    with pytest.raises(TokenBudgetExceeded, match="today's AI allowance"):
        tokens_reserve(user=enrolled_student, course_id=course.pk)  # ...and holds it
    assert tokens_used_today(user=enrolled_student) == 800


def test_teachers_have_no_token_cap(teacher, course, settings):
    settings.AI_DAILY_TOKENS_PER_USER = 1
    for _ in range(3):
        tokens_reserve(user=teacher, course_id=course.pk)
    assert tokens_used_today(user=teacher) == 0


def test_the_cap_holds_on_the_ask_api_and_gives_the_question_back(
    tutor_course, enrolled_student, scripted, settings
):
    settings.AI_DAILY_TOKENS_PER_USER = 50
    client = api_client_for(enrolled_student)
    url = reverse("api-ask", args=[tutor_course.slug])
    first = client.post(url, {"question": QUESTION}, format="json")
    assert first.status_code == 200
    usage = first.json()["usage"]
    # Settled: what is counted is the engine's count, not the reservation.
    assert tokens_used_today(user=enrolled_student) == (
        usage["prompt_tokens"] + usage["completion_tokens"]
    )
    left = budget_state(user=enrolled_student).available
    second = client.post(url, {"question": QUESTION}, format="json")
    assert second.status_code == 429
    assert "used today's AI allowance" in second.json()["detail"]
    assert budget_state(user=enrolled_student).available == left
    assert len(scripted.calls) == 1 and UsageRecord.objects.count() == 1


def test_an_admin_sets_a_cap_for_one_course_and_one_student(
    tutor_course, enrolled_student, scripted, teacher, settings
):
    AIPolicy.objects.create(course=tutor_course, mode="full", daily_tokens=1)
    client = api_client_for(enrolled_student)
    url = reverse("api-ask", args=[tutor_course.slug])
    assert client.post(url, {"question": QUESTION}, format="json").status_code == 200
    refused = client.post(url, {"question": QUESTION}, format="json")
    assert refused.status_code == 429 and "This course has used" in refused.json()["detail"]
    AIPolicy.objects.update(daily_tokens=None)
    QuestionBudget.objects.filter(user=enrolled_student).update(daily_tokens=1)
    # A cap counts from when it is in force: this request is the student's first under it.
    assert client.post(url, {"question": QUESTION}, format="json").status_code == 200
    refused = client.post(url, {"question": QUESTION}, format="json")
    assert refused.status_code == 429 and "You have used" in refused.json()["detail"]
