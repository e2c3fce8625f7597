"""REST API of teachers' AI rules, exams, usage, and the notice a client shows students."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from assist.models import AIPolicy, ExamWindow
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db

TEACHER_ENDPOINTS = ["api-ai-policy", "api-exams", "api-ai-usage"]


@pytest.mark.parametrize("name", TEACHER_ENDPOINTS)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("enrolled_student", 403),
        ("other_teacher", 403),
        ("teacher", 200),
        ("admin_user", 200),
    ],
)
def test_only_the_course_teachers_and_admins_read_the_ai_settings(
    request, course, name, who, status
):
    user = request.getfixturevalue(who) if who else None
    response = api_client_for(user).get(reverse(name, args=[course.slug]))
    assert response.status_code == status


@pytest.mark.parametrize("who", [None, "enrolled_student", "other_teacher"])
def test_nobody_else_writes_rules_or_exams(request, course, who):
    client = api_client_for(request.getfixturevalue(who) if who else None)
    assert client.post(
        reverse("api-ai-policy", args=[course.slug]), {"mode": "off"}, format="json"
    ).status_code in (401, 403)
    exam = {"title": "x", "starts_at": "2026-12-01T09:00Z", "ends_at": "2026-12-01T10:00Z"}
    assert client.post(
        reverse("api-exams", args=[course.slug]), exam, format="json"
    ).status_code in (
        401,
        403,
    )
    assert not AIPolicy.objects.exists() and not ExamWindow.objects.exists()


def test_a_teacher_sets_rules_over_the_api(course, teacher, lesson, assignment):
    client = api_client_for(teacher)
    url = reverse("api-ai-policy", args=[course.slug])
    assert client.post(url, {"mode": "hints"}, format="json").json()["mode"] == "hints"
    client.post(url, {"mode": "off", "lesson": lesson.pk}, format="json")
    body = client.post(
        url,
        {"mode": "", "assignment": assignment.pk, "instructions": "Answer in the lesson's words."},
        format="json",
    ).json()
    assert {"id": lesson.pk, "title": lesson.title, "mode": "off"} in body["lessons"]
    row = next(a for a in body["assignments"] if a["id"] == assignment.pk)
    assert row == {
        "id": assignment.pk,
        "title": "Add two numbers",
        "mode": "",
        "instructions": "Answer in the lesson's words.",
    }


@pytest.mark.parametrize(
    "payload",
    [
        {"mode": "sometimes"},
        {"mode": ""},
        {"mode": "off", "lesson": 1, "assignment": 1},
        {"mode": "off", "instructions": "only on assignments"},
    ],
)
def test_bad_rules_are_a_clear_400(course, teacher, payload):
    response = api_client_for(teacher).post(
        reverse("api-ai-policy", args=[course.slug]), payload, format="json"
    )
    assert response.status_code == 400


def test_an_unknown_lesson_or_assignment_is_a_404(course, teacher):
    client = api_client_for(teacher)
    url = reverse("api-ai-policy", args=[course.slug])
    assert client.post(url, {"mode": "off", "lesson": 999999}, format="json").status_code == 404
    assert client.post(url, {"mode": "off", "assignment": 999999}, format="json").status_code == 404


def test_a_teacher_schedules_lists_and_removes_an_exam(course, teacher, assignment):
    client = api_client_for(teacher)
    url = reverse("api-exams", args=[course.slug])
    created = client.post(
        url,
        {
            "title": "Midterm",
            "starts_at": "2026-12-01T09:00Z",
            "ends_at": "2026-12-01T11:00Z",
            "assignments": [assignment.pk],
        },
        format="json",
    )
    assert created.status_code == 201 and created.json()["assignments"] == [assignment.pk]
    assert [e["title"] for e in client.get(url).json()] == ["Midterm"]
    detail = reverse("api-exam", args=[course.slug, created.json()["id"]])
    assert client.delete(detail).status_code == 204
    assert client.delete(detail).status_code == 404


def test_bad_exams_are_a_clear_400(course, teacher):
    client = api_client_for(teacher)
    url = reverse("api-exams", args=[course.slug])
    backwards = {"title": "x", "starts_at": "2026-12-01T11:00Z", "ends_at": "2026-12-01T09:00Z"}
    assert client.post(url, backwards, format="json").status_code == 400
    unknown = {**backwards, "starts_at": "2026-12-01T08:00Z", "assignments": [999999]}
    assert client.post(url, unknown, format="json").status_code == 400
    assert not ExamWindow.objects.exists()


def test_another_teacher_cannot_remove_the_exam(course, teacher, other_teacher):
    created = api_client_for(teacher).post(
        reverse("api-exams", args=[course.slug]),
        {"title": "x", "starts_at": "2026-12-01T09:00Z", "ends_at": "2026-12-01T10:00Z"},
        format="json",
    )
    detail = reverse("api-exam", args=[course.slug, created.json()["id"]])
    assert api_client_for(other_teacher).delete(detail).status_code == 403
    assert ExamWindow.objects.exists()


def test_a_student_client_reads_the_rule_in_force_to_show_it(
    course, teacher, enrolled_student, assignment, other_student
):
    client = api_client_for(enrolled_student)
    url = reverse("api-ai-notice", args=[course.slug])
    assert client.get(url).json() == {"notice": ""}
    api_client_for(teacher).post(
        reverse("api-exams", args=[course.slug]),
        {
            "title": "Final",
            "starts_at": "2026-12-01T09:00Z",
            "ends_at": "2026-12-01T11:00Z",
            "assignments": [assignment.pk],
        },
        format="json",
    )
    with time_machine.travel("2026-12-01 10:00Z", tick=False):
        notice = client.get(url, {"assignment": assignment.pk}).json()["notice"]
        assert notice.startswith("AI help is off during the exam “Final”")
        assert client.get(url).json() == {"notice": ""}
    assert client.get(url, {"assignment": 999999}).status_code == 404
    assert client.get(url, {"assignment": "x"}).status_code == 404
    assert api_client_for(other_student).get(url).status_code == 403
