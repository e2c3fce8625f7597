"""Teachers' AI pages: the rules (per course, lesson, assignment), exams, and usage."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from assist import selectors, services
from assist.forms import ExamWindowForm, PolicyForm
from assist.models import AIMode, ExamWindow
from courses.access import course_for_teacher
from courses.models import Course

AI_DENIED = _("Only this course's teachers set how the AI helps in it.")


def _course(request: AuthenticatedRequest, slug: str) -> Course:
    return course_for_teacher(user=request.user, slug=slug, denied=AI_DENIED, hide_draft=False)


def _page(request: AuthenticatedRequest, course: Course, **extra: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "course": course,
        "modes": AIMode.choices,
        "exam_form": ExamWindowForm(course=course),
        **services.course_ai_overview(course=course),
    }
    context.update(extra)
    return context


@login_required
@require_GET
def ai_settings(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    course = _course(request, slug)
    return render(request, "assist/ai_settings.html", _page(request, course))


@login_required
@require_POST
def policy_set(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    course = _course(request, slug)
    form = PolicyForm(request.POST)
    if not form.is_valid():
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
        if request.htmx:
            return HttpResponse(error, status=400)
        messages.error(request, error)
        return redirect("assist:settings", slug=course.slug)
    data = form.cleaned_data
    # An unknown id, or another course's, is reported as missing: ids are not confirmed.
    lesson = get_object_or_404(course.lessons, pk=data["lesson"]) if data["lesson"] else None
    assignment = (
        get_object_or_404(course.assignments, pk=data["assignment"]) if data["assignment"] else None
    )
    policy = services.ai_policy_set(
        course=course,
        mode=data["mode"],
        lesson=lesson,
        assignment=assignment,
        instructions=data["instructions"] if assignment is not None else None,
        by=request.user,
    )
    if request.htmx:
        if assignment is not None:
            row = {
                "assignment": assignment,
                "mode": policy.mode,
                "instructions": policy.instructions,
            }
            return render(
                request,
                "assist/_assignment_row.html",
                {"course": course, "row": row, "modes": AIMode.choices, "saved": True},
            )
        if lesson is not None:
            row = {"lesson": lesson, "mode": policy.mode}
            return render(
                request,
                "assist/_lesson_row.html",
                {"course": course, "row": row, "modes": AIMode.choices, "saved": True},
            )
        return render(
            request, "assist/ai_settings.html#course-rule", _page(request, course, saved=True)
        )
    messages.success(request, _("Saved. Students get the new rule from their next question."))
    return redirect("assist:settings", slug=course.slug)


@login_required
@require_POST
def exam_create(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    course = _course(request, slug)
    form = ExamWindowForm(request.POST, course=course)
    if not form.is_valid():
        return render(
            request, "assist/ai_settings.html", _page(request, course, exam_form=form), status=400
        )
    data = form.cleaned_data
    services.exam_window_create(
        course=course,
        title=data["title"],
        starts_at=data["starts_at"],
        ends_at=data["ends_at"],
        assignments=data["assignments"],
        by=request.user,
    )
    messages.success(
        request,
        _("Exam “%(title)s” scheduled: AI help turns off on time.") % {"title": data["title"]},
    )
    return redirect("assist:settings", slug=course.slug)


@login_required
@require_POST
def exam_delete(request: AuthenticatedRequest, slug: str, exam_id: int) -> HttpResponse:
    course = _course(request, slug)
    window = get_object_or_404(ExamWindow, pk=exam_id, course=course)
    services.exam_window_delete(window=window)
    messages.success(request, _("Exam “%(title)s” removed.") % {"title": window.title})
    return redirect("assist:settings", slug=course.slug)


@login_required
@require_GET
def course_usage(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    course = _course(request, slug)
    return render(
        request,
        "assist/course_usage.html",
        {"course": course, **selectors.course_usage(course=course)},
    )


@login_required
@require_GET
def course_usage_csv(request: AuthenticatedRequest, slug: str) -> HttpResponse:
    course = _course(request, slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="ai-usage-{course.slug}.csv"'
    writer = csv.writer(response)
    writer.writerow(selectors.USAGE_CSV_HEADER)
    for row in selectors.course_usage_rows(course=course):
        writer.writerow(row)
    return response


@login_required
@require_GET
def my_usage(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "assist/my_usage.html", selectors.user_usage(user=request.user))


@login_required
@require_POST
def notice_accept(request: AuthenticatedRequest) -> HttpResponse:
    services.ai_notice_accept(user=request.user)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("assist:my_usage")
    return redirect(target)
