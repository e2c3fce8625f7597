"""Writes for the evidence graded assignments give: grading publishes `submission_scored`
(see learning/receivers.py), and a scored submission becomes one observation per concept."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction

from learning.models import Concept, Observation, Source
from learning.services.mastery import mastery_recompute


def submission_outcomes(*, submission: Any) -> dict[str, bool]:
    """Concept slug → right or wrong, for one scored submission.

    A code submission's tests count for the concepts they are tagged with (a test without tags
    for all the assignment's concepts), and a concept is right when all its tests passed. A
    text answer, or any answer whose score a teacher overrode, is right for all its concepts
    from LEARNING_TEXT_PASS_RATIO of the points.
    """
    from grading.models import Review, Status

    assignment = submission.assignment
    if submission.status != Status.GRADED or submission.score is None or not assignment.concepts:
        return {}
    if not assignment.is_code or submission.review == Review.OVERRIDDEN:
        ratio = float(submission.score / assignment.max_score) if assignment.max_score else 0.0
        return dict.fromkeys(assignment.concepts, ratio >= settings.LEARNING_TEXT_PASS_RATIO)
    if not submission.tests:
        # No test ran (a syntax error, a limit): nothing was shown to work.
        return dict.fromkeys(assignment.concepts, False)
    results: dict[str, list[bool]] = defaultdict(list)
    graded = [test for test in submission.tests if test["outcome"] != "skipped"]  # by design
    for test in graded:
        for slug in assignment.test_concepts.get(test["name"]) or assignment.concepts:
            results[slug].append(test["outcome"] == "passed")
    everything = all(test["outcome"] == "passed" for test in graded)
    return {
        slug: all(results[slug]) if results[slug] else everything for slug in assignment.concepts
    }


@transaction.atomic
def submission_record(*, submission: Any) -> int:
    """Store (or, after a regrade or review, replace) a submission's evidence; returns how many
    concepts it touched. Concepts the course's graph does not define are ignored."""
    outcomes = submission_outcomes(submission=submission)
    concepts = Concept.objects.filter(course_id=submission.assignment.course_id, slug__in=outcomes)
    for concept in concepts:
        Observation.objects.update_or_create(
            submission=submission,
            concept=concept,
            defaults={
                "student_id": submission.student_id,
                "correct": outcomes[concept.slug],
                "at": submission.created_at,
                "source": Source.ASSIGNMENT,
            },
        )
        mastery_recompute(student_id=submission.student_id, concept=concept)
    return len(concepts)
