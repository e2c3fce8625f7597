"""The REST API by persona: anonymous, student, enrolled student, teacher, other teacher, admin."""

import pytest
from django.urls import reverse

from courses.models import Course, Enrollment, Lesson
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def test_anyone_lists_published_courses_paginated(course, draft_course):
    response = api_client_for(None).get(reverse("api-courses"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["slug"] == "attention"
    assert body["results"][0]["lesson_count"] == 3


def test_the_course_list_searches(course):
    assert api_client_for(None).get(reverse("api-courses"), {"q": "nothing"}).json()["count"] == 0


def test_a_teacher_creates_a_course(teacher):
    response = api_client_for(teacher).post(
        reverse("api-courses"),
        {"title": "Evaluation", "summary": "Benchmarks and their limits."},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["slug"] == "evaluation"
    assert Course.objects.get(slug="evaluation").teachers.filter(pk=teacher.pk).exists()


def test_a_student_creating_a_course_gets_a_clear_403(student):
    response = api_client_for(student).post(
        reverse("api-courses"), {"title": "Mine", "summary": "x"}, format="json"
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "Only teachers can create courses."}


def test_anonymous_course_creation_is_401(db):
    response = api_client_for(None).post(reverse("api-courses"), {"title": "x", "summary": "y"})
    assert response.status_code == 401
    assert "detail" in response.json()


def test_duplicate_slug_and_bad_links_are_400_with_field_errors(teacher, course):
    client = api_client_for(teacher)
    response = client.post(
        reverse("api-courses"), {"title": "X", "slug": course.slug, "summary": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["slug"] == ["Another course already uses this address."]
    response = client.post(
        reverse("api-courses"),
        {"title": "Y", "summary": "y", "description": "[x](javascript:alert(1))"},
        format="json",
    )
    assert response.status_code == 400
    assert "javascript:" in response.json()["description"][0]


def test_the_course_detail_shows_the_outline(course):
    body = api_client_for(None).get(reverse("api-course", args=[course.slug])).json()
    assert [m["title"] for m in body["modules"]] == ["Foundations", "Going further"]
    assert [lesson["slug"] for lesson in body["modules"][0]["lessons"]] == ["queries", "values"]


def test_unknown_and_draft_courses_are_json_404s(student, draft_course):
    client = api_client_for(student)
    for slug in ("no-such-course", draft_course.slug):
        response = client.get(reverse("api-course", args=[slug]))
        assert response.status_code == 404
        assert response.json()["detail"] == f"No course “{slug}”."


def test_an_unknown_api_path_is_a_json_404(db):
    response = api_client_for(None).get("/api/nothing/here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_student_enrolls_and_reads_lessons(student, course):
    client = api_client_for(student)
    lessons_url = reverse("api-lessons", args=[course.slug])
    response = client.get(lessons_url)
    assert response.status_code == 403
    assert response.json() == {"detail": "Enroll in this course to read its lessons."}

    response = client.post(reverse("api-course-enroll", args=[course.slug]))
    assert response.status_code == 201
    assert response.json() == {"course": "attention", "enrolled": True}
    assert [item["slug"] for item in client.get(lessons_url).json()] == [
        "queries",
        "values",
        "multi-head",
    ]
    lesson = client.get(reverse("api-lesson", args=[course.slug, "queries"])).json()
    assert lesson["body"].startswith("## Dot products")
    assert '<h2 id="dot-products">' in lesson["html"]


def test_leaving_a_course_through_the_api(enrolled_student, course):
    response = api_client_for(enrolled_student).delete(
        reverse("api-course-enroll", args=[course.slug])
    )
    assert response.json()["enrolled"] is False
    assert not Enrollment.objects.exists()


def test_enrolling_in_a_draft_is_a_404_and_a_teacher_enrolling_is_a_409(
    student, teacher, course, draft_course
):
    response = api_client_for(student).post(reverse("api-course-enroll", args=[draft_course.slug]))
    assert response.status_code == 404
    response = api_client_for(teacher).post(reverse("api-course-enroll", args=[course.slug]))
    assert response.status_code == 409
    assert "You teach this course" in response.json()["detail"]


def test_an_unknown_lesson_is_a_json_404(enrolled_student, course):
    response = api_client_for(enrolled_student).get(
        reverse("api-lesson", args=[course.slug, "nope"])
    )
    assert response.status_code == 404
    assert "detail" in response.json()


TEACHER_ENDPOINTS = [
    ("api-course-publish", "post", {"published": False}),
    ("api-course-students", "get", None),
    ("api-modules", "post", {"title": "M"}),
    ("api-lessons", "post", {"module": 0, "title": "L", "body": "b"}),
]


@pytest.mark.parametrize(("name", "method", "payload"), TEACHER_ENDPOINTS)
def test_students_calling_teacher_endpoints_get_a_clear_403(
    enrolled_student, other_teacher, course, name, method, payload
):
    url = reverse(name, args=[course.slug])
    for outsider in (enrolled_student, other_teacher):
        response = getattr(api_client_for(outsider), method)(url, payload, format="json")
        assert response.status_code == 403, (name, outsider)
        assert response.json() == {"detail": "Only this course's teachers can do that."}
    response = getattr(api_client_for(None), method)(url, payload, format="json")
    assert response.status_code in (401, 403)


def test_a_teacher_adds_modules_and_lessons_and_publishes(teacher, draft_course, admin_user):
    client = api_client_for(teacher)
    module = client.post(
        reverse("api-modules", args=[draft_course.slug]), {"title": "Second"}, format="json"
    ).json()
    assert module["position"] == 2
    response = client.post(
        reverse("api-lessons", args=[draft_course.slug]),
        {"module": module["id"], "title": "KV cache", "body": "Keys and values, kept."},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["slug"] == "kv-cache"
    response = client.post(
        reverse("api-course-publish", args=[draft_course.slug]), {"published": True}, format="json"
    )
    assert response.json()["is_published"] is True
    roster = api_client_for(admin_user).get(
        reverse("api-course-students", args=[draft_course.slug])
    )
    assert roster.status_code == 200 and roster.json()["count"] == 0


def test_lesson_creation_rejects_foreign_modules_duplicate_slugs_and_bad_links(
    teacher, course, draft_course
):
    client = api_client_for(teacher)
    url = reverse("api-lessons", args=[course.slug])
    foreign = draft_course.modules.first().pk
    response = client.post(url, {"module": foreign, "title": "X", "body": "b"}, format="json")
    assert response.status_code == 400 and "module" in response.json()
    module = course.modules.first().pk
    response = client.post(url, {"module": module, "title": "Values", "body": "b"}, format="json")
    assert response.status_code == 400 and "slug" in response.json()
    response = client.post(
        url, {"module": module, "title": "Z", "body": "[a](ftp://x)"}, format="json"
    )
    assert response.status_code == 400 and "ftp:" in response.json()["body"][0]
    assert Lesson.objects.filter(course=course).count() == 3


def test_publishing_an_empty_course_is_a_409(teacher):
    client = api_client_for(teacher)
    client.post(reverse("api-courses"), {"title": "Empty", "summary": "x"}, format="json")
    response = client.post(
        reverse("api-course-publish", args=["empty"]), {"published": True}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "Add at least one lesson before publishing the course."


def test_session_auth_works_and_needs_csrf(client, student, course):
    from rest_framework.test import APIClient

    api = APIClient(enforce_csrf_checks=True)
    api.force_login(student)
    assert api.get(reverse("api-courses")).status_code == 200
    response = api.post(reverse("api-course-enroll", args=[course.slug]))
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_the_openapi_schema_describes_the_endpoints(db):
    response = api_client_for(None).get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/courses/",
        "/api/courses/{slug}/enroll/",
        "/api/courses/{slug}/lessons/{lesson_slug}/",
    ):
        assert path in paths


def test_wrong_methods_are_405(student, course):
    client = api_client_for(student)
    assert client.delete(reverse("api-courses")).status_code == 405
    assert client.put(reverse("api-course-enroll", args=[course.slug])).status_code == 405
