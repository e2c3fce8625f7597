"""Drafting a practice question with the real packaged model (SmolLM2-135M-Instruct), from a
lesson of the demo Python course: the reply must come back in the layout and become a draft
that a teacher can complete, never a question students see."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings

from courses import services as courses
from inference import backends
from learning import drafting
from learning.models import Concept, PracticeQuestion, QuestionKind, QuestionStatus

pytestmark = pytest.mark.django_db

LESSON = Path(django_settings.BASE_DIR) / "courses/demo_content/python-basics"
LESSON = LESSON / "02-values-variables-and-types.md"


@pytest.fixture(autouse=True)
def _real_model(settings):
    settings.LLM_BACKEND = "local"
    settings.LEARNING_DRAFT_MAX_TOKENS = 120  # the layout is short; a ramble is cut, as in use
    backends.reset_backend()
    yield
    backends.reset_backend()


@pytest.mark.parametrize("kind", [QuestionKind.SHORT, QuestionKind.CHOICE])
def test_the_real_model_drafts_a_question_in_the_layout(teacher, kind) -> None:
    course = courses.course_create(author=teacher, title="Python", slug="python", summary="")
    module = courses.module_create(course=course, title="Values")
    lesson = courses.lesson_create(
        module=module, title="Values, variables and types", slug="values", body=LESSON.read_text()
    )
    concept = Concept.objects.create(course=course, slug="types", name="The basic types")
    question = PracticeQuestion.objects.create(
        concept=concept,
        kind=kind,
        prompt="",
        status=QuestionStatus.DRAFTING,
        drafted_by_model=True,
        source_lesson=lesson,
        created_by=teacher,
    )

    assert drafting.question_draft_write(question_id=question.pk) == QuestionStatus.DRAFT

    question.refresh_from_db()
    assert question.status == QuestionStatus.DRAFT  # never approved without a teacher
    assert question.prompt.strip() and "QUESTION" not in question.prompt
    if kind == QuestionKind.SHORT:
        assert question.accepted_answers and question.accepted_answers[0].strip()
    else:
        right = question.choices[question.answer_index]
        assert right.strip()
        # Either the model wrote wrong options, or the teacher is told to add them.
        assert len(question.choices) >= 2 or "no wrong options" in question.problem
