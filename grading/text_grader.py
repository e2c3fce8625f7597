"""Grading a free-text answer against a reference answer and a rubric.

Two independent signals per criterion, so a small model's mistakes show up as low confidence
instead of as a wrong grade:
- the model's points for the criterion (one short completion each), and
- an embedding estimate: how close the answer's best-matching sentence is to the criterion and
  the reference. That sentence is also the quoted evidence, so evidence is always a real quote.
Where the two disagree, or the model's reply is not a number, confidence drops and the submission
goes to the teacher's review queue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from asgiref.sync import async_to_sync
from django.conf import settings

from assist.prompts.grading import criterion_messages
from inference.llm import chat_complete, embed_texts

# Cosine similarities (all-MiniLM-L6-v2) mapped to 0..1 credit: below LOW nothing, above HIGH all.
SIMILARITY_LOW = 0.25
SIMILARITY_HIGH = 0.70
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class CriterionScore:
    criterion: str
    points: float
    score: float
    evidence: str
    model_score: float | None
    estimate: float

    def as_dict(self) -> dict[str, object]:
        return {
            "criterion": self.criterion,
            "points": self.points,
            "score": self.score,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class TextGrade:
    criteria: list[CriterionScore]
    similarity: float
    confidence: float
    fraction: float  # of the rubric's points
    # What the model calls cost, for the AI usage log (0 without the model).
    prompt_tokens: int = 0
    completion_tokens: int = 0


def _credit(similarity: float) -> float:
    return float(np.clip((similarity - SIMILARITY_LOW) / (SIMILARITY_HIGH - SIMILARITY_LOW), 0, 1))


def _sentences(answer: str) -> list[str]:
    parts = [part.strip() for part in _SENTENCES.split(answer) if part.strip()]
    return parts or [answer.strip()]


def _model_points(reply: str, points: float) -> float | None:
    match = _NUMBER.search(reply)
    if match is None:
        return None
    value = float(match.group(0))
    return value if 0 <= value <= points else None


def _round_half(value: float) -> float:
    return round(value * 2) / 2


def text_answer_grade(
    *,
    question: str,
    answer: str,
    reference: str,
    rubric: list[dict[str, object]],
    use_model: bool = True,
) -> TextGrade:
    """Points per criterion. Without the model (`use_model=False`: assist's policy said no),
    the embedding estimate stands alone at low confidence, so the teacher reviews the grade."""
    sentences = _sentences(answer)
    criteria_texts = [str(item["criterion"]) for item in rubric]
    vectors = embed_texts([answer, reference, *criteria_texts, *sentences])
    answer_vec, reference_vec = vectors[0], vectors[1]
    criteria_vecs = vectors[2 : 2 + len(criteria_texts)]
    sentence_vecs = vectors[2 + len(criteria_texts) :]
    similarity = float(answer_vec @ reference_vec)

    scores: list[CriterionScore] = []
    agreements: list[float] = []
    prompt_tokens = completion_tokens = 0
    for text, vec, item in zip(criteria_texts, criteria_vecs, rubric, strict=True):
        points = float(item["points"])  # type: ignore[arg-type]
        by_sentence = sentence_vecs @ vec
        best = int(np.argmax(by_sentence))
        # The criterion names what must be said; the reference shows how it is said well.
        estimate = points * _credit(max(float(by_sentence[best]), similarity))
        model = None
        if use_model:
            reply = async_to_sync(chat_complete)(
                criterion_messages(
                    question=question,
                    reference=reference,
                    criterion=text,
                    points=points,
                    answer=answer,
                ),
                max_tokens=8,
            )
            model = _model_points(reply.text, points)
            prompt_tokens += reply.stats.prompt_tokens
            completion_tokens += reply.stats.completion_tokens
        if model is None:
            score, agreement = estimate, 0.3
        else:
            score = (model + estimate) / 2
            agreement = 1 - abs(model - estimate) / points if points else 1.0
        scores.append(
            CriterionScore(
                criterion=text,
                points=points,
                score=_round_half(min(score, points)),
                evidence=sentences[best][:300],
                model_score=model,
                estimate=round(estimate, 2),
            )
        )
        agreements.append(agreement)

    total = sum(score.points for score in scores) or 1.0
    fraction = sum(score.score for score in scores) / total
    confidence = float(np.mean(agreements)) if agreements else 0.0
    return TextGrade(
        criteria=scores,
        similarity=round(similarity, 3),
        confidence=round(confidence, 3),
        fraction=fraction,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
    )


def needs_review(grade: TextGrade) -> bool:
    return grade.confidence < settings.GRADING_REVIEW_CONFIDENCE
