"""What teachers change about the AI: policies per course, lesson or assignment, exam windows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from assist.models import AIMode, AINoticeAccepted, AIPolicy, AssignmentOpened, ExamWindow
from core.errors import DomainError
from courses.models import Course, Lesson


class PolicyError(DomainError):
    pass


def ai_policy_set(
    *,
    course: Course,
    mode: str,
    by: Any,
    lesson: Lesson | None = None,
    assignment: Any = None,
    instructions: str | None = None,
) -> AIPolicy:
    """Set the rule for the course, or for one of its lessons or assignments.

    `mode` "" on a lesson or assignment means "as the course". `instructions` (assignments
    only) is left as it was when None.
    """
    if lesson is not None and assignment is not None:
        raise PolicyError(
            gettext("A rule is for the course, a lesson or an assignment, not two at once.")
        )
    if not mode and lesson is None and assignment is None:
        raise PolicyError(gettext("Choose off, hints only or full help for the course."))
    if instructions and assignment is None:
        raise PolicyError(gettext("Instructions to the AI are set per assignment."))
    with transaction.atomic():
        # get_or_create under the unique constraints: two tabs saving at once update one row.
        policy, _ = AIPolicy.objects.select_for_update().get_or_create(
            course=course, lesson=lesson, assignment=assignment
        )
        policy.mode = mode
        if instructions is not None:
            policy.instructions = instructions.strip()
        policy.updated_by = by
        policy.save()
    return policy


def exam_window_create(
    *,
    course: Course,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    assignments: Iterable[Any] = (),
    by: Any,
) -> ExamWindow:
    if ends_at <= starts_at:
        raise PolicyError(gettext("An exam must end after it starts."))
    chosen = list(assignments)
    if any(a.course_id != course.pk for a in chosen):
        raise PolicyError(gettext("Choose assignments of this course."))
    with transaction.atomic():
        window = ExamWindow.objects.create(
            course=course, title=title.strip(), starts_at=starts_at, ends_at=ends_at, created_by=by
        )
        window.assignments.set(chosen)
    return window


def exam_window_delete(*, window: ExamWindow) -> None:
    window.delete()


def course_ai_overview(*, course: Course) -> dict[str, Any]:
    """Everything the teacher's AI page shows: the course's rule, each lesson's and
    assignment's, and the exams."""
    rows = list(AIPolicy.objects.filter(course=course))
    course_row = next((r for r in rows if r.lesson_id is None and r.assignment_id is None), None)
    by_lesson = {r.lesson_id: r for r in rows if r.lesson_id is not None}
    by_assignment = {r.assignment_id: r for r in rows if r.assignment_id is not None}
    lessons = list(course.lessons.select_related("module").order_by("module__position", "position"))
    assignments = list(course.assignments.order_by("position", "pk"))
    return {
        "mode": course_row.mode if course_row else AIMode.FULL,
        "lessons": [
            {"lesson": lesson, "mode": getattr(by_lesson.get(lesson.pk), "mode", "")}
            for lesson in lessons
        ],
        "assignments": [
            {
                "assignment": a,
                "mode": getattr(by_assignment.get(a.pk), "mode", ""),
                "instructions": getattr(by_assignment.get(a.pk), "instructions", ""),
            }
            for a in assignments
        ],
        "exams": list(
            ExamWindow.objects.filter(course=course)
            .prefetch_related("assignments")
            .order_by("-starts_at")
        ),
    }


def ai_notice_accept(*, user: Any) -> None:
    AINoticeAccepted.objects.get_or_create(user=user)


def assignment_opened(*, user: Any, assignment: Any) -> None:
    """Remember the first time a student opened an assignment (later visits change nothing)."""
    if getattr(user, "is_authenticated", False):
        AssignmentOpened.objects.get_or_create(user=user, assignment=assignment)
