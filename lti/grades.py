"""Grade passback (LTI Assignment and Grade Services).

Every score change of a submission (graded, regraded, reviewed) bumps the student's GradeSync
row for each LMS line item of the assignment and queues a send; the task posts the score the
student *currently* has (best or last attempt, as the assignment counts), so a late or
repeated send never posts a stale grade.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from lti_tool.models import LtiUser
from pylti1p3.grade import Grade

from grading.models import Submission
from grading.selectors import counted_submission, student_submissions
from lti import services
from lti.models import GradeSync, Placement, SyncStatus, Target
from lti.tasks import grade_send as _grade_send_task


def _lms_user_id(placement: Placement, student: Any) -> str | None:
    lti_user = LtiUser.objects.filter(
        registration=placement.deployment.registration, auth_user=student
    ).first()
    return lti_user.sub if lti_user else None


def grade_passback_queue(*, submission: Submission) -> list[GradeSync]:
    """Record the student's current score for each LMS line item and send it on commit."""
    placements = Placement.objects.filter(
        target=Target.ASSIGNMENT, assignment_id=submission.assignment_id
    ).exclude(lineitem_url="")
    queued = []
    for placement in placements.select_related("deployment__registration"):
        lms_user_id = _lms_user_id(placement, submission.student)
        if lms_user_id is None:
            continue  # the student never came from this LMS
        queued.append(
            grade_sync_bump(placement=placement, student=submission.student, lms_user=lms_user_id)
        )
    return queued


def grade_sync_bump(*, placement: Placement, student: Any, lms_user: str) -> GradeSync:
    assignment = placement.assignment
    assert assignment is not None
    counted = counted_submission(
        list(student_submissions(assignment=assignment, student=student)),
        assignment.score_policy,
    )
    with transaction.atomic():
        sync, _ = GradeSync.objects.select_for_update().get_or_create(
            placement=placement, student=student, defaults={"lms_user_id": lms_user}
        )
        sync.lms_user_id = lms_user
        sync.submission = counted
        sync.score = counted.score if counted else None
        sync.max_score = assignment.max_score
        sync.comment = (counted.review_comment or counted.feedback)[:1000] if counted else ""
        sync.status = SyncStatus.PENDING
        sync.version = F("version") + 1
        sync.save()
        sync.refresh_from_db()
    _grade_send_task.delay_on_commit(sync.pk)
    return sync


def grade_resend(*, sync: GradeSync) -> GradeSync:
    """The teacher's "send again": the current state, whatever was sent before."""
    return grade_sync_bump(
        placement=sync.placement, student=sync.student, lms_user=sync.lms_user_id
    )


def grade_send(*, sync_id: int) -> str:
    """Post one GradeSync to the LMS. Raises on an LMS failure so the task retries."""
    # Claim: only one worker sends a row at a time; a row already sent at this version is done.
    claimed = GradeSync.objects.filter(
        pk=sync_id, status__in=[SyncStatus.PENDING, SyncStatus.FAILED]
    ).update(status=SyncStatus.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return "not-due"
    sync = GradeSync.objects.select_related("placement__deployment__registration").get(pk=sync_id)
    version = sync.version
    grade = (
        Grade()
        .set_user_id(sync.lms_user_id)
        .set_timestamp(datetime.now(UTC).isoformat(timespec="milliseconds"))
        .set_activity_progress("Completed" if sync.score is not None else "InProgress")
        .set_grading_progress("FullyGraded" if sync.score is not None else "Pending")
    )
    if sync.score is not None and sync.max_score:
        grade.set_score_given(float(sync.score)).set_score_maximum(float(sync.max_score))
    if sync.comment:
        grade.set_comment(sync.comment)
    placement = sync.placement
    try:
        services.ags(
            registration=placement.deployment.registration,
            lineitem_url=placement.lineitem_url,
            scopes=list(placement.ags_scopes),
        ).put_grade(grade)
    except Exception as error:
        GradeSync.objects.filter(pk=sync_id, version=version).update(
            status=SyncStatus.FAILED, error=str(error)[:2000]
        )
        raise
    done = GradeSync.objects.filter(pk=sync_id, version=version).update(
        status=SyncStatus.SENT, sent_at=timezone.now(), error=""
    )
    if not done:
        # The score changed while this one was on its way: send the newer one too.
        GradeSync.objects.filter(pk=sync_id, status=SyncStatus.SENDING).update(
            status=SyncStatus.PENDING
        )
        _grade_send_task.delay(sync_id)
        return "superseded"
    return "sent"
