"""Hooks that higher apps plug into, so that assist never imports them.

Answer ratings. Students rate the tutor's answers helpful or not; the ratings live with the
conversations in the tutor app, above assist in the layers. The course's AI usage page shows them
beside the usage log, so the tutor registers a source in TutorConfig.ready(). With none
registered the page shows no ratings.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

# Called as source(course_id=...): {"helpful": n, "not_helpful": m} for the course's answers.
RatingSource = Callable[..., Mapping[str, int]]

_rating_sources: dict[str, RatingSource] = {}


def rating_source_register(*, uid: str, source: RatingSource) -> None:
    """Add (or, with the same uid, replace) a source of ratings; idempotent, as ready() may
    run more than once."""
    _rating_sources[uid] = source


def course_ratings(*, course_id: int) -> dict[str, int]:
    """Helpful and not-helpful ratings of the course's AI answers, over every source."""
    totals = {"helpful": 0, "not_helpful": 0}
    for source in _rating_sources.values():
        for key, count in source(course_id=course_id).items():
            totals[key] = totals.get(key, 0) + count
    return totals
