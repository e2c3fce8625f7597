"""Pages composed from several apps: the home page, the dashboard and the lesson page.

They live here, above the feature apps, so that `courses` never imports grading, learning or
tutor just to fill a page: each app offers selectors, and this layer puts them side by side.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.http import AuthenticatedRequest
from courses import selectors
from courses.access import can_read_lessons, course_for_viewer, is_course_teacher
from courses.markdown import render_markdown
from courses.models import Lesson
from grading import selectors as grading_selectors
from learning.selectors import paths as learning_paths
from tutor.selectors import tutor_panel


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "portal/home.html", {"courses": selectors.catalog()[:6]})


@login_required
@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    teaching = list(selectors.teacher_courses(user=user)) if user.can_author_courses else None
    if teaching:
        waiting = grading_selectors.review_counts(course_ids=[c.pk for c in teaching])
        for course in teaching:
            # Set at run time for the template's "To review" column; not a model field.
            course.to_review = waiting.get(course.pk, 0)  # type: ignore[attr-defined]
    enrollments = selectors.student_enrollments(user=user)
    paths = learning_paths.path_summaries(
        student=user, course_ids=[e.course_id for e, _ in enrollments]
    )
    context = {
        "enrollments": [
            (enrollment, progress, paths.get(enrollment.course_id))
            for enrollment, progress in enrollments
        ],
        "assignments_due": grading_selectors.assignments_due(student=user),
        "teaching": teaching,
        "notifications": user.notifications.all()[:5],
    }
    return render(request, "portal/dashboard.html", context)


@login_required
@require_GET
def lesson_detail(request: HttpRequest, slug: str, lesson_slug: str) -> HttpResponse:
    """A lesson with its outline and the tutor panel (so it is composed here, not in courses)."""
    course = course_for_viewer(user=request.user, slug=slug)
    lesson = get_object_or_404(
        Lesson.objects.select_related("module"), course=course, slug=lesson_slug
    )
    if not can_read_lessons(request.user, course):
        messages.info(request, _("Enroll in the course to read its lessons."))
        return redirect(course)
    sequence = selectors.lesson_sequence(course=course)
    index = next(i for i, item in enumerate(sequence) if item.pk == lesson.pk)
    context = {
        "course": course,
        "lesson": lesson,
        "body": render_markdown(lesson.body),
        "previous": sequence[index - 1] if index > 0 else None,
        "next": sequence[index + 1] if index + 1 < len(sequence) else None,
        "position": index + 1,
        "total": len(sequence),
        "modules": selectors.course_outline(course=course),
        "completed_ids": selectors.completed_lesson_ids(user=request.user, course=course),
        "teaching": is_course_teacher(request.user, course),
        "tutor": tutor_panel(user=request.user, course=course, lesson=lesson),
    }
    return render(request, "portal/lesson_detail.html", context)
