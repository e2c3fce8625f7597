"""`tutor.services.turn_start`: retrieval runs before the records are written, and a set-up
that fails leaves nothing behind (the question given back, the student free to ask again)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from assist.budget import budget_state, busy_take
from inference.model_files import ModelUnavailable
from tutor import services
from tutor.models import Conversation, Message

pytestmark = pytest.mark.django_db

QUESTION = "How do several attention heads work together?"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


def test_a_failing_retrieval_gives_the_question_back_and_stores_nothing(
    tutor_course, enrolled_student, monkeypatch
):
    def broken(**kwargs):
        raise ModelUnavailable("Cannot load the embedding model at /nowhere")

    monkeypatch.setattr(services, "relevant_chunks", broken)
    before = budget_state(user=enrolled_student).available
    with pytest.raises(ModelUnavailable):
        services.turn_start(user=enrolled_student, course=tutor_course, text=QUESTION)
    assert budget_state(user=enrolled_student).available == before
    assert busy_take(user=enrolled_student), "the student's slot must be free again"
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_a_failing_follow_up_leaves_the_conversation_as_it_was(
    tutor_course, enrolled_student, scripted, monkeypatch
):
    first = services.turn_complete(
        services.turn_start(user=enrolled_student, course=tutor_course, text=QUESTION)
    )
    conversation = first.conversation

    def broken(**kwargs):
        raise ModelUnavailable("Cannot load the embedding model at /nowhere")

    monkeypatch.setattr(services, "relevant_chunks", broken)
    with pytest.raises(ModelUnavailable):
        services.turn_start(
            user=enrolled_student,
            course=tutor_course,
            text="And why is that useful?",
            conversation_id=conversation.pk,
        )
    assert list(conversation.messages.values_list("kind", flat=True)) == [
        Message.Kind.QUESTION,
        Message.Kind.ANSWER,
    ]
    assert busy_take(user=enrolled_student)
