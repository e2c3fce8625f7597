"""Assignments, submissions, reviews and regrades: the writes. Grading itself is in grader.py."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.services import language_of
from core.errors import DomainError
from courses.models import Course
from grading.models import Assignment, FeedbackStatus, Review, Status, Submission
from grading.signals import submission_scored

# Changing any of these changes what a submission scores, so graded work becomes stale.
GRADING_FIELDS = (
    "kind",
    "test_code",
    "module_name",
    "weights",
    "hidden_tests",
    "limits",
    "reference_answer",
    "rubric",
    "max_score",
)


class SubmissionRefused(DomainError):
    pass


class ReviewRefused(DomainError):
    pass


def _grade_later(submission_id: int, *, assignment: Assignment) -> None:
    from grading.tasks import submission_grade as submission_grade_task

    # A text answer is graded by the model: it waits with the other model work on the llm
    # queue, so code grading (the default queue) never waits behind a model call.
    queue = settings.CELERY_TASK_DEFAULT_QUEUE if assignment.is_code else settings.LLM_QUEUE
    transaction.on_commit(partial(submission_grade_task.apply_async, (submission_id,), queue=queue))


def assignment_create(*, course: Course, created_by: Any, **fields: Any) -> Assignment:
    position = (course.assignments.aggregate(top=Max("position"))["top"] or 0) + 1
    return Assignment.objects.create(
        course=course, created_by=created_by, position=position, **fields
    )


def assignment_update(*, assignment: Assignment, **fields: Any) -> Assignment:
    changed = [name for name, value in fields.items() if getattr(assignment, name) != value]
    for name, value in fields.items():
        setattr(assignment, name, value)
    if set(changed) & set(GRADING_FIELDS):
        assignment.grading_version += 1
    assignment.save()
    return assignment


def submission_create(
    *, assignment: Assignment, student: Any, code: str = "", text: str = ""
) -> Submission:
    """A new attempt, queued for grading once the transaction commits."""
    answer = code if assignment.is_code else text
    if not answer.strip():
        raise SubmissionRefused(
            _("Your submission is empty.") if assignment.is_code else _("Write an answer first.")
        )
    if len(answer.encode()) > settings.GRADING_MAX_SOURCE_KB * 1024:
        raise SubmissionRefused(
            _("Your submission is larger than %(kb)s KB.") % {"kb": settings.GRADING_MAX_SOURCE_KB}
        )
    mine = Submission.objects.filter(assignment=assignment, student=student)
    if mine.filter(status__in=[Status.QUEUED, Status.RUNNING]).exists():
        raise SubmissionRefused(
            _("Your previous attempt is still being graded; wait for its result.")
        )
    # Two tabs submitting at once race for the same attempt number; the unique constraint
    # decides, and the loser takes the next number.
    for _try in range(3):
        attempt = (mine.aggregate(top=Max("attempt"))["top"] or 0) + 1
        if assignment.max_attempts and attempt > assignment.max_attempts:
            raise SubmissionRefused(
                _("You have used all %(count)s attempts for this assignment.")
                % {"count": assignment.max_attempts}
            )
        try:
            with transaction.atomic():
                submission = Submission.objects.create(
                    assignment=assignment,
                    student=student,
                    attempt=attempt,
                    code=code if assignment.is_code else "",
                    text=text if not assignment.is_code else "",
                    grading_version=assignment.grading_version,
                )
        except IntegrityError:
            continue
        _grade_later(submission.pk, assignment=assignment)
        return submission
    raise SubmissionRefused(_("Too many submissions at once; try again."))


def submission_review(
    *, submission: Submission, reviewer: Any, score: Decimal | None, comment: str
) -> Submission:
    """Approve the automatic grade (score None) or override it. The teacher has the last word."""
    if not submission.is_done:
        raise ReviewRefused(_("This submission is still being graded."))
    if score is not None and not (0 <= score <= submission.assignment.max_score):
        raise ReviewRefused(
            _("The score must be between 0 and %(max)s.") % {"max": submission.assignment.max_score}
        )
    if score is None and submission.auto_score is None:
        raise ReviewRefused(_("There is no automatic score to approve; enter a score."))
    submission.review = Review.APPROVED if score is None else Review.OVERRIDDEN
    submission.score = submission.auto_score if score is None else score
    submission.review_comment = comment
    submission.reviewed_by = reviewer
    submission.reviewed_at = timezone.now()
    submission.needs_review = False
    submission.regrade_requested_at = None
    submission.save()
    if not submission.assignment.is_code:
        from grading.calibration import proposals_refresh

        # Every teacher grade teaches the free-text grader; the answers still waiting get
        # the new proposal (and are released if agreement now reaches the course's bar).
        proposals_refresh(assignment=submission.assignment)
    submission_scored.send(sender=Submission, submission=submission)
    submission_report(submission)
    return submission


def submission_regrade_request(*, submission: Submission, reason: str) -> Submission:
    if not submission.is_done:
        raise ReviewRefused(_("This submission is still being graded."))
    if submission.regrade_requested_at:
        raise ReviewRefused(_("You already asked for a regrade of this submission."))
    submission.regrade_requested_at = timezone.now()
    submission.regrade_reason = reason
    submission.save(update_fields=["regrade_requested_at", "regrade_reason"])
    _notify_teachers_of_regrade_request(submission)
    return submission


def _notify_teachers_of_regrade_request(submission: Submission) -> None:
    from notifications.services import notification_create

    assignment = submission.assignment
    for teacher in assignment.course.teachers.all():
        # In each teacher's own language, whoever asked.
        with language_of(user=teacher):
            notification_create(
                user_id=teacher.pk,
                title=_("Regrade requested: %(title)s") % {"title": assignment.title},
                body=f"{submission.student.display_name}: {submission.regrade_reason[:200]}",
                url=submission.get_absolute_url(),
                dedupe_key=f"regrade-{submission.pk}-{submission.regrade_requested_at:%s}",
            )


def submissions_regrade(*, assignment: Assignment, submission: Submission | None = None) -> int:
    """Queue one submission, or every finished submission of the assignment, for grading again.

    The verdict is recomputed with the current tests; a teacher's override stays in force.
    """
    queryset = assignment.submissions.filter(status__in=[Status.GRADED, Status.INTERNAL_ERROR])
    if submission is not None:
        queryset = queryset.filter(pk=submission.pk)
    ids = list(queryset.values_list("pk", flat=True))
    Submission.objects.filter(pk__in=ids).update(
        status=Status.QUEUED,
        grading_attempts=0,
        feedback="",
        feedback_status=FeedbackStatus.NONE,
        regrade_requested_at=None,
    )
    for submission_id in ids:
        _grade_later(submission_id, assignment=assignment)
    for queued in Submission.objects.filter(pk__in=ids).select_related("assignment__course"):
        transaction.on_commit(partial(submission_report, queued))
    return len(ids)


def submission_report(submission: Submission) -> None:
    """Push a submission's state to its student's open pages (and the API's JSON clients)."""
    from grading.selectors import submission_frame
    from notifications.services import live_event_send

    # Labels and the problem sentence in the student's language: a task has no request.
    with language_of(user=submission.student):
        live_event_send(user_id=submission.student_id, event=submission_frame(submission))


def rubric_facts_approve(*, assignment: Assignment) -> Assignment:
    """The facts the grader drafted for criteria without any, and the wrong claims the model
    drafted, become the rubric's own (the teacher edits them with the rubric from then on)."""
    from grading.evidence import criteria_specs

    specs = criteria_specs(
        reference=assignment.reference_answer,
        rubric=assignment.rubric,
        question=assignment.instructions,
    )
    rubric = []
    for item, spec in zip(assignment.rubric, specs, strict=True):
        approved = {k: v for k, v in item.items() if k != "wrong_drafted"}
        approved["facts"] = [fact.text for fact in spec.facts]
        wrong = [*item.get("wrong", []), *item.get("wrong_drafted", [])]
        if wrong:
            approved["wrong"] = list(dict.fromkeys(wrong))
        rubric.append(approved)
    return assignment_update(assignment=assignment, rubric=rubric)


def wrong_claims_draft_request(*, assignment: Assignment) -> None:
    from grading.tasks import wrong_claims_draft as wrong_claims_draft_task

    wrong_claims_draft_task.apply_async_on_commit((assignment.pk,), queue=settings.LLM_QUEUE)


_LIST_MARK = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s*")


def wrong_claims_write(*, assignment_id: int) -> int:
    """Ask the model for common wrong claims per criterion and keep them as drafts
    (`wrong_drafted`): they take effect only once a teacher approves them. Returns how many."""
    from asgiref.sync import async_to_sync

    from assist.prompts.grading import wrong_claims_messages
    from inference.llm import InferenceError, chat_complete

    assignment = Assignment.objects.filter(pk=assignment_id).first()
    if assignment is None or assignment.is_code:
        return 0
    rubric = [dict(item) for item in assignment.rubric]
    drafted = 0
    for item in rubric:
        messages = wrong_claims_messages(
            question=assignment.instructions,
            reference=assignment.reference_answer,
            criterion=str(item["criterion"]),
        )
        try:
            reply = async_to_sync(chat_complete)(messages, max_tokens=80, temperature=0.0)
        except InferenceError:
            continue
        lines = [_LIST_MARK.sub("", line).strip() for line in reply.text.splitlines()]
        claims = [line for line in lines if len(line.split()) >= 4][:2]
        item["wrong_drafted"] = claims
        drafted += len(claims)
    # Drafts change nothing that grades, so no grading_version bump: a plain update.
    Assignment.objects.filter(pk=assignment.pk, rubric=assignment.rubric).update(rubric=rubric)
    return drafted
