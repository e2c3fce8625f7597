"""Course pages by persona: anonymous, not enrolled, enrolled, teacher, other teacher, admin."""

import pytest
from django.urls import reverse

from courses.models import Course, Enrollment, Lesson, LessonCompletion, Module

pytestmark = pytest.mark.django_db


def test_the_catalog_lists_published_courses_only(client, course, draft_course):
    page = client.get(reverse("courses:catalog")).content.decode()
    assert course.title in page
    assert draft_course.title not in page


def test_the_catalog_searches_and_serves_an_htmx_fragment(client, course):
    response = client.get(reverse("courses:catalog"), {"q": "attention"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert course.title in body
    assert "<html" not in body  # only the results fragment
    assert (
        "No course matches “zzz”"
        in client.get(reverse("courses:catalog"), {"q": "zzz"}).content.decode()
    )


def test_anyone_sees_a_published_course_outline_but_not_lesson_links(client, course):
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Queries and keys" in page
    assert reverse("courses:lesson", args=[course.slug, "queries"]) not in page
    assert "Sign in to enroll" in page


def test_a_draft_course_is_a_404_for_everyone_but_its_teachers(
    client, draft_course, student, other_teacher, teacher, admin_user
):
    url = draft_course.get_absolute_url()
    assert client.get(url).status_code == 404
    for outsider in (student, other_teacher):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    for insider in (teacher, admin_user):
        client.force_login(insider)
        assert client.get(url).status_code == 200


def test_an_unknown_course_or_lesson_is_a_404_page(client, course, enrolled_student):
    client.force_login(enrolled_student)
    response = client.get(reverse("courses:detail", args=["no-such-course"]))
    assert response.status_code == 404
    assert "Not found" in response.content.decode()
    assert client.get(reverse("courses:lesson", args=[course.slug, "nope"])).status_code == 404


def test_a_student_enrolls_and_lands_on_the_first_lesson(client, course, student):
    client.force_login(student)
    response = client.post(reverse("courses:enroll", args=[course.slug]))
    assert response.url == reverse("courses:lesson", args=[course.slug, "queries"])
    assert Enrollment.objects.filter(user=student, course=course).exists()
    page = client.get(response.url).content.decode()
    assert "A query meets a key." in page
    assert "Lesson 1 of 3" in page


def test_enrolling_twice_keeps_one_enrollment(client, course, student):
    client.force_login(student)
    client.post(reverse("courses:enroll", args=[course.slug]))
    client.post(reverse("courses:enroll", args=[course.slug]))
    assert Enrollment.objects.filter(user=student, course=course).count() == 1


def test_enroll_needs_post_and_sign_in(client, course, student):
    assert client.post(reverse("courses:enroll", args=[course.slug])).status_code == 302
    assert not Enrollment.objects.exists()
    client.force_login(student)
    assert client.get(reverse("courses:enroll", args=[course.slug])).status_code == 405


def test_a_draft_course_cannot_be_enrolled_in(client, draft_course, student):
    client.force_login(student)
    assert client.post(reverse("courses:enroll", args=[draft_course.slug])).status_code == 404
    assert not Enrollment.objects.exists()


def test_lessons_are_for_enrolled_students_only(client, course, student):
    url = reverse("courses:lesson", args=[course.slug, "values"])
    assert client.get(url).status_code == 302  # anonymous: sign in first
    client.force_login(student)
    response = client.get(url, follow=True)
    assert "Enroll in the course to read its lessons." in response.content.decode()
    assert "Values are mixed." not in response.content.decode()


def test_lessons_read_in_order_with_previous_and_next(client, course, enrolled_student):
    client.force_login(enrolled_student)
    page = client.get(reverse("courses:lesson", args=[course.slug, "values"])).content.decode()
    assert 'rel="prev">← Queries and keys' in page
    assert 'rel="next">Multi-head →' in page  # crosses into the next module


def test_marking_done_moves_to_the_next_lesson_and_shows_progress(client, course, enrolled_student):
    client.force_login(enrolled_student)
    response = client.post(reverse("courses:lesson_complete", args=[course.slug, "queries"]))
    assert response.url == reverse("courses:lesson", args=[course.slug, "values"])
    assert LessonCompletion.objects.filter(user=enrolled_student).count() == 1
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "1 of 3 lessons done" in dashboard
    assert "Continue: Values" in dashboard


def test_marking_done_requires_enrollment(client, course, student):
    client.force_login(student)
    response = client.post(reverse("courses:lesson_complete", args=[course.slug, "queries"]))
    assert response.status_code == 403


def test_leaving_a_course(client, course, enrolled_student):
    client.force_login(enrolled_student)
    client.post(reverse("courses:unenroll", args=[course.slug]))
    assert not Enrollment.objects.filter(user=enrolled_student).exists()


def test_the_dashboard_lists_a_students_courses(client, course, enrolled_student):
    client.force_login(enrolled_student)
    page = client.get(reverse("dashboard")).content.decode()
    assert course.title in page
    assert "Courses you teach" not in page


TEACHER_PAGES = [
    ("courses:edit", "get"),
    ("courses:students", "get"),
    ("courses:module_create", "get"),
    ("courses:lesson_create", "get"),
    ("courses:publish", "post"),
    ("courses:announce", "post"),
    ("courses:markdown_preview", "post"),
]


@pytest.mark.parametrize(("name", "method"), TEACHER_PAGES)
def test_teacher_pages_are_forbidden_to_students_and_other_teachers(
    client, course, enrolled_student, other_teacher, name, method
):
    url = reverse(name, args=[course.slug])
    assert getattr(client, method)(url).status_code == 302  # anonymous → sign in
    for outsider in (enrolled_student, other_teacher):
        client.force_login(outsider)
        response = getattr(client, method)(url)
        assert response.status_code == 403, (name, outsider)
        assert "teachers" in response.content.decode()


@pytest.mark.parametrize(("name", "method"), TEACHER_PAGES)
def test_teacher_pages_open_for_the_courses_teacher_and_admins(
    client, course, teacher, admin_user, name, method
):
    url = reverse(name, args=[course.slug])
    for insider in (teacher, admin_user):
        client.force_login(insider)
        assert getattr(client, method)(url).status_code in (200, 302), (name, insider)


def test_lesson_and_module_edit_pages_are_forbidden_to_students(client, course, enrolled_student):
    client.force_login(enrolled_student)
    module = course.modules.first()
    assert (
        client.get(reverse("courses:module_edit", args=[course.slug, module.pk])).status_code == 403
    )
    assert (
        client.get(reverse("courses:lesson_edit", args=[course.slug, "queries"])).status_code == 403
    )


def test_only_teachers_create_courses(client, student):
    client.force_login(student)
    response = client.get(reverse("courses:create"))
    assert response.status_code == 403
    assert "Only teachers can create courses" in response.content.decode()


def test_a_teacher_builds_and_publishes_a_course(client, teacher, student):
    client.force_login(teacher)
    response = client.post(
        reverse("courses:create"),
        {"title": "Prompting 101", "slug": "", "summary": "How to ask.", "description": "# Hi"},
    )
    course = Course.objects.get(slug="prompting-101")
    assert response.url == course.get_absolute_url()
    assert teacher in course.teachers.all()

    # Publishing an empty course is refused with a message.
    response = client.post(
        reverse("courses:publish", args=[course.slug]), {"publish": "1"}, follow=True
    )
    assert "Add at least one lesson" in response.content.decode()

    client.post(reverse("courses:module_create", args=[course.slug]), {"title": "Basics"})
    module = Module.objects.get(course=course)
    response = client.post(
        reverse("courses:lesson_create", args=[course.slug]),
        {"module": module.pk, "title": "Zero-shot", "slug": "", "body": "Ask **directly**."},
    )
    lesson = Lesson.objects.get(course=course)
    assert lesson.slug == "zero-shot"
    assert "<strong>directly</strong>" in client.get(lesson.get_absolute_url()).content.decode()

    client.post(reverse("courses:publish", args=[course.slug]), {"publish": "1"})
    course.refresh_from_db()
    assert course.is_published
    client.force_login(student)
    assert "Prompting 101" in client.get(reverse("courses:catalog")).content.decode()


def test_a_duplicate_course_slug_is_a_form_error(client, teacher, course):
    client.force_login(teacher)
    response = client.post(
        reverse("courses:create"), {"title": "Another", "slug": course.slug, "summary": "x"}
    )
    assert response.status_code == 200
    assert "Another course already uses this address." in response.content.decode()
    response = client.post(
        reverse("courses:create"), {"title": "Attention", "slug": "", "summary": "x"}
    )
    assert "Another course already uses this address" in response.content.decode()
    assert Course.objects.count() == 1


def test_reserved_slugs_are_refused(client, teacher):
    client.force_login(teacher)
    response = client.post(
        reverse("courses:create"), {"title": "New", "slug": "new", "summary": "x"}
    )
    assert "is reserved" in response.content.decode()


def test_a_duplicate_lesson_slug_is_a_form_error(client, teacher, course):
    client.force_login(teacher)
    module = course.modules.first()
    response = client.post(
        reverse("courses:lesson_create", args=[course.slug]),
        {"module": module.pk, "title": "Again", "slug": "values", "body": "x"},
    )
    assert response.status_code == 200
    assert "Another lesson of this course already uses this address." in response.content.decode()


def test_invalid_markdown_links_are_form_errors(client, teacher, course):
    client.force_login(teacher)
    module = course.modules.first()
    response = client.post(
        reverse("courses:lesson_create", args=[course.slug]),
        {
            "module": module.pk,
            "title": "Bad links",
            "slug": "",
            "body": "Fine [docs](https://docs.python.org)\n\nBad [click](javascript:alert(1))\n\n"
            "Broken [here](http://)",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 3: link “javascript:alert(1)”" in page
    assert "has no host name" in page
    assert not Lesson.objects.filter(title="Bad links").exists()


def test_the_teacher_sees_enrolled_students_with_progress(
    client, teacher, course, enrolled_student
):
    client.force_login(teacher)
    page = client.get(reverse("courses:students", args=[course.slug])).content.decode()
    assert "alice" in page
    assert "0 / 3" in page
    dashboard = client.get(reverse("dashboard")).content.decode()
    assert "Courses you teach" in dashboard and course.title in dashboard


def test_a_teacher_edits_a_lesson_and_moves_it_to_another_module(client, teacher, course):
    client.force_login(teacher)
    second = course.modules.last()
    client.post(
        reverse("courses:lesson_edit", args=[course.slug, "queries"]),
        {"module": second.pk, "title": "Queries, revisited", "slug": "queries", "body": "New."},
    )
    lesson = Lesson.objects.get(course=course, slug="queries")
    assert lesson.title == "Queries, revisited" and lesson.module == second


def test_the_markdown_preview_renders_sanitised_html(client, teacher, course):
    client.force_login(teacher)
    response = client.post(
        reverse("courses:markdown_preview", args=[course.slug]),
        {"body": "**bold** <script>alert(1)</script>"},
    )
    html = response.content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script>" not in html
