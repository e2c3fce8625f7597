"""Reads for grading pages, the API and live frames: what a student may see, queues, gradebooks."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Case, Count, F, Q, QuerySet, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from courses.markdown import render_markdown
from courses.models import Course, Enrollment
from grading.models import Assignment, FeedbackStatus, Kind, ScorePolicy, Status, Submission


def visible_tests(submission: Submission, *, teacher: bool = False) -> list[dict[str, Any]]:
    """Per-test results as the viewer may see them: a hidden test is only "passed" or "failed"."""
    hidden = set(submission.assignment.hidden_tests)
    weights = submission.assignment.weights
    shown = []
    hidden_number = 0
    for test in submission.tests:
        is_hidden = test["name"] in hidden
        row = {**test, "hidden": is_hidden, "weight": weights.get(test["name"], 1)}
        if is_hidden and not teacher:
            hidden_number += 1
            row = {
                "name": gettext("Hidden test %(number)s") % {"number": hidden_number},
                "outcome": test["outcome"]
                if test["outcome"] in ("passed", "skipped")
                else "failed",
                "message": "",
                "duration_ms": None,
                "hidden": True,
                "weight": row["weight"],
            }
        shown.append(row)
    return shown


def submission_frame(submission: Submission, *, teacher: bool = False) -> dict[str, Any]:
    """A submission as JSON: the live frame, the API's answer and the status fragment's data."""
    assignment = submission.assignment
    return {
        "type": "submission.status",
        "id": submission.pk,
        "assignment": assignment.pk,
        "course": assignment.course.slug,
        "attempt": submission.attempt,
        "status": submission.status,
        "status_label": submission.get_status_display(),
        # Still changing: pages keep polling the status URL in case a live frame was missed.
        "busy": not submission.is_done or submission.feedback_status == FeedbackStatus.PENDING,
        "verdict": submission.verdict,
        "verdict_label": submission.get_verdict_display() if submission.verdict else "",
        "score": _number(submission.score),
        "auto_score": _number(submission.auto_score),
        "max_score": _number(assignment.max_score),
        "tests": visible_tests(submission, teacher=teacher),
        "criteria": _criteria(submission, teacher=teacher),
        # A free-text score no teacher has confirmed, from a grader not yet trusted to release.
        "provisional": submission.is_provisional,
        "similarity": submission.similarity,
        "confidence": submission.confidence,
        "needs_review": submission.needs_review,
        # Stored in the grader's language (English): the fixed sentences are in the catalogue.
        "problem": gettext(submission.problem) if submission.problem else "",
        "stdout": submission.stdout,
        "stderr": submission.stderr,
        "time_ms": submission.time_ms,
        "feedback": submission.feedback,
        "feedback_html": render_markdown(submission.feedback) if submission.feedback else "",
        "feedback_status": submission.feedback_status,
        "review": {
            "status": submission.review,
            "label": submission.get_review_display() if submission.review else "",
            "comment": submission.review_comment,
            "reviewed_at": submission.reviewed_at.isoformat() if submission.reviewed_at else None,
        },
        "regrade_requested": submission.regrade_requested_at is not None,
        "url": submission.get_absolute_url(),
        "status_url": reverse(
            "grading:submission_status", args=[assignment.course.slug, submission.pk]
        ),
        "created_at": submission.created_at.isoformat(),
    }


def _criteria(submission: Submission, *, teacher: bool) -> list[dict[str, Any]]:
    """Points and the quoted sentence per criterion; the facts they were checked against are
    the answer key, so only teachers see them."""
    if teacher:
        return submission.criteria
    return [{k: v for k, v in c.items() if k not in ("facts", "raw")} for c in submission.criteria]


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def counted_submission(submissions: list[Submission], policy: str) -> Submission | None:
    """The attempt that counts: the best or the last graded one."""
    graded = [s for s in submissions if s.status == Status.GRADED and s.score is not None]
    if not graded:
        return None
    if policy == ScorePolicy.LAST:
        return max(graded, key=lambda s: s.attempt)
    return max(graded, key=lambda s: (s.score, -s.attempt))


def student_submissions(*, assignment: Assignment, student: Any) -> QuerySet[Submission]:
    return assignment.submissions.filter(student=student).select_related("assignment__course")


@dataclass(frozen=True)
class AssignmentStanding:
    assignment: Assignment
    attempts: int
    counted: Submission | None
    latest: Submission | None


def course_assignments(*, course: Course, student: Any | None, teacher: bool) -> list[Any]:
    assignments = course.assignments.select_related("lesson")
    if not teacher:
        assignments = assignments.published()
    if student is None:
        return [AssignmentStanding(a, 0, None, None) for a in assignments]
    by_assignment: dict[int, list[Submission]] = {}
    for submission in Submission.objects.filter(
        assignment__course=course, student=student
    ).order_by("attempt"):
        by_assignment.setdefault(submission.assignment_id, []).append(submission)
    standings = []
    for assignment in assignments:
        mine = by_assignment.get(assignment.pk, [])
        standings.append(
            AssignmentStanding(
                assignment,
                len(mine),
                counted_submission(mine, assignment.score_policy),
                mine[-1] if mine else None,
            )
        )
    return standings


def open_assignment_briefs(*, course_id: int, lesson_id: int | None, limit: int = 2) -> list[str]:
    """ "Title: instructions" of a course's open assignments, those of the lesson first.

    The tutor's hint mode tells the model not to solve these.
    """
    now = timezone.now()
    assignments = (
        Assignment.objects.published()
        .filter(course_id=course_id)
        .filter(Q(due_at__isnull=True) | Q(due_at__gte=now))
        .order_by("position", "id")
    )
    if lesson_id:
        assignments = assignments.order_by(
            Case(When(lesson_id=lesson_id, then=0), default=1), "position", "id"
        )
    return [f"{a.title}: {a.instructions}" for a in assignments[:limit]]


def assignment_named(*, course_id: int, text: str) -> Assignment | None:
    """The course's published assignment whose title the student's question names, if any
    (the longest title wins: "Add two numbers twice" over "Add two numbers")."""
    lowered = " ".join(text.lower().split())
    named = [
        a
        for a in Assignment.objects.published()
        .filter(course_id=course_id)
        .only("pk", "title", "course_id", "lesson_id")
        if len(a.title) >= 4 and " ".join(a.title.lower().split()) in lowered
    ]
    return max(named, key=lambda a: len(a.title), default=None)


def assignment_brief(*, assignment: Assignment) -> dict[str, str]:
    """What the AI may know of an assignment: its instructions, its visible tests (the hidden
    ones are cut out of the source, as from the student's sandbox) and its lesson."""
    from grading.checks import test_source_without

    visible = ""
    if assignment.is_code and assignment.test_code:
        try:
            visible = test_source_without(assignment.test_code, set(assignment.hidden_tests))
        except SyntaxError:
            visible = ""  # a broken test file is the teacher's to fix; the AI gets none of it
    lesson = assignment.lesson
    return {
        "title": assignment.title,
        "instructions": assignment.instructions,
        "visible_tests": visible,
        "lesson": f"{lesson.title}: {lesson.body}" if lesson else "",
    }


def assignments_due(*, student: Any, limit: int = 8) -> list[Assignment]:
    """Open assignments of the student's courses they have not submitted yet, soonest first."""
    now = timezone.now()
    return list(
        Assignment.objects.published()
        .filter(course__enrollments__user=student, course__is_published=True)
        .filter(Q(due_at__isnull=True) | Q(due_at__gte=now))
        .exclude(submissions__student=student)
        .select_related("course")
        .order_by(F("due_at").asc(nulls_last=True), "position")[:limit]
    )


def review_counts(*, course_ids: list[int]) -> dict[int, int]:
    """Per course: submissions waiting for a teacher (needs review, or a regrade request)."""
    waiting = (
        Submission.objects.filter(assignment__course_id__in=course_ids)
        .filter(_review_condition("needs_review") | _review_condition("regrade_requested"))
        .values("assignment__course_id")
        .annotate(count=Count("id"))
    )
    return {row["assignment__course_id"]: row["count"] for row in waiting}


REVIEW_FILTERS = {
    "needs_review": gettext_lazy("Needs review"),
    "failed": gettext_lazy("Failed"),
    "low_confidence": gettext_lazy("Low confidence"),
    "regrade_requested": gettext_lazy("Regrade requested"),
    # Free-text answers no teacher graded yet, the most informative for calibration first.
    "suggested": gettext_lazy("Grade these first"),
    "all": gettext_lazy("All"),
}


def _review_condition(filter_name: str) -> Q:
    return {
        "needs_review": Q(needs_review=True) | Q(status=Status.INTERNAL_ERROR),
        "failed": Q(status=Status.GRADED) & ~Q(verdict__in=["passed", "scored"]),
        "low_confidence": Q(confidence__lt=settings.GRADING_REVIEW_CONFIDENCE),
        "regrade_requested": Q(regrade_requested_at__isnull=False),
        "suggested": Q(verdict="scored", review="", status=Status.GRADED),
    }.get(filter_name, Q())


def review_suggestions(*, course: Course, assignment_id: int | None = None) -> list[Submission]:
    """Ungraded free-text answers in the order that teaches the calibration most; across
    assignments, each one's most informative answer in turn."""
    from grading.calibration import review_suggestions as ranked

    assignments = course.assignments.filter(kind=Kind.TEXT)
    if assignment_id:
        assignments = assignments.filter(pk=assignment_id)
    per_assignment = [ranked(assignment=a) for a in assignments]
    merged: list[Submission] = []
    for round_ in range(max((len(r) for r in per_assignment), default=0)):
        merged.extend(r[round_] for r in per_assignment if round_ < len(r))
    return merged


def review_queue(
    *, course: Course, filter_name: str = "needs_review", assignment_id: int | None = None
) -> QuerySet[Submission]:
    if filter_name not in REVIEW_FILTERS:
        filter_name = "needs_review"
    queryset = Submission.objects.filter(assignment__course=course).filter(
        _review_condition(filter_name)
    )
    if assignment_id:
        queryset = queryset.filter(assignment_id=assignment_id)
    return queryset.select_related("assignment__course", "student").order_by("created_at", "id")


@dataclass(frozen=True)
class Gradebook:
    assignments: list[Assignment]
    rows: list[
        tuple[Any, list[Submission | None], Decimal]
    ]  # student, counted per assignment, total
    max_total: Decimal


def gradebook(*, course: Course) -> Gradebook:
    assignments = list(course.assignments.published())
    students = [
        enrollment.user
        for enrollment in Enrollment.objects.filter(course=course)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    ]
    submissions: dict[tuple[int, int], list[Submission]] = {}
    for submission in Submission.objects.filter(
        assignment__in=assignments, status=Status.GRADED
    ).select_related("assignment__course"):
        submissions.setdefault((submission.student_id, submission.assignment_id), []).append(
            submission
        )
    rows = []
    for student in students:
        counted = [
            counted_submission(submissions.get((student.pk, a.pk), []), a.score_policy)
            for a in assignments
        ]
        total = sum((s.score for s in counted if s is not None and s.score), Decimal(0))
        rows.append((student, counted, total))
    return Gradebook(assignments, rows, sum((a.max_score for a in assignments), Decimal(0)))


@dataclass(frozen=True)
class Histogram:
    assignment: Assignment
    bins: list[tuple[str, int]]  # label ("0-10%"), count
    graded: int

    @property
    def bars(self) -> list[dict[str, Any]]:
        """SVG geometry in a 200 x 110 box: 10 bars, 90 units tall at most, labels below."""
        tallest = max((count for _, count in self.bins), default=0) or 1
        width = 200 / max(len(self.bins), 1)
        bars = []
        for index, (label, count) in enumerate(self.bins):
            height = round(90 * count / tallest, 1)
            bars.append(
                {
                    "x": round(index * width + 1, 1),
                    "y": round(95 - height, 1),
                    "width": round(width - 2, 1),
                    "height": height,
                    "label": label,
                    "count": count,
                }
            )
        return bars


def score_histograms(book: Gradebook, *, bins: int = 10) -> list[Histogram]:
    histograms = []
    for index, assignment in enumerate(book.assignments):
        counts = [0] * bins
        graded = 0
        for _, counted, _ in book.rows:
            submission = counted[index]
            if submission is None or submission.score is None:
                continue
            graded += 1
            share = float(submission.score / assignment.max_score) if assignment.max_score else 0
            counts[min(int(share * bins), bins - 1)] += 1
        labels = [f"{i * 100 // bins}-{(i + 1) * 100 // bins}%" for i in range(bins)]
        histograms.append(Histogram(assignment, list(zip(labels, counts, strict=True)), graded))
    return histograms
