"""Writes for practice: the questions teachers write, import or approve, and a student's
answers, graded at once; a counted answer is evidence for mastery and a review."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.errors import DomainError
from learning import scheduling
from learning.models import (
    Concept,
    Mastery,
    Observation,
    PracticeAnswer,
    PracticeQuestion,
    QuestionKind,
    QuestionStatus,
    ReviewCard,
    Source,
)
from learning.services.mastery import mastery_recompute, student_lock

# Quotes and end punctuation around a short answer do not make it wrong. NFKC (below) turns
# full-width punctuation and digits into ASCII but leaves the Chinese full stop 。 and the
# corner quotes 「」 alone.
_SURROUNDING = ".!\"'`\u201c\u201d\u2018\u2019\u3002\u300c\u300d"


def question_file_fields(*, data: Any) -> dict[str, Any] | None:
    """A question of the concept file as the model's fields; None when it is not an object."""
    if not isinstance(data, dict):
        return None
    kind = data.get("kind")
    answer = data.get("answer")
    return {
        "kind": kind,
        "prompt": str(data.get("prompt", "")).strip(),
        "choices": data.get("choices", []) if kind == QuestionKind.CHOICE else [],
        "answer_index": answer if kind == QuestionKind.CHOICE else None,
        "accepted_answers": data.get("answers", []) if kind == QuestionKind.SHORT else [],
        "explanation": str(data.get("explanation", "")).strip(),
    }


def question_problems(
    *,
    kind: Any,
    prompt: str,
    choices: Any = (),
    answer_index: Any = None,
    accepted_answers: Any = (),
    explanation: str = "",
) -> dict[str, str]:
    """What is wrong with a practice question, by field (forms, import, API and drafts share it)."""
    problems: dict[str, str] = {}
    if kind not in QuestionKind.values:
        return {"kind": _("The kind must be “choice” or “short”.")}
    if not prompt.strip():
        problems["prompt"] = _("The question needs a prompt.")
    elif len(prompt) > 5000:
        problems["prompt"] = _("The prompt is longer than 5,000 characters.")
    if kind == QuestionKind.CHOICE:
        if (
            not isinstance(choices, list)
            or not 2 <= len(choices) <= 6
            or not all(isinstance(c, str) and c.strip() for c in choices)
        ):
            problems["choices"] = _("A multiple-choice question needs 2 to 6 non-empty choices.")
        elif len({c.strip() for c in choices}) != len(choices):
            problems["choices"] = _("Two choices are the same.")
        elif (
            isinstance(answer_index, bool)
            or not isinstance(answer_index, int)
            or not 0 <= answer_index < len(choices)
        ):
            problems["answer_index"] = _("Say which choice is right.")
    elif (
        not isinstance(accepted_answers, list)
        or not accepted_answers
        or not all(isinstance(a, str) and a.strip() for a in accepted_answers)
    ):
        problems["accepted_answers"] = _("A short-answer question needs at least one right answer.")
    return problems


def question_create(*, concept: Concept, by: Any, **fields: Any) -> PracticeQuestion:
    """A question a teacher wrote: open for practice at once."""
    return PracticeQuestion.objects.create(
        concept=concept,
        created_by=by,
        status=QuestionStatus.APPROVED,
        approved_at=timezone.now(),
        **fields,
    )


def question_update(
    *, question: PracticeQuestion, approve: bool, **fields: Any
) -> PracticeQuestion:
    """A teacher's edit; approving opens a draft for practice. A failed draft that a teacher
    completes by hand becomes a draft."""
    for name, value in fields.items():
        setattr(question, name, value)
    if approve:
        question.status, question.approved_at = QuestionStatus.APPROVED, timezone.now()
    elif question.status == QuestionStatus.FAILED:
        question.status = QuestionStatus.DRAFT
    question.problem = ""
    question.save()
    return question


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"\s+", " ", text).strip().strip(_SURROUNDING).strip()


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "")) if text else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def answer_is_correct(*, question: PracticeQuestion, response: str) -> bool:
    if question.kind == QuestionKind.CHOICE:
        return response.strip() == str(question.answer_index)
    given = _normalise(response)
    for accepted in question.accepted_answers:
        expected = _normalise(accepted)
        if given == expected:
            return True
        a, b = _number(given), _number(expected)
        if a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9):
            return True
    return False


class PracticeRefused(DomainError):
    pass


@dataclass
class PracticeResult:
    answer: PracticeAnswer
    correct: bool
    counted: bool
    mastery_before: float
    mastery_after: float
    review_due: datetime | None
    newly_mastered: bool = False


def practice_evidence(*, answer: PracticeAnswer) -> Observation:
    """The evidence (unsaved) that a counted practice answer gives about its concept."""
    return Observation(
        student=answer.student,
        concept=answer.question.concept,
        correct=answer.correct,
        at=answer.created_at,
        source=Source.PRACTICE,
        practice_answer=answer,
    )


@transaction.atomic
def practice_answer_submit(
    *, question: PracticeQuestion, student: Any, response: str, at: datetime | None = None
) -> PracticeResult:
    """Grade one answer at once; if it counts, it is evidence for BKT and an FSRS review."""
    if question.status != QuestionStatus.APPROVED:
        raise PracticeRefused(_("This question is not open for practice."))
    response = response.strip()
    if not response:
        raise PracticeRefused(_("Choose or type an answer first."))
    if len(response) > 2000:
        raise PracticeRefused(_("The answer is longer than 2,000 characters."))
    if question.kind == QuestionKind.CHOICE and response not in {
        str(i) for i in range(len(question.choices))
    }:
        raise PracticeRefused(_("Choose one of the options."))
    at = at or timezone.now()
    concept = question.concept
    correct = answer_is_correct(question=question, response=response)
    student_lock(student_id=student.pk)
    cooldown = timedelta(minutes=settings.LEARNING_REPEAT_COOLDOWN_MINUTES)
    counted = not PracticeAnswer.objects.filter(
        question=question, student=student, counted=True, created_at__gt=at - cooldown
    ).exists()
    answer = PracticeAnswer.objects.create(
        question=question,
        student=student,
        response=response,
        correct=correct,
        counted=counted,
        created_at=at,
    )
    before = Mastery.objects.filter(student=student, concept=concept).first()
    p_before = before.p_known if before else concept.params.prior
    card_before = ReviewCard.objects.filter(student=student, concept=concept).first()
    if not counted:
        return PracticeResult(
            answer, correct, False, p_before, p_before, card_before.due if card_before else None
        )
    practice_evidence(answer=answer).save()
    mastery = mastery_recompute(student_id=student.pk, concept=concept)
    card = ReviewCard.objects.filter(student=student, concept=concept).first()
    if card_before is not None and card is not None:
        card.card = scheduling.card_review(card.card, correct=correct, at=at)
        card.due = scheduling.card_due(card.card)
        card.reviews += 1
        card.last_review_at = at
        card.save(update_fields=["card", "due", "reviews", "last_review_at"])
    return PracticeResult(
        answer,
        correct,
        True,
        p_before,
        mastery.p_known,
        card.due if card else None,
        newly_mastered=card_before is None and card is not None,
    )
