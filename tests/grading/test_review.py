"""Teachers: review queue, approve and override, regrades, gradebook with CSV and histogram."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from courses.services import enrollment_create
from grading.models import Review, Status
from grading.services import assignment_update
from tests.conftest import api_client_for
from tests.grading.conftest import HALF_RIGHT, RIGHT, WRONG

pytestmark = pytest.mark.django_db


def test_the_queue_filters_failed_and_regrade_requested_work(
    client, code_assignment, enrolled_student, other_student, course, teacher, submit
):
    enrollment_create(user=other_student, course=course)
    passed = submit(code_assignment, enrolled_student, code=RIGHT)
    failed = submit(code_assignment, other_student, code=WRONG)
    client.force_login(teacher)
    url = reverse("grading:review_queue", args=["attention"])
    failed_page = client.get(url, {"filter": "failed"}).content.decode()
    assert f'id="review-{failed.pk}"' in failed_page
    assert f'id="review-{passed.pk}"' not in failed_page

    client.force_login(enrolled_student)
    client.post(
        reverse("grading:regrade_request", args=["attention", passed.pk]),
        {"reason": "My add handles floats too."},
    )
    client.force_login(teacher)
    requested = client.get(url, {"filter": "regrade_requested"}).content.decode()
    assert f'id="review-{passed.pk}"' in requested and "handles floats too" in requested
    assert teacher.notifications.filter(title__contains="Regrade requested").exists()


def test_a_teacher_overrides_a_score_with_a_comment_the_student_sees(
    client, code_assignment, enrolled_student, teacher, submit
):
    submission = submit(code_assignment, enrolled_student, code=HALF_RIGHT)
    client.force_login(teacher)
    review = reverse("grading:review", args=["attention", submission.pk])
    refused = client.post(review, {"action": "override", "score": "9"}, follow=True)
    assert "Say why" in refused.content.decode()
    client.post(review, {"action": "override", "score": "9", "comment": "Good idea, one slip."})
    submission.refresh_from_db()
    assert (submission.score, submission.auto_score) == (Decimal(9), Decimal("7.50"))
    assert submission.review == Review.OVERRIDDEN and submission.reviewed_by == teacher
    client.force_login(enrolled_student)
    page = client.get(submission.get_absolute_url()).content.decode()
    assert "Good idea, one slip." in page and "set by your teacher" in page


def test_approving_keeps_the_automatic_score(code_assignment, enrolled_student, teacher, submit):
    submission = submit(code_assignment, enrolled_student, code=HALF_RIGHT)
    response = api_client_for(teacher).post(f"/api/submissions/{submission.pk}/review/", {})
    assert response.status_code == 200
    assert response.json()["review"]["status"] == "approved"
    assert response.json()["score"] == 7.5


def test_a_score_above_the_maximum_is_refused(code_assignment, enrolled_student, teacher, submit):
    submission = submit(code_assignment, enrolled_student, code=HALF_RIGHT)
    response = api_client_for(teacher).post(
        f"/api/submissions/{submission.pk}/review/", {"score": "11"}
    )
    assert response.status_code == 409
    assert "between 0 and 10" in response.json()["detail"]


def test_students_and_other_teachers_cannot_review(
    code_assignment, enrolled_student, other_teacher, submit
):
    submission = submit(code_assignment, enrolled_student, code=HALF_RIGHT)
    assert (
        api_client_for(enrolled_student)
        .post(f"/api/submissions/{submission.pk}/review/", {"score": "10"})
        .status_code
        == 403
    )
    assert (
        api_client_for(other_teacher)
        .post(f"/api/submissions/{submission.pk}/review/", {"score": "10"})
        .status_code
        == 404
    )


def test_a_regrade_request_is_made_once_and_only_by_its_student(
    code_assignment, enrolled_student, teacher, submit
):
    submission = submit(code_assignment, enrolled_student, code=HALF_RIGHT)
    url = f"/api/submissions/{submission.pk}/regrade-request/"
    assert api_client_for(teacher).post(url, {"reason": "x"}).status_code == 403
    api = api_client_for(enrolled_student)
    assert api.post(url, {"reason": ""}).status_code == 400
    assert api.post(url, {"reason": "Negative numbers were not in the task."}).status_code == 200
    assert api.post(url, {"reason": "Again"}).status_code == 409


def test_regrade_all_applies_changed_tests_and_keeps_overrides(
    code_assignment,
    enrolled_student,
    other_student,
    course,
    teacher,
    submit,
    django_capture_on_commit_callbacks,
):
    enrollment_create(user=other_student, course=course)
    half = submit(code_assignment, enrolled_student, code=HALF_RIGHT)
    overridden = submit(code_assignment, other_student, code=WRONG)
    api_client_for(teacher).post(
        f"/api/submissions/{overridden.pk}/review/", {"score": "4", "comment": "Partly there."}
    )
    # The teacher drops the negative-numbers test, which was not in the instructions.
    tests = code_assignment.test_code.split("    def test_negative")[0]
    tests += "    def test_large(self):\n        self.assertEqual(add(10**12, 1), 10**12 + 1)\n"
    assignment_update(
        assignment=code_assignment,
        test_code=tests,
        test_names=["TestAdd.test_small", "TestAdd.test_large"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(teacher).post(f"/api/assignments/{code_assignment.pk}/regrade/")
    assert response.status_code == 202 and response.json() == {"queued": 2}
    half.refresh_from_db()
    overridden.refresh_from_db()
    assert (half.status, half.verdict, half.score) == (Status.GRADED, "passed", Decimal(10))
    assert half.grading_version == code_assignment.grading_version
    assert overridden.score == Decimal(4) and overridden.auto_score == Decimal(0)


def test_the_gradebook_counts_each_students_best_attempt(
    client,
    code_assignment,
    text_assignment,
    enrolled_student,
    other_student,
    course,
    teacher,
    submit,
):
    enrollment_create(user=other_student, course=course)
    submit(code_assignment, enrolled_student, code=HALF_RIGHT)
    submit(code_assignment, enrolled_student, code=RIGHT)
    submit(code_assignment, other_student, code=WRONG)
    client.force_login(teacher)
    page = client.get(reverse("grading:gradebook", args=["attention"])).content.decode()
    assert "Add two numbers" in page and "<svg" in page
    assert "90-100%: 1" in page and "0-10%: 1" in page  # the histogram's text alternative

    response = client.get(reverse("grading:gradebook_csv", args=["attention"]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "username",
        "name",
        "Add two numbers (/10)",
        "Lists and tuples (/10)",
        "total (/20)",
    ]
    by_user = {row[0]: row for row in rows[1:]}
    assert by_user["alice"][2:] == ["10", "", "10"]
    assert by_user["bob"][2:] == ["0", "", "0"]


def test_a_name_that_looks_like_a_formula_is_defused_in_the_csv(
    client, code_assignment, enrolled_student, teacher
):
    enrolled_student.first_name = "=HYPERLINK(evil)"
    enrolled_student.save()
    client.force_login(teacher)
    text = client.get(reverse("grading:gradebook_csv", args=["attention"])).content.decode()
    assert "'=HYPERLINK(evil)" in text


def test_teacher_pages_are_closed_to_students_and_other_teachers(
    client, code_assignment, enrolled_student, other_teacher
):
    for user in (enrolled_student, other_teacher):
        client.force_login(user)
        for name in ("review_queue", "gradebook", "gradebook_csv"):
            assert client.get(reverse(f"grading:{name}", args=["attention"])).status_code == 403
    assert api_client_for(other_teacher).get("/api/courses/attention/gradebook/").status_code == 403


@pytest.mark.parametrize(
    "target", ["https://evil.example/phish", "//evil.example/x", "javascript:alert(1)"]
)
def test_the_redirect_after_a_review_stays_on_the_site(
    client, code_assignment, enrolled_student, teacher, submit, target
):
    submission = submit(code_assignment, enrolled_student, code=HALF_RIGHT)
    client.force_login(teacher)
    review = reverse("grading:review", args=["attention", submission.pk])
    response = client.post(review, {"action": "approve", "next": target})
    assert response.status_code == 302
    assert response["Location"] == submission.get_absolute_url()
    queue = reverse("grading:review_queue", args=["attention"])
    response = client.post(review, {"action": "approve", "next": queue})
    assert response["Location"] == queue  # a page of the site is still followed
