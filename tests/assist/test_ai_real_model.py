"""The usage log on the real packaged model: its totals are the engine's own token counts."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django.urls import reverse

from assist.models import UsageRecord
from inference import backends
from inference.backends import LocalBackend
from inference.engine import StreamStats
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

QUESTION = "How do several attention heads work together?"


class EngineCounts:
    """Wraps the real backend and adds up the StreamStats its engine reports."""

    def __init__(self, real: LocalBackend) -> None:
        self.real = real
        self.prompt = self.completion = 0

    async def stream(self, messages, **options):
        async for piece in self.real.stream(messages, **options):
            if isinstance(piece, StreamStats):
                self.prompt += piece.prompt_tokens
                self.completion += piece.completion_tokens
            yield piece


@pytest.fixture
def counted(settings):
    settings.LLM_BACKEND = "local"
    settings.TUTOR_MAX_TOKENS = 24
    settings.RAG_MAX_TOKENS = 24
    backends.reset_backend()
    spy = EngineCounts(LocalBackend())
    backends._backend = spy  # type: ignore[assignment]
    yield spy
    backends.reset_backend()


def test_the_logs_token_totals_match_the_engines_counts(
    client, tutor_course, enrolled_student, counted
):
    client.force_login(enrolled_student)
    client.post(reverse("tutor:ask", args=[tutor_course.slug]), {"question": QUESTION})
    client.post(
        reverse("tutor:ask", args=[tutor_course.slug]), {"question": QUESTION, "mode": "hint"}
    )
    api_client_for(enrolled_student).post(
        reverse("api-ask", args=[tutor_course.slug]), {"question": QUESTION}, format="json"
    )
    logged = UsageRecord.objects.filter(course=tutor_course).aggregate(
        p=Sum("prompt_tokens"), c=Sum("completion_tokens")
    )
    assert UsageRecord.objects.count() == 3
    assert counted.prompt > 0 and counted.completion > 0
    assert (logged["p"], logged["c"]) == (counted.prompt, counted.completion)
