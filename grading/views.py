"""Pages for assignments, submissions, teachers' review queue and gradebook."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from assist.selectors import assignment_signals
from assist.services import assignment_opened
from core.errors import DomainError
from core.refusals import refusal_as_message
from core.spreadsheets import csv_download, spreadsheet_safe
from courses.access import course_for_reader, course_for_teacher, is_course_teacher, is_enrolled
from courses.markdown import render_markdown
from courses.models import Course
from grading import selectors, services
from grading.calibration import calibration_summary, grading_settings_update
from grading.evidence import criteria_specs
from grading.forms import (
    AssignmentForm,
    GradingSettingsForm,
    RegradeRequestForm,
    ReviewForm,
    SubmissionForm,
)
from grading.models import Assignment, Submission
from grading.services import rubric_facts_approve

READER_DENIED = gettext_lazy("Enroll in the course to see its assignments.")


def _get_assignment(request: HttpRequest, course: Course, assignment_id: int) -> Assignment:
    assignment = get_object_or_404(Assignment, pk=assignment_id, course=course)
    if not assignment.is_published and not is_course_teacher(request.user, course):
        raise Http404(_("No such assignment."))
    return assignment


def _get_submission(request: HttpRequest, course: Course, submission_id: int) -> Submission:
    """A student's own submission, or any of the course's for its teachers; else 404."""
    submission = get_object_or_404(
        Submission.objects.select_related("assignment__course", "student"),
        pk=submission_id,
        assignment__course=course,
    )
    if submission.student_id != request.user.pk and not is_course_teacher(request.user, course):
        raise Http404(_("No such submission."))
    return submission


@login_required
@require_GET
def assignment_list(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_reader(user=request.user, slug=slug, denied=READER_DENIED)
    teaching = is_course_teacher(request.user, course)
    standings = selectors.course_assignments(
        course=course, student=None if teaching else request.user, teacher=teaching
    )
    return render(
        request,
        "grading/assignment_list.html",
        {"course": course, "standings": standings, "teaching": teaching},
    )


@login_required
@require_http_methods(["GET", "POST"])
def assignment_create(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    form = AssignmentForm(request.POST or None, course=course)
    if request.method == "POST" and form.is_valid():
        assignment = services.assignment_create(
            course=course, created_by=request.user, **form.service_fields()
        )
        messages.success(
            request, _("Assignment “%(title)s” created.") % {"title": assignment.title}
        )
        return redirect(assignment)
    return render(request, "grading/assignment_form.html", {"course": course, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def assignment_edit(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    assignment = _get_assignment(request, course, assignment_id)
    form = AssignmentForm(request.POST or None, instance=assignment, course=course)
    if request.method == "POST" and form.is_valid():
        before = assignment.grading_version
        assignment = services.assignment_update(assignment=assignment, **form.service_fields())
        messages.success(request, _("Assignment saved."))
        if assignment.grading_version != before and assignment.submissions.exists():
            messages.info(
                request, _("The grading changed: regrade the submissions to apply it to them.")
            )
        return redirect(assignment)
    context = {"course": course, "form": form, "assignment": assignment}
    return render(request, "grading/assignment_form.html", context)


@login_required
@require_GET
def assignment_detail(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    course = course_for_reader(user=request.user, slug=slug, denied=READER_DENIED)
    assignment = _get_assignment(request, course, assignment_id)
    teaching = is_course_teacher(request.user, course)
    if not teaching:
        assignment_opened(user=request.user, assignment=assignment)  # for the review's facts
    submissions = list(selectors.student_submissions(assignment=assignment, student=request.user))
    latest = submissions[0] if submissions else None
    form = SubmissionForm(
        initial={"code": latest.code if latest else assignment.starter_code}
        if assignment.is_code
        else {"text": latest.text if latest else ""}
    )
    context = {
        "course": course,
        "assignment": assignment,
        "instructions": render_markdown(assignment.instructions),
        "teaching": teaching,
        "can_submit": is_enrolled(request.user, course),
        "form": form,
        "history": [selectors.submission_frame(submission) for submission in submissions],
        "latest": selectors.submission_frame(latest) if latest else None,
        "counted": selectors.counted_submission(submissions, assignment.score_policy),
        "stale": assignment.submissions.exclude(grading_version=assignment.grading_version).count()
        if teaching
        else 0,
    }
    if teaching and not assignment.is_code:
        summary = calibration_summary(assignment=assignment)
        context["calibration"] = summary
        context["specs"] = criteria_specs(
            reference=assignment.reference_answer,
            rubric=assignment.rubric,
            question=assignment.instructions,
        )
        context["settings_form"] = GradingSettingsForm(initial={"release_qwk": summary.threshold})
    return render(request, "grading/assignment_detail.html", context)


@login_required
@require_POST
def grading_settings(request: HttpRequest, slug: str) -> HttpResponse:
    """The course's agreement threshold for releasing free-text scores without review."""
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    form = GradingSettingsForm(request.POST)
    if form.is_valid():
        grading_settings_update(course=course, release_qwk=form.cleaned_data["release_qwk"])
        messages.success(request, _("Release threshold saved."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(_back(request, fallback=course.get_absolute_url()))


@login_required
@require_POST
def assignment_facts_approve(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    """Write the facts the grader drafted from the reference answer into the rubric: from now
    on they are the teacher's, edited with the rubric."""
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    assignment = _get_assignment(request, course, assignment_id)
    if assignment.is_code:
        raise Http404(_("Code assignments have no facts."))
    rubric_facts_approve(assignment=assignment)
    messages.success(request, _("The drafted facts are now part of the rubric; edit them there."))
    return redirect(assignment)


@login_required
@require_POST
def assignment_wrong_claims_draft(
    request: HttpRequest, slug: str, assignment_id: int
) -> HttpResponse:
    """The model drafts common wrong claims per criterion, for the teacher to approve."""
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    assignment = _get_assignment(request, course, assignment_id)
    if assignment.is_code:
        raise Http404(_("Code assignments have no wrong claims."))
    services.wrong_claims_draft_request(assignment=assignment)
    messages.info(
        request, _("The model is drafting wrong claims; reload this page in a moment to see them.")
    )
    return redirect(assignment)


def _back(request: HttpRequest, *, fallback: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def submission_create(request: AuthenticatedRequest, slug: str, assignment_id: int) -> HttpResponse:
    course = course_for_reader(user=request.user, slug=slug, denied=READER_DENIED)
    assignment = _get_assignment(request, course, assignment_id)
    if not is_enrolled(request.user, course):
        raise PermissionDenied(_("Only enrolled students submit; teachers review."))
    form = SubmissionForm(request.POST)
    error = ""
    submission = None
    if form.is_valid():
        try:
            submission = services.submission_create(
                assignment=assignment,
                student=request.user,
                code=form.cleaned_data["code"],
                text=form.cleaned_data["text"],
            )
        except DomainError as refused:
            error = str(refused)
    else:
        error = " ".join(str(e) for errors in form.errors.values() for e in errors)
    if request.htmx:
        if submission is not None:
            submission.refresh_from_db()  # an eager or fast worker may have graded it already
        context: dict[str, Any] = {
            "s": selectors.submission_frame(submission) if submission else None
        }
        context["error"] = error
        return render(request, "grading/_submit_outcome.html", context)
    if error or submission is None:
        messages.error(request, error)
        return redirect(assignment)
    return redirect(submission)


@login_required
@require_GET
def submission_detail(request: HttpRequest, slug: str, submission_id: int) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    submission = _get_submission(request, course, submission_id)
    teaching = is_course_teacher(request.user, course)
    context = {
        "course": course,
        "assignment": submission.assignment,
        "submission": submission,
        "s": selectors.submission_frame(submission, teacher=teaching),
        "teaching": teaching,
        "review_form": ReviewForm(
            initial={"score": submission.score, "comment": submission.review_comment}
        ),
        "regrade_form": RegradeRequestForm(),
        # Facts about the student's AI use on this assignment, for the teacher only; no score.
        "ai_signals": assignment_signals(
            assignment=submission.assignment,
            student=submission.student,
            submitted_at=submission.created_at,
        )
        if teaching
        else None,
    }
    return render(request, "grading/submission_detail.html", context)


@login_required
@require_GET
def submission_status(request: HttpRequest, slug: str, submission_id: int) -> HttpResponse:
    """The result panel alone: pages poll it while grading, in case a live frame was missed."""
    course = get_object_or_404(Course, slug=slug)
    submission = _get_submission(request, course, submission_id)
    frame = selectors.submission_frame(submission, teacher=is_course_teacher(request.user, course))
    return render(request, "grading/_submission_result.html", {"s": frame})


@login_required
@require_POST
def submission_review(request: HttpRequest, slug: str, submission_id: int) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    submission = _get_submission(request, course, submission_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect(submission)
    override = form.cleaned_data["action"] == "override"
    with refusal_as_message(request) as refused:
        services.submission_review(
            submission=submission,
            reviewer=request.user,
            score=form.cleaned_data["score"] if override else None,
            comment=form.cleaned_data["comment"],
        )
    if not refused:
        messages.success(request, _("Score overridden.") if override else _("Grade approved."))
    # `next` comes from the form: only a page of this site, never another host (open redirect).
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = submission.get_absolute_url()
    return redirect(target)


@login_required
@require_POST
def submission_regrade_request(request: HttpRequest, slug: str, submission_id: int) -> HttpResponse:
    course = get_object_or_404(Course, slug=slug)
    submission = _get_submission(request, course, submission_id)
    if submission.student_id != request.user.pk:
        raise PermissionDenied(_("Only the student who submitted can ask for a regrade."))
    form = RegradeRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say what you think the grader got wrong."))
        return redirect(submission)
    with refusal_as_message(request) as refused:
        services.submission_regrade_request(
            submission=submission, reason=form.cleaned_data["reason"]
        )
    if not refused:
        messages.success(
            request, _("Your teacher has been asked to look at this submission again.")
        )
    return redirect(submission)


@login_required
@require_POST
def submission_regrade(request: HttpRequest, slug: str, submission_id: int) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    submission = _get_submission(request, course, submission_id)
    queued = services.submissions_regrade(assignment=submission.assignment, submission=submission)
    messages.success(request, _("Queued for regrading.") if queued else _("Still being graded."))
    return redirect(submission)


@login_required
@require_POST
def assignment_regrade(request: HttpRequest, slug: str, assignment_id: int) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    assignment = _get_assignment(request, course, assignment_id)
    queued = services.submissions_regrade(assignment=assignment)
    messages.success(
        request,
        ngettext(
            "%(count)d submission queued for regrading.",
            "%(count)d submissions queued for regrading.",
            queued,
        )
        % {"count": queued},
    )
    return redirect(assignment)


@login_required
@require_GET
def review_queue(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    filter_name = request.GET.get("filter", "needs_review")
    if filter_name not in selectors.REVIEW_FILTERS:
        filter_name = "needs_review"
    try:
        assignment_id = int(request.GET.get("assignment") or 0)
    except ValueError:
        assignment_id = 0
    queue: Any = (
        selectors.review_suggestions(course=course, assignment_id=assignment_id)
        if filter_name == "suggested"
        else selectors.review_queue(
            course=course, filter_name=filter_name, assignment_id=assignment_id
        )
    )
    page = Paginator(queue, 25).get_page(request.GET.get("page"))
    context = {
        "course": course,
        "page": page,
        "filters": list(selectors.REVIEW_FILTERS.items()),
        "filter_name": filter_name,
        "assignments": course.assignments.all(),
        "assignment_id": assignment_id,
        "review_form": ReviewForm(),
    }
    return render(request, "grading/review_queue.html", context)


@login_required
@require_GET
def gradebook(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    book = selectors.gradebook(course=course)
    context = {"course": course, "book": book, "histograms": selectors.score_histograms(book)}
    return render(request, "grading/gradebook.html", context)


@login_required
@require_GET
def gradebook_csv(request: HttpRequest, slug: str) -> HttpResponse:
    course = course_for_teacher(user=request.user, slug=slug, hide_draft=False)
    book = selectors.gradebook(course=course)
    response, writer = csv_download(f"{course.slug}-gradebook.csv")
    writer.writerow(
        [
            "username",
            "name",
            *(f"{a.title} (/{_plain(a.max_score)})" for a in book.assignments),
            f"total (/{_plain(book.max_total)})",
        ]
    )
    for student, counted, total in book.rows:
        writer.writerow(
            [
                student.username,
                spreadsheet_safe(student.get_full_name()),
                *("" if s is None or s.score is None else _plain(s.score) for s in counted),
                _plain(total),
            ]
        )
    return response


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}"  # 10.00 -> "10", 7.50 -> "7.5"
