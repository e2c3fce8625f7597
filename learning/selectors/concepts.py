"""Reads of the concept graph that other apps need without importing learning's models."""

from __future__ import annotations

from courses.models import Course
from learning.models import Concept


def concept_slugs(*, course: Course) -> set[str]:
    """The slugs of the course's concepts (empty when the course has no graph); grading asks
    for them through its concept-catalogue hook to check an assignment's concept tags."""
    return set(Concept.objects.filter(course=course).values_list("slug", flat=True))
