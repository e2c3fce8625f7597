from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.http import AuthenticatedRequest
from core.errors import DomainError
from courses.access import (
    can_read_lessons,
    course_for_reader,
    course_for_teacher,
    is_course_teacher,
)
from courses.models import Course, Lesson
from tutor import selectors, services
from tutor.models import Conversation, Message, Mode

TUTOR_DENIED = gettext_lazy("Enroll in the course to ask its tutor.")
CONVERSATIONS_DENIED = gettext_lazy("Only this course's teachers can see its tutor conversations.")


def course_tutor_url(course: Course) -> str:
    return reverse("tutor:course", args=[course.slug])


@login_required
@require_GET
def course_tutor(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_reader(user=request.user, slug=slug, denied=str(TUTOR_DENIED))
    page = Paginator(
        selectors.student_conversations(user=request.user, course=course), 20
    ).get_page(request.GET.get("page"))
    context = {
        **selectors.tutor_panel(user=request.user, course=course),
        "page": page,
        "teaching": is_course_teacher(request.user, course),
    }
    return render(request, "tutor/course_tutor.html", context)


@login_required
@require_GET
def conversation_detail(request: HttpRequest, slug: str, conversation_id: int) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    conversation = get_object_or_404(
        Conversation.objects.select_related("student", "lesson"), pk=conversation_id, course=course
    )
    if conversation.student_id == request.user.pk and can_read_lessons(request.user, course):
        context = {
            **selectors.tutor_panel(
                user=request.user,
                course=course,
                lesson=conversation.lesson,
                conversation=conversation,
            ),
            "page": Paginator(
                selectors.student_conversations(user=request.user, course=course), 20
            ).get_page(1),
            "teaching": is_course_teacher(request.user, course),
        }
        return render(request, "tutor/course_tutor.html", context)
    if is_course_teacher(request.user, course):
        context = {
            "course": course,
            "conversation": conversation,
            "transcript": selectors.transcript(conversation=conversation),
        }
        return render(request, "tutor/conversation_review.html", context)
    raise Http404("No such conversation.")  # another student's is not even confirmed to exist


@login_required
@require_POST
def ask(request: HttpRequest, slug: str) -> HttpResponse:
    """The tutor without JavaScript: the whole answer, then the conversation page."""
    course = course_for_reader(user=request.user, slug=slug, denied=str(TUTOR_DENIED))
    lesson = None
    if request.POST.get("lesson"):
        lesson = get_object_or_404(Lesson, course=course, slug=request.POST["lesson"])
    try:
        conversation_id = (
            int(request.POST["conversation"]) if request.POST.get("conversation") else None
        )
        turn = services.turn_start(
            user=request.user,
            course=course,
            text=request.POST.get("question", ""),
            mode=request.POST.get("mode") or Mode.EXPLAIN,
            conversation_id=conversation_id,
            lesson=lesson,
        )
    except ValueError:
        raise Http404("No such conversation.") from None
    except DomainError as exc:  # a bad question, a busy tutor, or no questions left
        messages.error(request, str(exc))
        return redirect(lesson or course_tutor_url(course))
    services.turn_complete(turn)
    return redirect(turn.conversation)


@login_required
@require_POST
def message_rate(request: AuthenticatedRequest, slug: str, message_id: int) -> HttpResponse:
    message = get_object_or_404(
        Message.objects.select_related("conversation__course"),
        pk=message_id,
        conversation__course__slug=slug,
        conversation__student=request.user,
    )
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        return HttpResponse(_("Choose helpful or not helpful."), status=400)
    try:
        services.message_rate(
            message=message, helpful=helpful == "yes", comment=request.POST.get("comment", "")
        )
    except services.TutorError as exc:
        return HttpResponse(str(exc), status=409)
    if request.htmx:
        return render(request, "tutor/_rating.html", {"m": message, "owner": True})
    messages.success(request, _("Thanks: your rating helps the teacher improve the course."))
    return redirect(message.conversation)


@login_required
@require_GET
def insights(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(
        user=request.user, slug=slug, denied=str(CONVERSATIONS_DENIED), hide_draft=False
    )
    try:
        student_id = int(request.GET.get("student") or 0) or None
    except ValueError:
        student_id = None
    not_helpful = request.GET.get("rating") == "not_helpful"
    conversations = selectors.course_conversations(
        course=course, student_id=student_id, not_helpful=not_helpful
    )
    context = {
        "course": course,
        "page": Paginator(conversations, 25).get_page(request.GET.get("page")),
        "student_id": student_id,
        "students": selectors.students_with_conversations(course=course),
        "not_helpful": not_helpful,
        "not_helpful_answers": selectors.not_helpful_answers(course=course)[:20],
        "uncovered": selectors.uncovered_questions(course=course)[:20],
        "topics": selectors.top_topics(course=course),
        "support_topics": selectors.low_support_topics(course=course),
    }
    return render(request, "tutor/insights.html", context)
