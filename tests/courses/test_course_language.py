"""A course's language: the course form, the API and the admin, with wrong values refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses.models import Course
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def test_courses_are_english_unless_the_teacher_says_otherwise(course):
    assert course.language == "en"


def test_a_teacher_creates_a_chinese_course_with_the_form(client, teacher):
    client.force_login(teacher)
    page = client.get(reverse("courses:create")).content.decode()
    assert 'name="language"' in page and "简体中文" in page
    response = client.post(
        reverse("courses:create"),
        {
            "title": "大模型入门",
            "slug": "llm-intro",
            "summary": "注意力与训练。",
            "language": "zh-hans",
        },
    )
    assert response.status_code == 302
    assert Course.objects.get(slug="llm-intro").language == "zh-hans"


def test_the_form_refuses_a_language_the_platform_does_not_speak(client, teacher):
    client.force_login(teacher)
    response = client.post(
        reverse("courses:create"),
        {"title": "Cours", "slug": "cours", "summary": "En français.", "language": "fr"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Course.objects.filter(slug="cours").exists()


def test_a_teacher_changes_the_language_on_the_edit_page(client, teacher, course):
    client.force_login(teacher)
    response = client.post(
        reverse("courses:edit", args=[course.slug]),
        {
            "title": course.title,
            "slug": course.slug,
            "summary": course.summary,
            "description": course.description,
            "language": "zh-hans",
        },
    )
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.language == "zh-hans"


def test_the_api_creates_a_course_in_a_language_and_reports_it(teacher):
    client = api_client_for(teacher)
    response = client.post(
        reverse("api-courses"),
        {"title": "大模型", "slug": "llm-zh", "summary": "中文课程。", "language": "zh-hans"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["language"] == "zh-hans"
    detail = api_client_for(teacher).get(reverse("api-course", args=["llm-zh"])).json()
    assert detail["language"] == "zh-hans"


def test_the_api_defaults_to_english(teacher):
    response = api_client_for(teacher).post(
        reverse("api-courses"), {"title": "Evaluation", "summary": "Benchmarks."}, format="json"
    )
    assert response.json()["language"] == "en"


@pytest.mark.parametrize("language", ["fr", "zh", "ZH-HANS"])
def test_the_api_refuses_a_wrong_language_with_the_choices(teacher, language):
    response = api_client_for(teacher).post(
        reverse("api-courses"),
        {"title": "X", "slug": "x-course", "summary": "x", "language": language},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "language": [f'"{language}" is not a course language; use one of: en, zh-hans.']
    }
    assert not Course.objects.filter(slug="x-course").exists()


def test_a_student_cannot_create_a_course_in_any_language(student):
    response = api_client_for(student).post(
        reverse("api-courses"),
        {"title": "Mine", "summary": "x", "language": "zh-hans"},
        format="json",
    )
    assert response.status_code == 403


def test_the_admin_edits_the_language(client, admin_user, course, settings):
    client.force_login(admin_user)
    page = client.get(reverse("admin:courses_course_change", args=[course.pk])).content.decode()
    assert 'name="language"' in page
    listing = client.get(reverse("admin:courses_course_changelist") + "?language=en")
    assert course.title in listing.content.decode()
