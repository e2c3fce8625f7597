"""Writes for mastery: BKT replayed over a student's evidence, the first review scheduled when a
concept is mastered, and the class-wide fit of each concept's BKT parameters."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone

from courses.models import Course
from learning import bkt, scheduling
from learning.models import Concept, Mastery, Observation, ReviewCard


def student_lock(*, student_id: int) -> None:
    """Serialise one student's answers, graded submissions and refits on their user row.

    Without it two answers sent at the same moment would both pass the repeat check and both
    count, and a practice answer racing a graded submission could each replay BKT without the
    other's evidence. The lock lasts until the caller's transaction ends; taking it again in
    the same transaction is free.
    """
    list(get_user_model().objects.select_for_update().filter(pk=student_id).values_list("pk"))


def mastery_recompute(*, student_id: int, concept: Concept) -> Mastery:
    """Run BKT over the student's evidence for the concept, in time order, and store the trace.

    Recomputing from the evidence (rather than updating a running value) keeps mastery right
    when a regrade or a teacher's review changes an old attempt, or the parameters are refitted.
    """
    student_lock(student_id=student_id)
    observations = list(
        Observation.objects.filter(student_id=student_id, concept=concept).order_by("at", "id")
    )
    values = bkt.trace((o.correct for o in observations), concept.params)
    changed = []
    for observation, value in zip(observations, values, strict=True):
        if not math.isclose(observation.mastery_after, value, abs_tol=1e-12):
            observation.mastery_after = value
            changed.append(observation)
    Observation.objects.bulk_update(changed, ["mastery_after"])
    threshold = settings.LEARNING_MASTERY_THRESHOLD
    mastered_at = next((o.at for o in observations if o.mastery_after >= threshold), None)
    mastery, _ = Mastery.objects.update_or_create(
        student_id=student_id,
        concept=concept,
        defaults={
            "p_known": values[-1] if values else concept.params.prior,
            "attempts": len(observations),
            "correct": sum(o.correct for o in observations),
            "last_attempt_at": observations[-1].at if observations else None,
            "mastered_at": mastered_at,
        },
    )
    if (
        mastered_at
        and not ReviewCard.objects.filter(student_id=student_id, concept=concept).exists()
    ):
        # Mastery is the first successful "review": FSRS schedules the next one from here.
        card = scheduling.card_review(None, correct=True, at=mastered_at)
        ReviewCard.objects.create(
            student_id=student_id,
            concept=concept,
            card=card,
            due=scheduling.card_due(card),
            reviews=1,
            last_review_at=mastered_at,
        )
    return mastery


@dataclass
class FitResult:
    concept: Concept
    answers: int
    students: int
    params: bkt.Params | None  # None: not enough data, the defaults stay in force
    recomputed: int = 0
    notes: list[str] = field(default_factory=list)


def concept_params_fit(*, course: Course) -> list[FitResult]:
    """Fit each concept's BKT parameters with EM where the class has enough answers, then
    recompute every student's mastery of the refitted concepts."""
    results = []
    for concept in Concept.objects.filter(course=course):
        sequences: dict[int, list[bool]] = defaultdict(list)
        newest = 0
        for observation_id, student_id, correct in (
            Observation.objects.filter(concept=concept)
            .order_by("at", "id")
            .values_list("id", "student_id", "correct")
        ):
            sequences[student_id].append(correct)
            newest = max(newest, observation_id)
        answers = sum(len(s) for s in sequences.values())
        result = FitResult(concept, answers, len(sequences), None)
        if (
            answers >= settings.LEARNING_FIT_MIN_ANSWERS
            and len(sequences) >= settings.LEARNING_FIT_MIN_STUDENTS
        ):
            start = bkt.Params(concept.prior, concept.learn, concept.guess, concept.slip)
            result.params = bkt.fit(list(sequences.values()), start=start)
            concept.fitted = {
                **result.params.as_dict(),
                "answers": answers,
                "students": len(sequences),
                "fitted_at": timezone.now().isoformat(),
                "through_observation": newest,
            }
            concept.save(update_fields=["fitted"])
            # One transaction per student: each holds only that student's lock, briefly, so
            # students answering while a class is refitted wait milliseconds, not the whole fit.
            for student_id in sequences:
                with transaction.atomic():
                    mastery_recompute(student_id=student_id, concept=concept)
            result.recomputed = len(sequences)
        results.append(result)
    return results


def courses_due_for_refit() -> list[Course]:
    """Courses with a concept that has enough data to fit and answers its last fit did not see.

    The nightly task refits only these, so a quiet course costs one aggregate query.
    """
    enough = (
        Observation.objects.values("concept_id")
        .annotate(
            answers=Count("id"), students=Count("student_id", distinct=True), newest=Max("id")
        )
        .filter(
            answers__gte=settings.LEARNING_FIT_MIN_ANSWERS,
            students__gte=settings.LEARNING_FIT_MIN_STUDENTS,
        )
    )
    newest = {row["concept_id"]: row["newest"] for row in enough}
    course_ids = {
        course_id
        for concept_id, course_id, fitted in Concept.objects.filter(pk__in=newest).values_list(
            "pk", "course_id", "fitted"
        )
        if newest[concept_id] > ((fitted or {}).get("through_observation") or 0)
    }
    return list(Course.objects.filter(pk__in=course_ids).order_by("pk"))
