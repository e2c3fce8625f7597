"""Celery entry points for grading. Each loads ids, calls grading.grader and returns a status.

Acknowledged late and rejected (re-queued) when the worker process dies, so a crash mid-run
re-delivers the submission once; grader._claim turns a third delivery into "internal error".
"""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, reject_on_worker_lost=True)
def submission_grade(submission_id: int) -> str:
    from grading.grader import submission_grade as grade

    return grade(submission_id=submission_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def submission_feedback(submission_id: int) -> str:
    from grading.grader import submission_feedback_write

    return submission_feedback_write(submission_id=submission_id)


@shared_task(acks_late=True, reject_on_worker_lost=True)
def wrong_claims_draft(assignment_id: int) -> int:
    from grading.services import wrong_claims_write

    return wrong_claims_write(assignment_id=assignment_id)
