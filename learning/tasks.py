"""Celery tasks for learning paths; the work itself lives in drafting.py and services/mastery.py."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def practice_question_draft(question_id: int, language: str = "") -> str:
    from learning.drafting import question_draft_write

    return question_draft_write(question_id=question_id, language=language)


@shared_task
def concept_params_fit(course_id: int) -> dict[str, object]:
    from courses.models import Course
    from learning.services.mastery import concept_params_fit as fit

    course = Course.objects.get(pk=course_id)
    results = fit(course=course)
    return {
        "fitted": [r.concept.slug for r in results if r.params],
        "kept_defaults": [r.concept.slug for r in results if not r.params],
    }


@shared_task
def concept_params_refit_due() -> dict[str, list[str]]:
    """Nightly (Celery beat): refit the courses with new answers.

    Returns course slug → the concepts refitted."""
    from learning.services.mastery import concept_params_fit as fit
    from learning.services.mastery import courses_due_for_refit

    return {
        course.slug: [r.concept.slug for r in fit(course=course) if r.params]
        for course in courses_due_for_refit()
    }
