from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest, HtmxRequest
from core.refusals import refusal_as_message
from courses import selectors, services
from courses.access import (
    can_read_lessons,
    course_for_teacher,
    course_for_viewer,
    is_course_teacher,
    is_enrolled,
)
from courses.forms import AnnouncementForm, CourseForm, LessonForm, MarkdownPreviewForm, ModuleForm
from courses.markdown import render_markdown
from courses.models import Lesson, Module


def _require_author(request: AuthenticatedRequest) -> None:
    if not request.user.can_author_courses:
        raise PermissionDenied(_("Only teachers can create courses. Ask an admin to make you one."))


@require_GET
def catalog(request: HtmxRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.catalog(query=query), 12).get_page(request.GET.get("page"))
    context = {"page": page, "query": query}
    if request.htmx:
        return render(request, "courses/catalog.html#results", context)
    return render(request, "courses/catalog.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def course_create(request: AuthenticatedRequest) -> HttpResponse:
    _require_author(request)
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        course = services.course_create(author=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("Course “%(title)s” created. Add a module to start.") % {"title": course.title},
        )
        return redirect(course)
    return render(request, "courses/course_form.html", {"form": form})


@require_GET
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_viewer(user=request.user, slug=slug)
    teaching = is_course_teacher(request.user, course)
    enrolled = is_enrolled(request.user, course)
    # Only enrolled students have progress; everyone else has no completed lessons to mark.
    progress = selectors.course_progress(user=request.user, course=course) if enrolled else None
    context = {
        "course": course,
        "description": render_markdown(course.description),
        "modules": selectors.course_outline(course=course),
        "teaching": teaching,
        "enrolled": enrolled,
        "can_read": teaching or (enrolled and course.is_published),
        "completed_ids": progress.completed_ids if progress else frozenset(),
        "progress": progress,
        "announcements": course.announcements.all()[:5] if (teaching or enrolled) else [],
        "announcement_form": AnnouncementForm() if teaching else None,
    }
    return render(request, "courses/course_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def course_edit(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        course = services.course_update(course=course, **form.cleaned_data)
        messages.success(request, _("Course saved."))
        return redirect(course)
    return render(request, "courses/course_form.html", {"form": form, "course": course})


@login_required
@require_POST
def course_publish(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    publish = request.POST.get("publish") == "1"
    with refusal_as_message(request) as refused:
        services.course_set_published(course=course, published=publish)
    if not refused:
        messages.success(
            request, _("Course published.") if publish else _("Course moved back to draft.")
        )
    return redirect(course)


@login_required
@require_POST
def course_enroll(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_viewer(user=request.user, slug=slug)
    with refusal_as_message(request) as refused:
        services.enrollment_create(user=request.user, course=course)
    if refused:
        return redirect(course)
    messages.success(request, _("You are enrolled in “%(title)s”.") % {"title": course.title})
    first = selectors.course_progress(user=request.user, course=course).next_lesson
    return redirect(first or course)


@login_required
@require_POST
def course_unenroll(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_viewer(user=request.user, slug=slug)
    services.enrollment_delete(user=request.user, course=course)
    messages.success(request, _("You left “%(title)s”.") % {"title": course.title})
    return redirect("dashboard")


@login_required
@require_GET
def course_students(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    page = Paginator(selectors.course_roster(course=course), 50).get_page(request.GET.get("page"))
    total = course.lessons.count()
    return render(
        request,
        "courses/course_students.html",
        {"course": course, "page": page, "lesson_total": total},
    )


@login_required
@require_POST
def announcement_create(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    form = AnnouncementForm(request.POST)
    if form.is_valid():
        services.announcement_create(course=course, author=request.user, **form.cleaned_data)
        messages.success(request, _("Announcement sent to everyone enrolled."))
    else:
        messages.error(request, _("The announcement needs a title and a message."))
    return redirect(course)


@login_required
@require_http_methods(["GET", "POST"])
def module_create(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    form = ModuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.module_create(course=course, **form.cleaned_data)
        messages.success(request, _("Module added."))
        return redirect(course)
    return render(request, "courses/module_form.html", {"form": form, "course": course})


@login_required
@require_http_methods(["GET", "POST"])
def module_edit(request: HttpRequest, slug: str, module_id: int) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    module = get_object_or_404(Module, pk=module_id, course=course)
    form = ModuleForm(request.POST or None, instance=module)
    if request.method == "POST" and form.is_valid():
        services.module_update(module=module, **form.cleaned_data)
        messages.success(request, _("Module saved."))
        return redirect(course)
    return render(
        request, "courses/module_form.html", {"form": form, "course": course, "module": module}
    )


@login_required
@require_http_methods(["GET", "POST"])
def lesson_create(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    if not course.modules.exists():
        messages.error(request, _("Add a module first: every lesson belongs to a module."))
        return redirect("courses:module_create", slug=course.slug)
    initial = {"module": request.GET.get("module")}
    form = LessonForm(request.POST or None, course=course, initial=initial)
    if request.method == "POST" and form.is_valid():
        lesson = services.lesson_create(**form.cleaned_data)
        messages.success(request, _("Lesson “%(title)s” created.") % {"title": lesson.title})
        return redirect(lesson)
    return render(request, "courses/lesson_form.html", {"form": form, "course": course})


@login_required
@require_http_methods(["GET", "POST"])
def lesson_edit(request: HttpRequest, slug: str, lesson_slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    lesson = get_object_or_404(Lesson, course=course, slug=lesson_slug)
    form = LessonForm(request.POST or None, course=course, instance=lesson)
    if request.method == "POST" and form.is_valid():
        lesson = services.lesson_update(lesson=lesson, **form.cleaned_data)
        messages.success(request, _("Lesson saved."))
        return redirect(lesson)
    return render(
        request, "courses/lesson_form.html", {"form": form, "course": course, "lesson": lesson}
    )


@login_required
@require_POST
def markdown_preview(request: HttpRequest, slug: str) -> HttpResponse:
    course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    form = MarkdownPreviewForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    return render(request, "courses/_markdown_preview.html", {"html": render_markdown(body)})


@login_required
@require_POST
def lesson_complete(request: HttpRequest, slug: str, lesson_slug: str) -> HttpResponse:
    course = course_for_viewer(user=request.user, slug=slug)
    lesson = get_object_or_404(Lesson, course=course, slug=lesson_slug)
    if not can_read_lessons(request.user, course):
        raise PermissionDenied(_("Enroll in the course first."))
    services.lesson_mark_complete(user=request.user, lesson=lesson)
    following = selectors.course_progress(user=request.user, course=course).next_lesson
    if following:
        messages.success(
            request,
            _("Marked “%(title)s” as done. Next: %(next)s.")
            % {"title": lesson.title, "next": following.title},
        )
        return redirect(following)
    messages.success(request, _("You have finished every lesson of this course. Well done!"))
    return redirect(course)
