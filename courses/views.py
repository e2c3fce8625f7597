from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError
from courses import selectors, services
from courses.access import can_read_lessons, can_view_course, is_course_teacher, is_enrolled
from courses.forms import AnnouncementForm, CourseForm, LessonForm, MarkdownPreviewForm, ModuleForm
from courses.markdown import render_markdown
from courses.models import Course, Lesson, Module
from grading import selectors as grading_selectors
from learning.selectors import paths as learning_paths
from tutor.selectors import tutor_panel


def _get_course_for_viewer(request: HttpRequest, slug: str) -> Course:
    course = get_object_or_404(Course, slug=slug)
    if not can_view_course(request.user, course):
        raise Http404("No such course.")  # a draft's existence is not leaked
    return course


def _get_course_for_teacher(request: HttpRequest, slug: str) -> Course:
    course = get_object_or_404(Course, slug=slug)
    if not is_course_teacher(request.user, course):
        raise PermissionDenied("Only this course's teachers can do that.")
    return course


def _require_author(request: HttpRequest) -> None:
    if not request.user.can_author_courses:
        raise PermissionDenied("Only teachers can create courses. Ask an admin to make you one.")


@require_GET
def catalog(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    page = Paginator(selectors.catalog(query=query), 12).get_page(request.GET.get("page"))
    context = {"page": page, "query": query}
    if request.htmx:
        return render(request, "courses/catalog.html#results", context)
    return render(request, "courses/catalog.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def course_create(request: HttpRequest) -> HttpResponse:
    _require_author(request)
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        course = services.course_create(author=request.user, **form.cleaned_data)
        messages.success(request, f"Course “{course.title}” created. Add a module to start.")
        return redirect(course)
    return render(request, "courses/course_form.html", {"form": form})


@require_GET
def course_detail(request: HttpRequest, slug: str) -> HttpResponse:
    course = _get_course_for_viewer(request, slug)
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
    course = _get_course_for_teacher(request, slug)
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        course = services.course_update(course=course, **form.cleaned_data)
        messages.success(request, "Course saved.")
        return redirect(course)
    return render(request, "courses/course_form.html", {"form": form, "course": course})


@login_required
@require_POST
def course_publish(request: HttpRequest, slug: str) -> HttpResponse:
    course = _get_course_for_teacher(request, slug)
    publish = request.POST.get("publish") == "1"
    try:
        services.course_set_published(course=course, published=publish)
    except DomainError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Course published." if publish else "Course moved back to draft.")
    return redirect(course)


@login_required
@require_POST
def course_enroll(request: HttpRequest, slug: str) -> HttpResponse:
    course = _get_course_for_viewer(request, slug)
    try:
        services.enrollment_create(user=request.user, course=course)
    except DomainError as error:
        messages.error(request, str(error))
        return redirect(course)
    messages.success(request, f"You are enrolled in “{course.title}”.")
    first = selectors.course_progress(user=request.user, course=course).next_lesson
    return redirect(first or course)


@login_required
@require_POST
def course_unenroll(request: HttpRequest, slug: str) -> HttpResponse:
    course = _get_course_for_viewer(request, slug)
    services.enrollment_delete(user=request.user, course=course)
    messages.success(request, f"You left “{course.title}”.")
    return redirect("dashboard")


@login_required
@require_GET
def course_students(request: HttpRequest, slug: str) -> HttpResponse:
    course = _get_course_for_teacher(request, slug)
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
    course = _get_course_for_teacher(request, slug)
    form = AnnouncementForm(request.POST)
    if form.is_valid():
        services.announcement_create(course=course, author=request.user, **form.cleaned_data)
        messages.success(request, "Announcement sent to everyone enrolled.")
    else:
        messages.error(request, "The announcement needs a title and a message.")
    return redirect(course)


@login_required
@require_http_methods(["GET", "POST"])
def module_create(request: HttpRequest, slug: str) -> HttpResponse:
    course = _get_course_for_teacher(request, slug)
    form = ModuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.module_create(course=course, **form.cleaned_data)
        messages.success(request, "Module added.")
        return redirect(course)
    return render(request, "courses/module_form.html", {"form": form, "course": course})


@login_required
@require_http_methods(["GET", "POST"])
def module_edit(request: HttpRequest, slug: str, module_id: int) -> HttpResponse:
    course = _get_course_for_teacher(request, slug)
    module = get_object_or_404(Module, pk=module_id, course=course)
    form = ModuleForm(request.POST or None, instance=module)
    if request.method == "POST" and form.is_valid():
        services.module_update(module=module, **form.cleaned_data)
        messages.success(request, "Module saved.")
        return redirect(course)
    return render(
        request, "courses/module_form.html", {"form": form, "course": course, "module": module}
    )


@login_required
@require_http_methods(["GET", "POST"])
def lesson_create(request: HttpRequest, slug: str) -> HttpResponse:
    course = _get_course_for_teacher(request, slug)
    if not course.modules.exists():
        messages.error(request, "Add a module first: every lesson belongs to a module.")
        return redirect("courses:module_create", slug=course.slug)
    initial = {"module": request.GET.get("module")}
    form = LessonForm(request.POST or None, course=course, initial=initial)
    if request.method == "POST" and form.is_valid():
        lesson = services.lesson_create(**form.cleaned_data)
        messages.success(request, f"Lesson “{lesson.title}” created.")
        return redirect(lesson)
    return render(request, "courses/lesson_form.html", {"form": form, "course": course})


@login_required
@require_http_methods(["GET", "POST"])
def lesson_edit(request: HttpRequest, slug: str, lesson_slug: str) -> HttpResponse:
    course = _get_course_for_teacher(request, slug)
    lesson = get_object_or_404(Lesson, course=course, slug=lesson_slug)
    form = LessonForm(request.POST or None, course=course, instance=lesson)
    if request.method == "POST" and form.is_valid():
        lesson = services.lesson_update(lesson=lesson, **form.cleaned_data)
        messages.success(request, "Lesson saved.")
        return redirect(lesson)
    return render(
        request, "courses/lesson_form.html", {"form": form, "course": course, "lesson": lesson}
    )


@login_required
@require_POST
def markdown_preview(request: HttpRequest, slug: str) -> HttpResponse:
    _get_course_for_teacher(request, slug)
    form = MarkdownPreviewForm(request.POST)
    body = form.cleaned_data["body"] if form.is_valid() else ""
    return render(request, "courses/_markdown_preview.html", {"html": render_markdown(body)})


@login_required
@require_GET
def lesson_detail(request: HttpRequest, slug: str, lesson_slug: str) -> HttpResponse:
    course = _get_course_for_viewer(request, slug)
    lesson = get_object_or_404(
        Lesson.objects.select_related("module"), course=course, slug=lesson_slug
    )
    if not can_read_lessons(request.user, course):
        messages.info(request, "Enroll in the course to read its lessons.")
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
    return render(request, "courses/lesson_detail.html", context)


@login_required
@require_POST
def lesson_complete(request: HttpRequest, slug: str, lesson_slug: str) -> HttpResponse:
    course = _get_course_for_viewer(request, slug)
    lesson = get_object_or_404(Lesson, course=course, slug=lesson_slug)
    if not can_read_lessons(request.user, course):
        raise PermissionDenied("Enroll in the course first.")
    services.lesson_mark_complete(user=request.user, lesson=lesson)
    following = selectors.course_progress(user=request.user, course=course).next_lesson
    if following:
        messages.success(request, f"Marked “{lesson.title}” as done. Next: {following.title}.")
        return redirect(following)
    messages.success(request, "You have finished every lesson of this course. Well done!")
    return redirect(course)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home.html", {"courses": selectors.catalog()[:6]})


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    teaching = list(selectors.teacher_courses(user=user)) if user.can_author_courses else None
    if teaching:
        waiting = grading_selectors.review_counts(course_ids=[c.pk for c in teaching])
        for course in teaching:
            course.to_review = waiting.get(course.pk, 0)
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
    return render(request, "dashboard.html", context)
