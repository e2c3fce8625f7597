"""Pages of free-text grading: the teacher sees evidence and agreement, the student a
provisional score, and nobody else sees either."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grading.models import GradingSettings

pytestmark = pytest.mark.django_db

GOOD = (
    "Lists are mutable, so you can change them after creating them, for example append items. "
    "Tuples are immutable and cannot be changed once created."
)
WRONG = "A tuple is mutable, so you can change it, and a list is immutable."


def test_the_student_sees_a_provisional_score_and_no_answer_key(
    client, text_assignment, enrolled_student, submit
):
    submission = submit(text_assignment, enrolled_student, text=GOOD)
    client.force_login(enrolled_student)
    page = client.get(submission.get_absolute_url()).content.decode()
    assert "Provisional" in page and "your teacher will confirm" in page
    assert "Fact" not in page and "drafted from the reference" not in page
    listing = client.get(reverse("grading:assignments", args=["attention"])).content.decode()
    assert "provisional" in listing


def test_the_teacher_sees_the_sentence_and_the_fact_it_contradicted(
    client, text_assignment, enrolled_student, teacher, submit
):
    submission = submit(text_assignment, enrolled_student, text=WRONG)
    client.force_login(teacher)
    page = client.get(submission.get_absolute_url()).content.decode()
    assert "contradicted" in page and "tuple is immutable" in page
    assert "A tuple is mutable, so you can change it" in page  # the evidence sentence


def test_the_assignment_page_shows_the_teacher_agreement_and_the_release_rule(
    client, text_assignment, enrolled_student, teacher, submit
):
    submission = submit(text_assignment, enrolled_student, text=GOOD)
    client.force_login(teacher)
    url = text_assignment.get_absolute_url()
    page = client.get(url).content.decode()
    assert "Every answer waits for your review" in page and "drafted from the reference" in page
    client.post(
        reverse("grading:review", args=["attention", submission.pk]),
        {"action": "override", "score": "7", "comment": "Fine."},
    )
    client.post(
        reverse("grading:review", args=["attention", submission.pk]),
        {"action": "approve", "comment": ""},
    )
    page = client.get(url).content.decode()
    assert "Measured on 1 answer you graded" in page
    queue = client.get(
        reverse("grading:review_queue", args=["attention"]), {"filter": "suggested"}
    ).content.decode()
    assert "the most informative first" in queue


def test_the_teacher_sets_the_course_bar(client, course, teacher, text_assignment):
    client.force_login(teacher)
    response = client.post(
        reverse("grading:grading_settings", args=["attention"]),
        {"release_qwk": "0.9", "next": text_assignment.get_absolute_url()},
    )
    assert response.status_code == 302 and response.url == text_assignment.get_absolute_url()
    assert GradingSettings.objects.get(course=course).release_qwk == 0.9
    bad = client.post(reverse("grading:grading_settings", args=["attention"]), {"release_qwk": "3"})
    assert bad.status_code == 302 and GradingSettings.objects.get(course=course).release_qwk == 0.9


def test_the_teacher_approves_the_drafted_facts(client, teacher, text_assignment):
    client.force_login(teacher)
    url = reverse("grading:facts_approve", args=["attention", text_assignment.pk])
    assert client.post(url).status_code == 302
    text_assignment.refresh_from_db()
    assert all(item["facts"] for item in text_assignment.rubric)
    assert client.get(url).status_code == 405


@pytest.mark.parametrize("who", ["enrolled_student", "other_teacher"])
def test_students_and_other_teachers_cannot_use_the_teacher_tools(
    request, client, text_assignment, who
):
    client.force_login(request.getfixturevalue(who))
    posts = [
        reverse("grading:grading_settings", args=["attention"]),
        reverse("grading:facts_approve", args=["attention", text_assignment.pk]),
    ]
    for url in posts:
        assert client.post(url, {"release_qwk": "0"}).status_code == 403
    queue = reverse("grading:review_queue", args=["attention"])
    assert client.get(queue, {"filter": "suggested"}).status_code == 403
    page = client.get(text_assignment.get_absolute_url()).content.decode()
    assert "Automatic grading and your grades" not in page
    assert not GradingSettings.objects.exists()


def test_another_student_cannot_see_the_submission(
    client, text_assignment, enrolled_student, other_student, course, submit
):
    from courses.services import enrollment_create

    enrollment_create(user=other_student, course=course)
    submission = submit(text_assignment, enrolled_student, text=GOOD)
    client.force_login(other_student)
    assert client.get(submission.get_absolute_url()).status_code == 404


def test_the_model_drafts_wrong_claims_that_count_only_once_approved(
    client, teacher, text_assignment, scripted, django_capture_on_commit_callbacks
):
    scripted.answer = "1. A tuple can be changed after it is created\n2. Lists are immutable"
    client.force_login(teacher)
    url = reverse("grading:wrong_claims_draft", args=["attention", text_assignment.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    text_assignment.refresh_from_db()
    version = text_assignment.grading_version
    first = text_assignment.rubric[0]
    assert (
        first["wrong_drafted"]
        == [
            "A tuple can be changed after it is created",
        ]
        and "wrong" not in first
    )
    page = client.get(text_assignment.get_absolute_url()).content.decode()
    assert "wrong claim drafted by the model" in page
    client.post(reverse("grading:facts_approve", args=["attention", text_assignment.pk]))
    text_assignment.refresh_from_db()
    assert text_assignment.rubric[0]["wrong"] == ["A tuple can be changed after it is created"]
    assert "wrong_drafted" not in text_assignment.rubric[0]
    assert text_assignment.grading_version == version + 1
