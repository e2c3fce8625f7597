"""Pages: a student's path and practice, a teacher's concepts, questions and class view."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from core.errors import DomainError
from core.spreadsheets import csv_download, spreadsheet_safe
from courses.access import course_for_reader, course_for_teacher, is_course_teacher, is_enrolled
from courses.markdown import render_markdown
from courses.models import Course
from learning import charts, drafting
from learning.forms import AnswerForm, ConceptForm, DraftForm, ImportForm, QuestionForm
from learning.models import Concept, PracticeQuestion, QuestionStatus
from learning.selectors import classroom, paths
from learning.services import concepts as concept_services
from learning.services import practice as practice_services

HEATMAP_PAGE_SIZE = 50


READER_DENIED = gettext_lazy("Enroll in the course to see your learning path.")


def path_student(request: HttpRequest, course: Course) -> User:
    """Whose path: your own, or, for the course's teachers, an enrolled student's (?student=)."""
    student_id = request.GET.get("student")
    if not student_id:
        return request.user  # type: ignore[return-value]
    if not is_course_teacher(request.user, course):
        raise PermissionDenied(_("Only this course's teachers can see other students' paths."))
    student = User.objects.filter(pk=student_id).first() if student_id.isdigit() else None
    if student is None or not is_enrolled(student, course):
        raise Http404("No such student in this course.")
    return student


@login_required
@require_GET
def path(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_reader(user=request.user, slug=slug, denied=str(READER_DENIED))
    student = path_student(request, course)
    learning_path = paths.student_path(course=course, student=student)
    return render(
        request,
        "learning/path.html",
        {
            "course": course,
            "path": learning_path,
            "student": student,
            "is_own": student.pk == request.user.pk,
            "is_teacher": is_course_teacher(request.user, course),
            "mastery_chart": charts.mastery_bars(learning_path.concepts, learning_path.threshold),
            "progress_chart": charts.progress_line(
                learning_path.progress, len(learning_path.concepts)
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def practice(request: AuthenticatedRequest, slug: str, question_id: int) -> HttpResponse:
    course = course_for_reader(user=request.user, slug=slug, denied=str(READER_DENIED))
    question = get_object_or_404(
        PracticeQuestion.objects.select_related("concept"), pk=question_id, concept__course=course
    )
    teacher = is_course_teacher(request.user, course)
    if question.status != QuestionStatus.APPROVED and not teacher:
        raise Http404("No such question.")
    form = AnswerForm(request.POST or None, question=question)
    result = None
    if request.method == "POST":
        if teacher and not is_enrolled(request.user, course):
            messages.info(
                request, _("Teachers see the question as students do; answers are not kept.")
            )
        elif form.is_valid():
            try:
                result = practice_services.practice_answer_submit(
                    question=question, student=request.user, response=form.cleaned_data["answer"]
                )
            except DomainError as error:
                form.add_error("answer", str(error))
    context = {
        "course": course,
        "question": question,
        "prompt_html": render_markdown(question.prompt),
        "form": form,
        "result": result,
        "teacher": teacher,
        "next_question": _next_question(question, request.user) if result else None,
    }
    if request.htmx and request.method == "POST":
        return render(request, "learning/practice.html#answer", context)
    return render(request, "learning/practice.html", context)


def _next_question(question: PracticeQuestion, student: User) -> PracticeQuestion | None:
    """Another approved question on the same concept, the one answered least recently."""
    others = (
        PracticeQuestion.objects.approved().filter(concept=question.concept).exclude(pk=question.pk)
    )
    answered = dict(
        student.practice_answers.filter(question__in=others).values_list(
            "question_id", "created_at"
        )
    )
    return min(others, key=lambda q: (q.pk in answered, answered.get(q.pk), q.pk), default=None)


# --- Teachers: concepts and questions -----------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def concepts(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    form = ConceptForm(request.POST or None, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            concept = concept_services.concept_save(course=course, **form.service_fields())
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Concept “%(name)s” added.") % {"name": concept.name})
            return redirect("learning:concepts", course.slug)
    listing = (
        Concept.objects.filter(course=course)
        .prefetch_related("prerequisites", "lessons", "questions")
        .order_by("position", "id")
    )
    return render(
        request,
        "learning/concepts.html",
        {"course": course, "concepts": listing, "form": form, "import_form": ImportForm()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def concept_edit(request: HttpRequest, slug: str, concept_slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    concept = get_object_or_404(Concept, course=course, slug=concept_slug)
    form = ConceptForm(request.POST or None, instance=concept, course=course)
    if request.method == "POST" and form.is_valid():
        try:
            concept_services.concept_save(course=course, concept=concept, **form.service_fields())
        except DomainError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Concept “%(name)s” saved.") % {"name": concept.name})
            return redirect("learning:concepts", course.slug)
    return render(
        request, "learning/concept_form.html", {"course": course, "concept": concept, "form": form}
    )


@login_required
@require_POST
def concept_delete(request: HttpRequest, slug: str, concept_slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    concept = get_object_or_404(Concept, course=course, slug=concept_slug)
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick the box to confirm: students' mastery of it goes too."))
        return redirect("learning:concept_edit", course.slug, concept.slug)
    concept.delete()
    messages.success(
        request,
        _("Concept “%(name)s” deleted, with its questions and mastery.") % {"name": concept.name},
    )
    return redirect("learning:concepts", course.slug)


@login_required
@require_GET
def concepts_export(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    response = HttpResponse(
        json.dumps(concept_services.concepts_export(course=course), indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{course.slug}-concepts.json"'
    return response


@login_required
@require_POST
def concepts_import(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = concept_services.concepts_import(
                course=course, data=form.cleaned_data["parsed"], by=request.user
            )
        except concept_services.ImportRefused as error:
            for problem in error.problems[:20]:
                form.add_error(None, problem)
        else:
            messages.success(
                request,
                _(
                    "Imported: %(created)s new concepts, %(updated)s updated, "
                    "%(questions)s questions added."
                )
                % {
                    "created": result.created,
                    "updated": result.updated,
                    "questions": result.questions,
                },
            )
            return redirect("learning:concepts", course.slug)
    listing = Concept.objects.filter(course=course).prefetch_related(
        "prerequisites", "lessons", "questions"
    )
    return render(
        request,
        "learning/concepts.html",
        {
            "course": course,
            "concepts": listing,
            "form": ConceptForm(course=course),
            "import_form": form,
        },
        status=400,
    )


@login_required
@require_POST
def concepts_fit(request: HttpRequest, slug: str) -> HttpResponse:
    from learning.tasks import concept_params_fit

    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    concept_params_fit.delay_on_commit(course.pk)
    messages.success(
        request,
        _(
            "Fitting the knowledge-tracing parameters from the class's answers; concepts with too "
            "little data keep their defaults. Reload this page in a minute."
        ),
    )
    return redirect("learning:concepts", course.slug)


@login_required
@require_http_methods(["GET", "POST"])
def questions(request: AuthenticatedRequest, slug: str, concept_slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    concept = get_object_or_404(Concept, course=course, slug=concept_slug)
    form = QuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        practice_services.question_create(concept=concept, by=request.user, **form.question_fields)
        messages.success(request, _("Question added; students can practise it now."))
        return redirect("learning:questions", course.slug, concept.slug)
    listing = list(concept.questions.select_related("source_lesson").order_by("status", "id"))
    context = {
        "course": course,
        "concept": concept,
        "questions": listing,
        "drafting": any(q.status == QuestionStatus.DRAFTING for q in listing),
        "form": form,
        "draft_form": DraftForm(concept=concept),
    }
    if request.htmx and request.GET.get("list"):
        return render(request, "learning/questions.html#question-list", context)
    return render(request, "learning/questions.html", context)


def _question_for_teacher(request: HttpRequest, slug: str, question_id: int) -> PracticeQuestion:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    return get_object_or_404(
        PracticeQuestion.objects.select_related("concept__course"),
        pk=question_id,
        concept__course=course,
    )


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    question = _question_for_teacher(request, slug, question_id)
    if question.status == QuestionStatus.DRAFTING:
        messages.info(request, _("This question is still being drafted."))
        return redirect("learning:questions", slug, question.concept.slug)
    form = QuestionForm(request.POST or None, instance=question)
    if request.method == "POST" and form.is_valid():
        approve = "approve" in request.POST
        practice_services.question_update(
            question=question, approve=approve, **form.question_fields
        )
        messages.success(
            request,
            _("Question approved: students can practise it now.") if approve else _("Saved."),
        )
        return redirect("learning:questions", slug, question.concept.slug)
    return render(
        request,
        "learning/question_form.html",
        {"course": question.concept.course, "question": question, "form": form},
    )


@login_required
@require_POST
def question_delete(request: HttpRequest, slug: str, question_id: int) -> HttpResponse:
    question = _question_for_teacher(request, slug, question_id)
    question.delete()
    messages.success(request, _("Question deleted."))
    return redirect("learning:questions", slug, question.concept.slug)


@login_required
@require_POST
def question_draft(request: HttpRequest, slug: str, concept_slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    concept = get_object_or_404(Concept, course=course, slug=concept_slug)
    form = DraftForm(request.POST, concept=concept)
    if form.is_valid():
        drafting.question_draft_request(
            concept=concept,
            lesson=form.cleaned_data["lesson"],
            kind=form.cleaned_data["kind"],
            by=request.user,
        )
        messages.success(
            request, _("The model is drafting a question; review and approve it when it appears.")
        )
    else:
        messages.error(request, _("Choose a lesson and a kind of question."))
    return redirect("learning:questions", course.slug, concept.slug)


# --- Teachers: the class view -------------------------------------------------------------------


@login_required
@require_GET
def class_view(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    view = classroom.class_view(course=course)
    page = Paginator(view.rows, HEATMAP_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "learning/class.html",
        {
            "course": course,
            "view": view,
            "page": page,
            "rows": page.object_list,
            "stuck_attempts": settings.LEARNING_STUCK_ATTEMPTS,
        },
    )


@login_required
@require_GET
def class_view_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """The whole heatmap (every student, not one page) for a spreadsheet: mastery 0 to 1 per
    concept, empty where the student has no answer yet."""
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    view = classroom.class_view(course=course)
    response, writer = csv_download(f"{course.slug}-mastery.csv")
    writer.writerow(
        ["username", "name", *(spreadsheet_safe(c.name) for c in view.concepts), "mastered"]
    )
    for row in view.rows:
        writer.writerow(
            [
                row.student.username,
                spreadsheet_safe(row.student.get_full_name()),
                *("" if value is None else f"{value:.2f}" for value in row.cells),
                row.mastered,
            ]
        )
    return response
