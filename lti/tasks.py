"""Celery entry points for LTI: grade passback and roster sync. The work is in grades.py and
roster.py; a task only loads ids and decides whether to retry."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(bind=True, acks_late=True, max_retries=5)
def grade_send(self: Any, sync_id: int) -> str:
    from lti.grades import grade_send as send

    try:
        return send(sync_id=sync_id)
    except Exception as error:
        # The LMS is down or refused: back off 10 s, 20 s, 40 s ... and keep the row "failed"
        # (visible to the teacher, who can resend) once the retries are spent.
        raise self.retry(exc=error, countdown=10 * 2**self.request.retries) from error


@shared_task(acks_late=True)
def roster_sync(context_id: int) -> dict[str, int]:
    from lti.models import CourseContext
    from lti.roster import roster_sync as sync

    context = CourseContext.objects.get(pk=context_id)
    return sync(context=context)


@shared_task
def roster_sync_all() -> int:
    """Nightly (Celery beat): every LMS course with a roster service."""
    from lti.models import CourseContext

    ids = list(CourseContext.objects.exclude(memberships_url="").values_list("pk", flat=True))
    for pk in ids:
        roster_sync.delay(pk)
    return len(ids)
