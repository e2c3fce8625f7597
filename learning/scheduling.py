"""Review scheduling for mastered concepts with FSRS (the `fsrs` package, FSRS-6).

A concept is one card per student. The card is created with a "Good" review at the moment the
concept is first mastered; every practice answer on the concept afterwards is a review (right =
Good, wrong = Again). Concepts are reviewed in days, not minutes, so there are no intra-day
learning steps, and no fuzz so that due dates are reproducible.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, cast

from fsrs import Card, Rating, Scheduler
from fsrs.card import CardDict


@cache
def scheduler() -> Scheduler:
    return Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


def card_review(card: dict[str, Any] | None, *, correct: bool, at: datetime) -> dict[str, Any]:
    """The card after one review at `at` (a new card when `card` is None), as a dict to store."""
    current = Card.from_dict(cast(CardDict, card)) if card else Card(due=at)
    updated, _ = scheduler().review_card(current, Rating.Good if correct else Rating.Again, at)
    return dict(updated.to_dict())


def card_due(card: dict[str, Any]) -> datetime:
    return Card.from_dict(cast(CardDict, card)).due
