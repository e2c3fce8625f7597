"""The teacher's AI page (rules, exams), the usage page and CSV, a student's own usage page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assist.models import AIPolicy, ExamWindow, Outcome, UsageRecord
from assist.policy import Purpose

pytestmark = pytest.mark.django_db

PAGES = ["assist:settings", "assist:usage", "assist:usage_csv"]


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize(
    ("who", "status"),
    [("enrolled_student", 403), ("other_teacher", 403), ("teacher", 200), ("admin_user", 200)],
)
def test_only_the_course_teachers_and_admins_open_the_ai_pages(
    request, client, course, name, who, status
):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(name, args=[course.slug])).status_code == status


@pytest.mark.parametrize("name", PAGES)
def test_the_ai_pages_need_a_sign_in_and_a_real_course(client, course, teacher, name):
    response = client.get(reverse(name, args=[course.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(teacher)
    assert client.get(reverse(name, args=["no-such-course"])).status_code == 404


@pytest.mark.parametrize(
    "name", ["assist:policy_set", "assist:exam_create", "assist:settings", "assist:usage"]
)
def test_each_ai_page_answers_only_its_method(client, course, teacher, name):
    client.force_login(teacher)
    url = reverse(name, args=[course.slug])
    wrong = client.get if name in ("assist:policy_set", "assist:exam_create") else client.post
    assert wrong(url).status_code == 405


def test_a_teacher_switches_the_ai_off_for_one_assignment_in_the_browser(
    client, course, teacher, assignment
):
    client.force_login(teacher)
    page = client.get(reverse("assist:settings", args=[course.slug])).content.decode()
    assert "Add two numbers" in page and "Schedule an exam" in page
    response = client.post(
        reverse("assist:policy_set", args=[course.slug]),
        {"assignment": assignment.pk, "mode": "off", "instructions": "Don't mention recursion."},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and f'id="ai-assignment-{assignment.pk}"' in html
    assert "Saved." in html and "<html" not in html
    rule = AIPolicy.objects.get(assignment=assignment)
    assert (rule.mode, rule.instructions, rule.updated_by) == (
        "off",
        "Don't mention recursion.",
        teacher,
    )


def test_without_javascript_the_rule_form_saves_and_comes_back(client, course, teacher, lesson):
    client.force_login(teacher)
    url = reverse("assist:policy_set", args=[course.slug])
    response = client.post(url, {"lesson": lesson.pk, "mode": "hints"}, follow=True)
    assert "Students get the new rule from their next question" in response.content.decode()
    assert AIPolicy.objects.get(lesson=lesson).mode == "hints"
    response = client.post(url, {"mode": "off"}, headers={"HX-Request": "true"})
    assert 'id="ai-course-rule"' in response.content.decode()
    assert AIPolicy.objects.get(lesson=None, assignment=None).mode == "off"


def test_bad_rules_are_refused_clearly(client, course, teacher, other_teacher, lesson, assignment):
    from courses import services as course_services

    client.force_login(teacher)
    url = reverse("assist:policy_set", args=[course.slug])
    htmx = {"HX-Request": "true"}
    assert client.post(url, {"mode": "maybe"}, headers=htmx).status_code == 400
    assert client.post(url, {"mode": ""}, headers=htmx).status_code == 400
    both = {"mode": "off", "lesson": lesson.pk, "assignment": assignment.pk}
    assert client.post(url, both, headers=htmx).status_code == 400
    assert client.post(url, {"mode": "off", "assignment": 999999}).status_code == 404
    other = course_services.course_create(author=other_teacher, title="O", slug="o", summary="o")
    other_lesson = course_services.lesson_create(
        module=course_services.module_create(course=other, title="M"),
        title="L",
        slug="l",
        body="x",
    )
    # Another course's lesson is reported as missing, not changed.
    assert client.post(url, {"mode": "off", "lesson": other_lesson.pk}).status_code == 404
    assert not AIPolicy.objects.exists()


@pytest.mark.parametrize("who", ["enrolled_student", "other_teacher"])
def test_nobody_else_changes_the_rules_or_the_exams(request, client, course, who, assignment):
    client.force_login(request.getfixturevalue(who))
    url = reverse("assist:policy_set", args=[course.slug])
    assert client.post(url, {"mode": "off"}).status_code == 403
    exam = {"title": "x", "starts_at": "2026-12-01T09:00", "ends_at": "2026-12-01T10:00"}
    assert client.post(reverse("assist:exam_create", args=[course.slug]), exam).status_code == 403
    assert not AIPolicy.objects.exists() and not ExamWindow.objects.exists()


def test_a_teacher_schedules_and_removes_an_exam(client, course, teacher, assignment):
    client.force_login(teacher)
    response = client.post(
        reverse("assist:exam_create", args=[course.slug]),
        {
            "title": "Midterm",
            "starts_at": "2026-12-01T09:00",
            "ends_at": "2026-12-01T11:00",
            "assignments": [assignment.pk],
        },
        follow=True,
    )
    assert "Exam “Midterm” scheduled" in response.content.decode()
    exam = ExamWindow.objects.get()
    assert list(exam.assignments.all()) == [assignment]
    url = reverse("assist:exam_delete", args=[course.slug, exam.pk])
    assert client.get(url).status_code == 405
    client.post(url)
    assert not ExamWindow.objects.exists()


def test_an_exam_that_ends_before_it_starts_is_explained(client, course, teacher):
    client.force_login(teacher)
    response = client.post(
        reverse("assist:exam_create", args=[course.slug]),
        {"title": "Backwards", "starts_at": "2026-12-01T11:00", "ends_at": "2026-12-01T09:00"},
    )
    assert response.status_code == 400
    assert "An exam must end after it starts." in response.content.decode()


def test_another_teacher_cannot_remove_an_exam_of_this_course(
    client, course, teacher, other_teacher
):
    from datetime import timedelta

    from django.utils import timezone

    from assist.services import exam_window_create

    exam = exam_window_create(
        course=course,
        title="Final",
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=1),
        by=teacher,
    )
    client.force_login(other_teacher)
    assert (
        client.post(reverse("assist:exam_delete", args=[course.slug, exam.pk])).status_code == 403
    )
    client.force_login(teacher)
    assert client.post(reverse("assist:exam_delete", args=[course.slug, 999999])).status_code == 404
    assert ExamWindow.objects.exists()


def _usage(user, course, **fields):
    defaults = {
        "feature": Purpose.TUTOR_EXPLAIN,
        "decision": "explain",
        "outcome": Outcome.ANSWERED,
        "prompt_tokens": 100,
        "completion_tokens": 20,
    }
    return UsageRecord.objects.create(user=user, course=course, **{**defaults, **fields})


def test_the_usage_page_shows_who_used_how_much_on_which_assignment(
    client, course, teacher, enrolled_student, assignment
):
    _usage(enrolled_student, course)
    _usage(enrolled_student, course, feature=Purpose.PLAYGROUND_HELP, assignment=assignment)
    _usage(
        enrolled_student,
        course,
        outcome=Outcome.REFUSED,
        decision="nothing",
        reason="Your teacher turned AI help off for this course.",
        prompt_tokens=0,
        completion_tokens=0,
    )
    client.force_login(teacher)
    html = client.get(reverse("assist:usage", args=[course.slug])).content.decode()
    assert "alice" in html and "240" in html  # two answered requests of 120 tokens
    assert "“Your teacher turned AI help off for this course.”: 1" in html
    assert 'id="ai-usage-data"' in html and "js/ai-usage.js" in html
    assert "<script>" not in html  # the CSP forbids inline scripts: data via json_script only
    csv = client.get(reverse("assist:usage_csv", args=[course.slug]))
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().strip().splitlines()
    assert lines[0].startswith("time,username,feature,assignment")
    assert len(lines) == 4 and "Add two numbers" in lines[2]


def test_the_usage_page_shows_how_students_rated_the_answers(
    client, course, teacher, enrolled_student
):
    from courses import services
    from tutor.models import Conversation, Message

    other_course = services.course_create(
        author=teacher, title="Other", slug="other", summary="", description=""
    )

    def rated(on_course, rating: str) -> None:
        conversation = Conversation.objects.create(course=on_course, student=enrolled_student)
        Message.objects.create(
            conversation=conversation, role=Message.Role.TUTOR, content="An answer.", rating=rating
        )

    rated(course, Message.Rating.HELPFUL)
    rated(course, Message.Rating.HELPFUL)
    rated(course, Message.Rating.NOT_HELPFUL)
    rated(other_course, Message.Rating.NOT_HELPFUL)  # another course's: not counted here
    client.force_login(teacher)
    html = client.get(reverse("assist:usage", args=[course.slug])).content.decode()
    assert "<strong>2</strong> helpful, <strong>1</strong> not helpful" in html


def test_a_student_sees_their_own_usage_and_nobody_elses(
    client, course, enrolled_student, other_student
):
    _usage(enrolled_student, course, prompt_tokens=7, completion_tokens=5)
    _usage(other_student, course, prompt_tokens=1000, completion_tokens=1000)
    client.force_login(enrolled_student)
    html = client.get(reverse("assist:my_usage")).content.decode()
    assert "12 tokens" in html and "2000" not in html
    assert "teachers of a course can read your tutor conversations" in html
    client.logout()
    assert client.get(reverse("assist:my_usage")).status_code == 302


# --- what students see where they would ask ----------------------------------------------------


def test_a_student_reads_the_rule_instead_of_a_dead_ask_button(
    client, course, enrolled_student, teacher, lesson, set_rule
):
    url = reverse("courses:lesson", args=[course.slug, lesson.slug])
    client.force_login(enrolled_student)
    assert 'id="tutor-form"' in client.get(url).content.decode()
    set_rule(course, "off", lesson=lesson)
    html = client.get(url).content.decode()
    assert "Your teacher turned AI help off for this lesson." in html
    assert 'id="tutor-form"' not in html
    # The teacher keeps the form (to try it) and reads what students see.
    client.force_login(teacher)
    html = client.get(url).content.decode()
    assert 'id="tutor-form"' in html and "Your students see:" in html


def test_hints_only_is_said_above_the_form(client, course, enrolled_student, set_rule):
    set_rule(course, "hints")
    client.force_login(enrolled_student)
    html = client.get(reverse("tutor:course", args=[course.slug])).content.decode()
    assert "AI help is hints only for this course" in html and 'id="tutor-form"' in html


def test_the_assignment_page_and_the_playground_say_the_assignments_rule(
    client, course, enrolled_student, assignment, set_rule
):
    set_rule(course, "off", assignment=assignment)
    client.force_login(enrolled_student)
    page = client.get(assignment.get_absolute_url()).content.decode()
    assert "Your teacher turned AI help off for this assignment." in page
    playground = client.get(reverse("playground:index"), {"assignment": assignment.pk})
    html = playground.content.decode()
    assert "Your teacher turned AI help off for this assignment." in html
    assert 'data-kind="explain"' not in html


# --- transparency and integrity facts ----------------------------------------------------------


def test_a_student_accepts_the_one_time_notice_and_it_is_recorded(
    client, course, enrolled_student, lesson
):
    from assist.models import AINoticeAccepted

    url = reverse("courses:lesson", args=[course.slug, lesson.slug])
    client.force_login(enrolled_student)
    html = client.get(url).content.decode()
    assert "Before you ask the AI:" in html and "can read your tutor conversations" in html
    accept = reverse("assist:notice_accept")
    assert client.get(accept).status_code == 405
    response = client.post(accept, {"next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert AINoticeAccepted.objects.filter(user=enrolled_student).exists()
    assert "Before you ask the AI:" not in client.get(url).content.decode()
    # An outside address is not followed.
    response = client.post(accept, {"next": "https://evil.example/"})
    assert response["Location"] == reverse("assist:my_usage")


def test_the_notice_is_not_shown_to_the_teacher(client, course, teacher, lesson):
    client.force_login(teacher)
    html = client.get(reverse("courses:lesson", args=[course.slug, lesson.slug])).content.decode()
    assert "Before you ask the AI:" not in html


def test_the_review_page_shows_facts_about_ai_use_to_the_teacher_only(
    client, course, teacher, enrolled_student, assignment
):
    import time_machine

    from grading.models import Submission

    client.force_login(enrolled_student)
    with time_machine.travel("2026-12-01 09:00Z", tick=False):
        client.get(assignment.get_absolute_url())
    with time_machine.travel("2026-12-01 09:30Z", tick=False):
        _usage(
            enrolled_student,
            course,
            feature=Purpose.PLAYGROUND_HELP,
            assignment=assignment,
            decision="hint",
        )
    with time_machine.travel("2026-12-01 10:15Z", tick=False):
        submission = Submission.objects.create(
            assignment=assignment, student=enrolled_student, attempt=1, code="x"
        )
    with time_machine.travel("2026-12-01 11:00Z", tick=False):
        _usage(enrolled_student, course, feature=Purpose.PLAYGROUND_HELP, assignment=assignment)
    url = submission.get_absolute_url()
    student_view = client.get(url).content.decode()
    assert 'data-testid="ai-signals"' not in student_view
    client.force_login(teacher)
    html = client.get(url).content.decode()
    assert "1 AI request about this assignment before submitting, 1 of them hints-only" in html
    assert "submitted 1 h 15 min later" in html
    assert "score" not in html.split('data-testid="ai-signals"')[1].split("</details>")[0].lower()


def test_signed_out_visitors_reach_none_of_the_students_ai_pages(client):
    from assist.models import AINoticeAccepted

    for response in (
        client.get(reverse("assist:my_usage")),
        client.post(reverse("assist:notice_accept"), {"next": "/"}),
    ):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not AINoticeAccepted.objects.exists()


def test_a_student_cannot_remove_an_exam(client, course, teacher, enrolled_student):
    from datetime import timedelta

    from django.utils import timezone

    from assist.services import exam_window_create

    exam = exam_window_create(
        course=course,
        title="Final",
        starts_at=timezone.now(),
        ends_at=timezone.now() + timedelta(hours=1),
        by=teacher,
    )
    client.force_login(enrolled_student)
    assert (
        client.post(reverse("assist:exam_delete", args=[course.slug, exam.pk])).status_code == 403
    )
    assert ExamWindow.objects.exists()
