"""Students submit through pages and the API; verdicts, per-test results, attempts, access."""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from grading.models import ScorePolicy, Status, Submission
from grading.selectors import counted_submission, submission_frame
from tests.conftest import api_client_for
from tests.grading.conftest import HALF_RIGHT, RIGHT, WRONG

pytestmark = pytest.mark.django_db


def test_a_right_solution_passes_with_full_marks(code_assignment, enrolled_student, submit):
    submission = submit(code_assignment, enrolled_student, code=RIGHT)
    assert submission.status == Status.GRADED
    assert submission.verdict == "passed"
    assert submission.score == Decimal(10)
    assert [t["outcome"] for t in submission.tests] == ["passed"] * 3


def test_weights_decide_the_partial_score(code_assignment, enrolled_student, submit):
    submission = submit(code_assignment, enrolled_student, code=HALF_RIGHT)
    assert submission.verdict == "failed"
    # small (weight 2) and large (1) pass, negative (1) fails: 3 of 4.
    assert submission.score == Decimal("7.50")
    failed = [t for t in submission.tests if t["outcome"] == "failed"]
    assert [t["name"] for t in failed] == ["TestAdd.test_negative"]
    assert "5 != -5" in failed[0]["message"]


def test_students_see_hidden_tests_only_as_passed_or_failed(
    code_assignment, enrolled_student, submit
):
    submission = submit(code_assignment, enrolled_student, code=WRONG)
    student_view = submission_frame(submission)["tests"]
    assert [t["name"] for t in student_view] == [
        "TestAdd.test_small",
        "TestAdd.test_negative",
        "Hidden test 1",
    ]
    assert student_view[2] == {**student_view[2], "outcome": "failed", "message": ""}
    teacher_view = submission_frame(submission, teacher=True)["tests"]
    assert teacher_view[2]["name"] == "TestAdd.test_large"
    assert teacher_view[2]["message"]


def test_the_page_form_submits_and_shows_the_result(
    client, code_assignment, enrolled_student, django_capture_on_commit_callbacks
):
    client.force_login(enrolled_student)
    page = client.get(code_assignment.get_absolute_url())
    assert page.status_code == 200
    assert "def add(a, b):\n    pass" in page.content.decode()  # the starter code
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("grading:submit", args=["attention", code_assignment.pk]), {"code": WRONG}
        )
    submission = Submission.objects.get()
    assert response.url == submission.get_absolute_url()
    detail = client.get(response.url).content.decode()
    assert "Failed" in detail and "Score <strong data-score>0</strong> / 10" in detail
    assert "TestAdd.test_large" not in detail and "Hidden test 1" in detail


def test_an_htmx_submission_returns_the_queued_result_fragment(
    client, code_assignment, enrolled_student
):
    client.force_login(enrolled_student)
    response = client.post(
        reverse("grading:submit", args=["attention", code_assignment.pk]),
        {"code": RIGHT},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    submission = Submission.objects.get()
    assert f'id="submission-{submission.pk}"' in html and "Queued" in html
    assert f'id="submission-row-{submission.pk}"' in html


def test_status_changes_are_pushed_to_the_students_pages(code_assignment, enrolled_student, submit):
    with mock.patch("notifications.services.live_event_send") as send:
        submission = submit(code_assignment, enrolled_student, code=RIGHT)
    frames = [call.kwargs["event"] for call in send.call_args_list]
    assert {call.kwargs["user_id"] for call in send.call_args_list} == {enrolled_student.pk}
    assert [f["status"] for f in frames] == ["running", "graded"]
    assert frames[-1]["id"] == submission.pk and frames[-1]["score"] == 10.0


def test_the_api_accepts_a_submission_and_reports_its_grade(
    code_assignment, enrolled_student, django_capture_on_commit_callbacks
):
    api = api_client_for(enrolled_student)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/assignments/{code_assignment.pk}/submissions/", {"code": HALF_RIGHT}
        )
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    result = api.get(f"/api/submissions/{response.json()['id']}/").json()
    assert result["status"] == "graded"
    assert result["score"] == 7.5 and result["max_score"] == 10.0
    assert {"name", "outcome", "message"} <= set(result["tests"][0])
    assert result["review"]["status"] == ""


def test_attempts_are_limited_and_the_best_one_counts(code_assignment, enrolled_student, submit):
    code_assignment.max_attempts = 2
    code_assignment.save()
    first = submit(code_assignment, enrolled_student, code=RIGHT)
    second = submit(code_assignment, enrolled_student, code=WRONG)
    assert (first.attempt, second.attempt) == (1, 2)
    assert counted_submission([first, second], ScorePolicy.BEST) == first
    assert counted_submission([first, second], ScorePolicy.LAST) == second
    response = api_client_for(enrolled_student).post(
        f"/api/assignments/{code_assignment.pk}/submissions/", {"code": RIGHT}
    )
    assert response.status_code == 409
    assert "all 2 attempts" in response.json()["detail"]


def test_a_second_submission_waits_for_the_first_verdict(code_assignment, enrolled_student):
    api = api_client_for(enrolled_student)
    first = api.post(f"/api/assignments/{code_assignment.pk}/submissions/", {"code": RIGHT})
    assert first.status_code == 202  # queued: on-commit callbacks do not run here
    second = api.post(f"/api/assignments/{code_assignment.pk}/submissions/", {"code": RIGHT})
    assert second.status_code == 409
    assert "still being graded" in second.json()["detail"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [({"code": "   \n"}, "empty"), ({"code": "x = 1\n" * 20_000}, "KB")],
)
def test_bad_submissions_get_a_clear_error_and_nothing_is_stored(
    code_assignment, enrolled_student, payload, message
):
    response = api_client_for(enrolled_student).post(
        f"/api/assignments/{code_assignment.pk}/submissions/", payload
    )
    assert response.status_code in (400, 409)
    assert message in str(response.json())
    assert not Submission.objects.exists()


def test_a_student_not_enrolled_cannot_submit_or_see(code_assignment, student, other_teacher):
    response = api_client_for(student).post(
        f"/api/assignments/{code_assignment.pk}/submissions/", {"code": RIGHT}
    )
    assert response.status_code == 403
    for user in (student, other_teacher):
        client = api_client_for(user)
        assert client.get(f"/api/assignments/{code_assignment.pk}/").status_code == 403


def test_teachers_review_rather_than_submit(code_assignment, teacher):
    response = api_client_for(teacher).post(
        f"/api/assignments/{code_assignment.pk}/submissions/", {"code": RIGHT}
    )
    assert response.status_code == 403


def test_another_students_submission_is_a_404_like_a_missing_one(
    code_assignment, enrolled_student, other_student, course, submit
):
    from courses.services import enrollment_create

    enrollment_create(user=other_student, course=course)
    submission = submit(code_assignment, enrolled_student, code=RIGHT)
    api = api_client_for(other_student)
    assert api.get(f"/api/submissions/{submission.pk}/").status_code == 404
    assert api.get("/api/submissions/999999/").status_code == 404
    assert api.get("/api/assignments/999999/").status_code == 404


def test_unpublished_assignments_are_invisible_to_students(
    client, code_assignment, enrolled_student
):
    code_assignment.is_published = False
    code_assignment.save()
    client.force_login(enrolled_student)
    assert client.get(code_assignment.get_absolute_url()).status_code == 404
    listing = client.get(reverse("grading:assignments", args=["attention"]))
    assert code_assignment.title not in listing.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(client, code_assignment):
    response = client.get(code_assignment.get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response.url
    assert api_client_for(None).get(f"/api/assignments/{code_assignment.pk}/").status_code in (
        401,
        403,
    )


def test_the_dashboard_lists_assignments_to_do_until_submitted(
    client, code_assignment, enrolled_student, submit
):
    client.force_login(enrolled_student)
    assert "Add two numbers" in client.get(reverse("dashboard")).content.decode()
    submit(code_assignment, enrolled_student, code=RIGHT)
    assert "Add two numbers" not in client.get(reverse("dashboard")).content.decode()


def test_the_teachers_dashboard_counts_work_to_review(
    client, code_assignment, enrolled_student, teacher, submit
):
    submission = submit(code_assignment, enrolled_student, code=RIGHT)
    submission.needs_review = True
    submission.save()
    client.force_login(teacher)
    page = client.get(reverse("dashboard")).content.decode()
    assert "1 submission to review in Attention basics" in page


def test_a_page_that_missed_the_live_frames_catches_up_by_polling(
    client, code_assignment, enrolled_student, django_capture_on_commit_callbacks
):
    client.force_login(enrolled_student)
    queued = client.post(
        reverse("grading:submit", args=["attention", code_assignment.pk]),
        {"code": RIGHT},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    submission = Submission.objects.get()
    status_url = reverse("grading:submission_status", args=["attention", submission.pk])
    assert f'hx-get="{status_url}"' in queued and 'hx-trigger="every 3s"' in queued

    from grading.tasks import submission_grade

    submission_grade.delay(submission.pk)  # the worker; its frames went to no open page
    graded = client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert "Passed" in graded and "hx-trigger" not in graded  # done: polling stops


def test_nobody_else_can_poll_a_submissions_status(
    client, code_assignment, enrolled_student, other_student, submit
):
    submission = submit(code_assignment, enrolled_student, code=RIGHT)
    client.force_login(other_student)
    url = reverse("grading:submission_status", args=["attention", submission.pk])
    assert client.get(url).status_code == 404
