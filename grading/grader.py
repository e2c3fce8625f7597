"""Grading one submission: claim it, run it, record exactly one verdict, then write feedback.

Runs in the Celery worker. The task is acknowledged late and re-delivered when a worker dies, so
the same submission can arrive more than once; the claim below makes that safe:
- a finished submission is never graded again (until a teacher asks for a regrade);
- each pickup increments `grading_attempts`, and only the pickup that holds the latest number may
  write a verdict, so two workers can never both record one;
- a submission picked up a third time has killed two workers: it ends as "internal error".
"""

from __future__ import annotations

import logging
import time
from decimal import ROUND_HALF_UP, Decimal

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from grading.checks import assignment_limits
from grading.models import Assignment, FeedbackStatus, Review, Status, Submission, Verdict
from grading.services import submission_report
from grading.signals import submission_scored

log = logging.getLogger(__name__)

MAX_PICKUPS = 2
# Stored in English; submission_frame translates it for whoever reads it.
INTERNAL_ERROR_PROBLEM = gettext_noop(
    "Grading this submission failed twice on our side. Your teacher has been told; "
    "you do not lose an attempt for it."
)


def _claim(submission_id: int) -> Submission | None:
    with transaction.atomic():
        claimed = Submission.objects.filter(
            Q(pk=submission_id),
            Q(status__in=[Status.QUEUED, Status.RUNNING]),
            Q(grading_attempts__lt=MAX_PICKUPS),
        ).update(
            status=Status.RUNNING,
            grading_attempts=F("grading_attempts") + 1,
            started_at=timezone.now(),
        )
        ended = 0
        if not claimed:
            # Finished already, or a third pickup of a submission that keeps killing workers.
            ended = Submission.objects.filter(
                pk=submission_id, status__in=[Status.QUEUED, Status.RUNNING]
            ).update(
                status=Status.INTERNAL_ERROR,
                problem=INTERNAL_ERROR_PROBLEM,
                needs_review=True,
                graded_at=timezone.now(),
            )
    submission = (
        Submission.objects.select_related("assignment__course", "student")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        return None
    if not claimed:
        if ended:
            submission_report(submission)
        return None
    submission_report(submission)
    return submission


def _record(submission: Submission, fields: dict[str, object]) -> bool:
    """Write the verdict if this pickup still owns the submission. Exactly one write wins."""
    fields = {**fields, "status": Status.GRADED, "graded_at": timezone.now()}
    if submission.review == Review.OVERRIDDEN:
        fields.pop("score", None)  # the teacher's override stays in force after a regrade
    written = Submission.objects.filter(
        pk=submission.pk, status=Status.RUNNING, grading_attempts=submission.grading_attempts
    ).update(**fields)
    return bool(written)


def _points(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def code_grade(submission: Submission) -> dict[str, object]:
    from sandbox import run_tests

    assignment = submission.assignment
    result = run_tests(
        solution=submission.code,
        test_source=assignment.test_code,
        module_name=assignment.module_name,
        limits=assignment_limits(assignment.limits),
    )
    # A test the teacher skipped counts for nothing: neither earned nor missed.
    total = (
        sum(assignment.weight_of(test.name) for test in result.tests if test.outcome != "skipped")
        or 1.0
    )
    earned = sum(
        assignment.weight_of(test.name) for test in result.tests if test.outcome == "passed"
    )
    score = _points(float(assignment.max_score) * earned / total)
    return {
        "verdict": str(result.verdict),
        "auto_score": score,
        "score": score,
        "tests": [
            {
                "name": test.name,
                "outcome": test.outcome,
                "message": test.message,
                "duration_ms": test.duration_ms,
            }
            for test in result.tests
        ],
        "problem": result.problem,
        "stdout": result.stdout,
        "stderr": result.stderr,
        "time_ms": result.time_ms,
        "confidence": 1.0,
        # The sandbox saw the code interfere with the tests: the teacher must look at it.
        "needs_review": result.verdict == Verdict.TAMPERED,
        "feedback_status": FeedbackStatus.PENDING
        if settings.GRADING_FEEDBACK and result.verdict != "passed"
        else FeedbackStatus.NONE,
    }


FOREIGN_PROBLEM = _(
    "This answer is not in the language of the course's reference answer: the grader read it "
    "with its multilingual model, which is less sure, so your teacher will confirm the score."
)


def text_grade(submission: Submission) -> dict[str, object]:
    """Evidence per criterion (grading.evidence), calibrated on the teacher's grades of this
    assignment. The score is a proposal in the review queue unless the measured agreement with
    the teacher reaches the course's threshold (grading.calibration.releases)."""
    from grading.calibration import calibrator_of, current_calibration, releases
    from grading.evidence import evidence_grade

    assignment = submission.assignment
    grade = evidence_grade(
        question=assignment.instructions,
        answer=submission.text,
        reference=assignment.reference_answer,
        rubric=assignment.rubric,
    )
    calibration = current_calibration(assignment)
    # An answer in another language is scored too (read by the multilingual model), but only
    # proposed: it always waits for the teacher (below).
    fraction = calibrator_of(assignment, calibration).predict(grade.features())
    score = _points(float(assignment.max_score) * fraction)
    # Contradicted evidence under a high score: the signals disagree, so a teacher decides.
    mixed = fraction > 0.5 and any(c.contradicted for c in grade.criteria)
    return {
        "verdict": Verdict.SCORED,
        "auto_score": score,
        "score": score,
        "criteria": [
            {
                "criterion": c.criterion,
                "points": c.points,
                "score": c.score,
                "evidence": c.quote,
                "raw": round(c.raw, 4),
                "contradicted": c.contradicted,
                # For the teacher only (selectors.submission_frame): the facts are the answer key.
                "facts": [e.as_dict() for e in c.evidence],
            }
            for c in grade.criteria
        ],
        "similarity": grade.similarity,
        "confidence": grade.confidence,
        "needs_review": grade.foreign or mixed or not releases(assignment, calibration),
        "problem": str(FOREIGN_PROBLEM) if grade.foreign else "",
    }


def submission_grade(*, submission_id: int) -> str:
    submission = _claim(submission_id)
    if submission is None:
        return "skipped"
    assignment: Assignment = submission.assignment
    try:
        fields = code_grade(submission) if assignment.is_code else text_grade(submission)
    except Exception:
        # A bug or an outage on our side, not the student's fault: say so and keep the attempt.
        log.exception("grading submission %s failed", submission_id)
        fields = {
            "verdict": "",
            "problem": gettext_noop("Grading failed on our side; your teacher can regrade it."),
            "needs_review": True,
        }
        Submission.objects.filter(pk=submission.pk, status=Status.RUNNING).update(
            status=Status.INTERNAL_ERROR, graded_at=timezone.now(), **fields
        )
        submission.refresh_from_db()
        submission_report(submission)
        return Status.INTERNAL_ERROR
    fields["grading_version"] = assignment.grading_version
    if not _record(submission, fields):
        return "superseded"
    submission.refresh_from_db()
    # Mastery first, then the student hears: whoever opens My path on seeing the verdict
    # must find it already counted. A provisional free-text score is not a grade: mastery and
    # the LMS hear of it when a teacher confirms it or the grader earns release.
    if not submission.is_provisional:
        submission_scored.send(sender=Submission, submission=submission)
    submission_report(submission)
    if submission.feedback_status == FeedbackStatus.PENDING:
        from grading.tasks import submission_feedback as submission_feedback_task

        submission_feedback_task.delay(submission.pk)
    return submission.verdict


def submission_feedback_write(*, submission_id: int) -> str:
    """AI feedback on failed tests: what the failure means and a hint, never the solution."""
    from assist.models import Outcome
    from assist.policy import Purpose, decide
    from assist.prompts.grading import feedback_messages
    from assist.usage import usage_record
    from inference.llm import InferenceError, chat_complete

    submission = (
        Submission.objects.select_related("assignment__course", "student")
        .filter(pk=submission_id, feedback_status=FeedbackStatus.PENDING)
        .first()
    )
    if submission is None:
        return "skipped"
    assignment = submission.assignment
    decision = decide(
        user=submission.student,
        purpose=Purpose.GRADING_FEEDBACK,
        course=assignment.course,
        assignment=assignment,
    )
    if not decision.allowed:
        Submission.objects.filter(pk=submission.pk, feedback_status=FeedbackStatus.PENDING).update(
            feedback_status=FeedbackStatus.NONE
        )
        submission.refresh_from_db()
        submission_report(submission)
        return "skipped"
    hidden = set(assignment.hidden_tests)
    failures = [
        (
            "a hidden test" if test["name"] in hidden else test["name"],
            "" if test["name"] in hidden else test["message"],
        )
        for test in submission.tests
        if test["outcome"] not in ("passed", "skipped")
    ]
    if submission.problem:
        failures.insert(0, ("the run as a whole", submission.problem))
    started = time.monotonic()
    try:
        reply = async_to_sync(chat_complete)(
            feedback_messages(
                instructions=assignment.instructions,
                code=submission.code,
                failures=failures,
                teacher_notes=decision.teacher_notes,
            ),
            max_tokens=settings.GRADING_FEEDBACK_MAX_TOKENS,
        )
    except InferenceError:
        log.warning("no feedback for submission %s: the model is unavailable", submission_id)
        status, text = FeedbackStatus.FAILED, ""
        tokens = (0, 0)
    else:
        # The prompt forbids solutions; the policy's guard withholds code whatever it wrote.
        status, text = FeedbackStatus.READY, decision.filter_text(reply.text).strip()
        tokens = (reply.stats.prompt_tokens, reply.stats.completion_tokens)
    usage_record(
        user=submission.student,
        purpose=Purpose.GRADING_FEEDBACK,
        decision=decision,
        outcome=Outcome.ANSWERED if status == FeedbackStatus.READY else Outcome.FAILED,
        assignment=assignment,
        prompt_tokens=tokens[0],
        completion_tokens=tokens[1],
        latency_ms=round((time.monotonic() - started) * 1000),
    )
    Submission.objects.filter(pk=submission.pk, feedback_status=FeedbackStatus.PENDING).update(
        feedback=text, feedback_status=status
    )
    submission.refresh_from_db()
    submission_report(submission)
    return status
