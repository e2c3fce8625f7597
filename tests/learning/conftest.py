"""A small concept graph on the shared `course` fixture, with approved practice questions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from accounts.models import User
from courses.models import Course
from learning.models import Concept, PracticeQuestion, QuestionKind, QuestionStatus
from learning.services import concepts as concept_services
from learning.services import practice

# dot-products → attention → multi-head, and values → attention
GRAPH = {
    "format": concept_services.EXPORT_FORMAT,
    "concepts": [
        {
            "slug": "dot-products",
            "name": "Dot products",
            "lessons": ["queries"],
            "questions": [
                {
                    "kind": "choice",
                    "prompt": "What is the dot product of (1, 2) and (3, 4)?",
                    "choices": ["10", "11", "14"],
                    "answer": 1,
                    "explanation": "1*3 + 2*4 = 11.",
                },
                {
                    "kind": "short",
                    "prompt": "Dot product of (2, 0) and (5, 7)?",
                    "answers": ["10"],
                    "explanation": "2*5 + 0*7 = 10.",
                },
            ],
        },
        {"slug": "values", "name": "Values", "lessons": ["values"]},
        {
            "slug": "attention",
            "name": "Attention",
            "prerequisites": ["dot-products", "values"],
            "lessons": ["queries"],
        },
        {
            "slug": "multi-head",
            "name": "Multi-head attention",
            "prerequisites": ["attention"],
            "lessons": ["multi-head"],
        },
    ],
}


@pytest.fixture
def concepts(course: Course) -> dict[str, Concept]:
    concept_services.concepts_import(course=course, data=GRAPH)
    return {c.slug: c for c in Concept.objects.filter(course=course)}


@pytest.fixture
def choice_question(concepts: dict[str, Concept]) -> PracticeQuestion:
    return PracticeQuestion.objects.get(concept=concepts["dot-products"], kind=QuestionKind.CHOICE)


@pytest.fixture
def short_question(concepts: dict[str, Concept]) -> PracticeQuestion:
    return PracticeQuestion.objects.get(concept=concepts["dot-products"], kind=QuestionKind.SHORT)


@pytest.fixture
def answer(choice_question: PracticeQuestion) -> Callable[..., practice.PracticeResult]:
    """Answer a question right or wrong at a given time (default: the choice question)."""

    def _answer(
        student: User,
        right: bool,
        at: datetime | None = None,
        question: PracticeQuestion | None = None,
    ) -> practice.PracticeResult:
        question = question or choice_question
        if question.kind == QuestionKind.CHOICE:
            assert question.answer_index is not None
            response = str(question.answer_index if right else (question.answer_index + 1) % 3)
        else:
            response = question.accepted_answers[0] if right else "nope"
        return practice.practice_answer_submit(
            question=question, student=student, response=response, at=at
        )

    return _answer


def add_question(concept: Concept, *, status: str = QuestionStatus.APPROVED) -> PracticeQuestion:
    return PracticeQuestion.objects.create(
        concept=concept,
        kind=QuestionKind.SHORT,
        prompt=f"Name the concept {concept.slug}.",
        accepted_answers=[concept.slug],
        status=status,
    )
