"""Playground pages, the no-JavaScript run, snippets and their sharing, the REST run."""

from __future__ import annotations

import pytest
from django.urls import reverse

from courses.services import enrollment_create
from playground.models import Snippet
from tests.conftest import api_client_for

pytestmark = pytest.mark.django_db


def test_the_playground_needs_a_signed_in_user(client):
    response = client.get(reverse("playground:index"))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_page_has_an_editor_and_runs_without_javascript(client, student):
    client.force_login(student)
    page = client.get(reverse("playground:index")).content.decode()
    assert "data-code-editor" in page and "vendor/codemirror/codemirror.js" in page
    response = client.post(
        reverse("playground:index"),
        {"code": "a = int(input())\nb = int(input())\nprint(a + b)\n", "stdin": "2\n3\n"},
    )
    html = response.content.decode()
    assert '<pre id="output" role="log" aria-live="polite" tabindex="0">5\n</pre>' in html
    assert "passed · exit code 0" in html


def test_source_over_the_limit_is_refused(client, student, settings):
    settings.PLAYGROUND_MAX_SOURCE_KB = 1
    client.force_login(student)
    response = client.post(reverse("playground:index"), {"code": "x = 1\n" * 400})
    assert "larger than 1 KB" in response.content.decode()


def test_the_api_runs_a_program_with_stdin(student):
    response = api_client_for(student).post(
        "/api/playground/run/",
        {"code": "print(input()[::-1])", "stdin": "stressed\n"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["stdout"] == "desserts\n" and body["exit_code"] == 0
    assert body["verdict"] == "passed" and body["time_ms"] > 0


def test_the_api_refuses_bad_input_and_anonymous_callers(student):
    api = api_client_for(student)
    assert api.post("/api/playground/run/", {"code": ""}, format="json").status_code == 400
    assert api.post("/api/playground/run/", {}, format="json").status_code == 400
    anonymous = api_client_for(None).post("/api/playground/run/", {"code": "print(1)"})
    assert anonymous.status_code in (401, 403)


def test_a_student_saves_reopens_and_shares_a_snippet(
    client, enrolled_student, other_student, student, course
):
    client.force_login(enrolled_student)
    response = client.post(
        reverse("playground:snippet_save"),
        {"title": "Greeter", "code": "print('hi')\n", "shared_with": course.pk},
    )
    snippet = Snippet.objects.get()
    assert response.url == f"{reverse('playground:index')}?snippet={snippet.pk}"
    page = client.get(response.url).content.decode()
    assert "print(&#x27;hi&#x27;)" in page and snippet.get_absolute_url() in page

    enrollment_create(user=other_student, course=course)
    client.force_login(other_student)
    shared = client.get(snippet.get_absolute_url())
    assert shared.status_code == 200 and "Greeter" in shared.content.decode()
    # A classmate cannot overwrite or delete it.
    client.post(
        reverse("playground:snippet_save"),
        {"title": "Mine now", "code": "print(2)", "snippet": snippet.pk},
    )
    client.post(reverse("playground:snippet_delete", args=[snippet.pk]))
    snippet.refresh_from_db()
    assert snippet.title == "Greeter" and snippet.code == "print('hi')\n"


def test_a_private_or_unknown_snippet_is_a_404(client, student, other_student):
    private = Snippet.objects.create(owner=student, title="Secret", code="x = 1")
    client.force_login(other_student)
    assert client.get(private.get_absolute_url()).status_code == 404
    assert client.get(f"{reverse('playground:index')}?snippet={private.pk}").status_code == 404
    assert client.get(reverse("playground:snippet", args=[999999])).status_code == 404
    assert client.get(f"{reverse('playground:index')}?snippet=abc").status_code == 404


def test_a_snippet_cannot_be_shared_with_a_course_one_does_not_take(client, student, course):
    client.force_login(student)
    client.post(
        reverse("playground:snippet_save"),
        {"title": "X", "code": "print(1)", "shared_with": course.pk},
    )
    assert not Snippet.objects.exists()


def test_an_assignment_opens_with_its_starter_code(client, enrolled_student, teacher, course):
    from grading.services import assignment_create

    assignment = assignment_create(
        course=course,
        created_by=teacher,
        title="Add",
        kind="code",
        instructions="Write add(a, b).",
        starter_code="def add(a, b):\n    pass\n",
        test_code="from solution import add\n\ndef test_add():\n    assert add(1, 2) == 3\n",
        test_names=["test_add"],
    )
    client.force_login(enrolled_student)
    page = client.get(f"{reverse('playground:index')}?assignment={assignment.pk}")
    html = page.content.decode()
    assert "def add(a, b):\n    pass" in html and 'id="tests-button"' in html
    assert reverse("grading:submit", args=[course.slug, assignment.pk]) in html
    assignment_page = client.get(assignment.get_absolute_url()).content.decode()
    assert f"?assignment={assignment.pk}" in assignment_page  # "Open in the playground"


def test_another_courses_assignment_is_a_404_in_the_playground(client, student, teacher, course):
    from grading.services import assignment_create

    assignment = assignment_create(
        course=course,
        created_by=teacher,
        title="Add",
        kind="code",
        instructions="x",
        test_code="def test_x():\n    pass\n",
        test_names=["test_x"],
    )
    client.force_login(student)  # not enrolled
    assert (
        client.get(f"{reverse('playground:index')}?assignment={assignment.pk}").status_code == 404
    )


def test_runs_per_minute_are_limited_per_student(
    student, other_student, settings, one_clock_minute
):
    settings.PLAYGROUND_RUNS_PER_MINUTE = 2
    api = api_client_for(student)
    run = {"code": "print(1)"}
    assert [api.post("/api/playground/run/", run, format="json").status_code for _ in range(2)] == [
        200,
        200,
    ]
    refused = api.post("/api/playground/run/", run, format="json")
    assert refused.status_code == 429
    assert "You started 2 runs this minute" in refused.json()["detail"]
    other = api_client_for(other_student).post("/api/playground/run/", run, format="json")
    assert other.status_code == 200


def test_the_page_says_when_the_run_limit_is_reached(client, student, settings, one_clock_minute):
    settings.PLAYGROUND_RUNS_PER_MINUTE = 1
    client.force_login(student)
    client.post(reverse("playground:index"), {"code": "print(1)\n", "stdin": ""})
    html = client.post(reverse("playground:index"), {"code": "print(1)\n", "stdin": ""})
    assert "You started 1 runs this minute" in html.content.decode()
