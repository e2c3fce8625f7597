"""Reads for a teacher's class view: the mastery heatmap, stuck students and the hardest
concepts, in a fixed number of queries whatever the size of the class (bench/paths.py)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from courses.models import Course, Enrollment
from learning.models import Concept, Mastery, Observation


@dataclass
class HeatmapRow:
    student: Any
    cells: list[float | None]  # mastery per concept, None = no attempt yet
    mastered: int


@dataclass
class StuckStudent:
    student: Any
    concept: Concept
    attempts: int
    p_known: float
    rise: float
    last_attempt_at: datetime


@dataclass
class ConceptDifficulty:
    concept: Concept
    students: int  # students who attempted it
    attempts: int
    error_rate: float
    mean_mastery: float
    mastered: int


@dataclass
class ClassView:
    course: Course
    concepts: list[Concept]
    rows: list[HeatmapRow]
    stuck: list[StuckStudent]
    hardest: list[ConceptDifficulty]
    threshold: float


def class_view(*, course: Course) -> ClassView:
    threshold = settings.LEARNING_MASTERY_THRESHOLD
    concepts = list(Concept.objects.filter(course=course).order_by("position", "id"))
    column = {c.pk: index for index, c in enumerate(concepts)}
    by_id = {c.pk: c for c in concepts}
    students = [
        e.user
        for e in Enrollment.objects.filter(course=course)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    ]
    cells: dict[int, list[float | None]] = {s.pk: [None] * len(concepts) for s in students}
    for student_id, concept_id, p_known in Mastery.objects.filter(
        concept__course=course, attempts__gt=0
    ).values_list("student_id", "concept_id", "p_known"):
        if student_id in cells:
            cells[student_id][column[concept_id]] = p_known
    rows = [
        HeatmapRow(s, cells[s.pk], sum(1 for v in cells[s.pk] if v is not None and v >= threshold))
        for s in students
    ]
    # One pass over the course's evidence, in time order, for "stuck" and "hardest".
    trails: dict[tuple[int, int], list[tuple[float, datetime]]] = defaultdict(list)
    attempts: dict[int, int] = defaultdict(int)
    wrong: dict[int, int] = defaultdict(int)
    for student_id, concept_id, correct, after, at in (
        Observation.objects.filter(concept__course=course)
        .order_by("at", "id")
        .values_list("student_id", "concept_id", "correct", "mastery_after", "at")
    ):
        trails[(student_id, concept_id)].append((after, at))
        attempts[concept_id] += 1
        wrong[concept_id] += not correct
    window = settings.LEARNING_STUCK_ATTEMPTS
    student_by_id = {s.pk: s for s in students}
    stuck = []
    for (student_id, concept_id), trail in trails.items():
        if student_id not in student_by_id or len(trail) < window or trail[-1][0] >= threshold:
            continue
        # Mastery after the attempt just before the window (or the prior) to after the last one.
        start = trail[-window - 1][0] if len(trail) > window else by_id[concept_id].params.prior
        rise = trail[-1][0] - start
        if rise < settings.LEARNING_STUCK_RISE:
            stuck.append(
                StuckStudent(
                    student_by_id[student_id],
                    by_id[concept_id],
                    len(trail),
                    trail[-1][0],
                    rise,
                    trail[-1][1],
                )
            )
    stuck.sort(key=lambda s: (-s.attempts, s.p_known))
    hardest = []
    for concept in concepts:
        values = [row.cells[column[concept.pk]] for row in rows]
        tried = [v for v in values if v is not None]
        if not attempts[concept.pk]:
            continue
        hardest.append(
            ConceptDifficulty(
                concept,
                len(tried),
                attempts[concept.pk],
                wrong[concept.pk] / attempts[concept.pk],
                sum(tried) / len(tried) if tried else 0.0,
                sum(v >= threshold for v in tried),
            )
        )
    # Rank by a smoothed error rate, (wrong + 1) / (answers + 2), so that one wrong answer out
    # of one does not outrank a concept half the class keeps missing.
    hardest.sort(
        key=lambda d: (-(d.error_rate * d.attempts + 1) / (d.attempts + 2), d.mean_mastery)
    )
    return ClassView(course, concepts, rows, stuck, hardest[:10], threshold)
