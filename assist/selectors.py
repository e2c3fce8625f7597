"""Reads of the AI usage log: a course's analytics, its CSV, a student's own usage."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from assist.hooks import course_ratings
from assist.models import AssignmentOpened, Outcome, UsageRecord
from assist.policy import Purpose
from courses.models import Course

# What a student asks for themselves; grading and drafting are the platform's or teacher's.
STUDENT_FEATURES = [
    Purpose.TUTOR_EXPLAIN,
    Purpose.TUTOR_HINT,
    Purpose.TUTOR_QUIZ,
    Purpose.RAG_ANSWER,
    Purpose.PLAYGROUND_HELP,
]
USAGE_CSV_HEADER = [
    "time",
    "username",
    "feature",
    "assignment",
    "lesson",
    "decision",
    "outcome",
    "reason",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
]
WEEKS = 12


def _tokens(queryset: Any) -> dict[str, int]:
    sums = queryset.aggregate(p=Sum("prompt_tokens"), c=Sum("completion_tokens"))
    return {"prompt_tokens": sums["p"] or 0, "completion_tokens": sums["c"] or 0}


def course_usage(*, course: Course) -> dict[str, Any]:
    records = UsageRecord.objects.filter(course=course)
    asked = records.filter(feature__in=STUDENT_FEATURES).exclude(outcome=Outcome.REFUSED)
    since = timezone.now() - timedelta(weeks=WEEKS)
    weekly = list(
        asked.filter(created_at__gte=since)
        .annotate(week=TruncWeek("created_at"))
        .values("week")
        .annotate(
            questions=Count("pk"),
            tokens=Sum("prompt_tokens") + Sum("completion_tokens"),
            students=Count("user", distinct=True),
        )
        .order_by("week")
    )
    students = list(
        asked.values("user__username", "user_id")
        .annotate(
            questions=Count("pk"),
            hints=Count("pk", filter=Q(decision="hint")),
            tokens=Sum("prompt_tokens") + Sum("completion_tokens"),
            last=Max("created_at"),
        )
        .order_by("-questions")
    )
    refusals = list(
        records.filter(outcome=Outcome.REFUSED)
        .values("reason")
        .annotate(count=Count("pk"))
        .order_by("-count")
    )
    return {
        "totals": {
            "questions": asked.count(),
            "students": asked.values("user").distinct().count(),
            "refused": records.filter(outcome=Outcome.REFUSED).count(),
            **_tokens(records),
        },
        "ratings": course_ratings(course_id=course.pk),
        "weekly": weekly,
        "students": students,
        "refusals": refusals,
        "per_assignment": help_before_submission(course=course),
        "chart": {
            "labels": [w["week"].date().isoformat() for w in weekly],
            # The series' names in the page's language (the script has no catalogue of its own).
            "series": {"questions": gettext("Questions"), "tokens": gettext("Tokens")},
            "questions": [w["questions"] for w in weekly],
            "tokens": [w["tokens"] or 0 for w in weekly],
        },
    }


def help_before_submission(*, course: Course) -> list[dict[str, Any]]:
    """Per assignment: AI requests about it made before the student's first submission."""
    first: dict[tuple[int, int], Any] = {
        (row["pk"], row["submissions__student_id"]): row["first"]
        for row in course.assignments.filter(submissions__isnull=False)
        .values("pk", "submissions__student_id")
        .annotate(first=Min("submissions__created_at"))
    }
    counts: dict[int, dict[str, Any]] = defaultdict(lambda: {"before": 0, "students": set()})
    rows = (
        UsageRecord.objects.filter(course=course, assignment__isnull=False)
        .filter(feature__in=STUDENT_FEATURES)
        .exclude(outcome=Outcome.REFUSED)
        .values_list("assignment_id", "user_id", "created_at")
    )
    for assignment_id, user_id, at in rows:
        submitted = first.get((assignment_id, user_id))
        if submitted is None or at < submitted:
            counts[assignment_id]["before"] += 1
            counts[assignment_id]["students"].add(user_id)
    return [
        {
            "assignment": a,
            "requests": counts[a.pk]["before"] if a.pk in counts else 0,
            "students": len(counts[a.pk]["students"]) if a.pk in counts else 0,
        }
        for a in course.assignments.order_by("position", "pk")
    ]


def course_usage_rows(*, course: Course) -> Iterator[list[object]]:
    # Tuples, not model instances: an export of a term's log is tens of thousands of rows.
    rows = (
        UsageRecord.objects.filter(course=course)
        .order_by("created_at")
        .values_list(
            "created_at",
            "user__username",
            "feature",
            "assignment__title",
            "lesson__title",
            "decision",
            "outcome",
            "reason",
            "prompt_tokens",
            "completion_tokens",
            "latency_ms",
        )
    )
    for row in rows.iterator(chunk_size=2000):
        at, username, assignment, lesson, latency = row[0], row[1], row[3], row[4], row[10]
        yield [
            at.isoformat(),
            username or "",
            row[2],
            assignment or "",
            lesson or "",
            *row[5:10],
            "" if latency is None else latency,
        ]


def user_usage(*, user: Any) -> dict[str, Any]:
    records = UsageRecord.objects.filter(user=user, feature__in=STUDENT_FEATURES)
    return {
        "totals": {"requests": records.count(), **_tokens(records)},
        "by_course": list(
            records.values("course__title", "course__slug")
            .annotate(
                requests=Count("pk"),
                refused=Count("pk", filter=Q(outcome=Outcome.REFUSED)),
                tokens=Sum("prompt_tokens") + Sum("completion_tokens"),
            )
            .order_by("-requests")
        ),
        "recent": list(records.select_related("course", "assignment", "lesson")[:50]),
    }


def assignment_signals(*, assignment: Any, student: Any, submitted_at: Any) -> dict[str, Any]:
    """Facts for a submission's review: AI requests about the assignment before it, how many
    were hints. No score: a teacher reads facts, the platform accuses nobody."""
    before = UsageRecord.objects.filter(
        user=student,
        assignment_id=assignment.pk,
        feature__in=STUDENT_FEATURES,
        created_at__lt=submitted_at,
    ).exclude(outcome=Outcome.REFUSED)
    lesson_asks = 0
    if assignment.lesson_id:
        lesson_asks = (
            UsageRecord.objects.filter(
                user=student,
                lesson_id=assignment.lesson_id,
                assignment__isnull=True,
                feature__in=STUDENT_FEATURES,
                created_at__lt=submitted_at,
            )
            .exclude(outcome=Outcome.REFUSED)
            .count()
        )
    opened = (
        AssignmentOpened.objects.filter(user=student, assignment_id=assignment.pk)
        .values_list("first_at", flat=True)
        .first()
    )
    return {
        "requests": before.count(),
        "hints": before.filter(decision="hint").count(),
        "lesson_requests": lesson_asks,
        "opened_at": opened,
        # None when the page was never opened before (e.g. submitted over the API).
        "to_submit": _duration(submitted_at - opened) if opened and opened <= submitted_at else "",
    }


def _duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return gettext("%(minutes)d min") % {"minutes": minutes}
    if minutes < 48 * 60:
        return gettext("%(hours)d h %(minutes)d min") % {
            "hours": minutes // 60,
            "minutes": minutes % 60,
        }
    days = minutes // (24 * 60)
    return ngettext("%(days)d day", "%(days)d days", days) % {"days": days}
