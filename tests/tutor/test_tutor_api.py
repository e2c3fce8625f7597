"""REST API: conversations (own; all for the course's teachers), transcripts, ratings, quota."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import api_client_for
from tutor.models import Conversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(tutor_course, enrolled_student, scripted, client):
    client.force_login(enrolled_student)
    client.post(
        reverse("tutor:ask", args=[tutor_course.slug]),
        {"question": "How do several attention heads work together?"},
    )
    return Conversation.objects.get()


def test_a_student_lists_only_their_own_conversations(
    conversation, enrolled_student, other_student, tutor_course
):
    from courses.services import enrollment_create

    enrollment_create(user=other_student, course=tutor_course)
    url = reverse("api-tutor-conversations", args=["attention"])
    mine = api_client_for(enrolled_student).get(url).json()
    assert [c["id"] for c in mine["results"]] == [conversation.pk]
    assert mine["results"][0]["messages"] == 2
    theirs = api_client_for(other_student).get(url, {"student": "all"}).json()
    assert theirs["results"] == []  # ?student= is for teachers; students see their own


def test_a_teacher_lists_every_students_conversations(conversation, teacher, enrolled_student):
    url = reverse("api-tutor-conversations", args=["attention"])
    body = api_client_for(teacher).get(url, {"student": "all"}).json()
    assert [(c["id"], c["student"]) for c in body["results"]] == [
        (conversation.pk, enrolled_student.username)
    ]


def test_not_enrolled_and_anonymous_callers_are_refused(conversation, student, other_student):
    url = reverse("api-tutor-conversations", args=["attention"])
    assert api_client_for(None).get(url).status_code == 401
    assert api_client_for(other_student).get(url).status_code == 403


def test_a_transcript_is_for_its_student_and_the_course_teachers(
    conversation, enrolled_student, teacher, other_teacher, other_student
):
    url = reverse("api-tutor-conversation", args=[conversation.pk])
    body = api_client_for(enrolled_student).get(url).json()
    assert [m["role"] for m in body["transcript"]] == ["student", "tutor"]
    assert body["transcript"][1]["citations"][0]["source"] == "Multi-head"
    assert api_client_for(teacher).get(url).status_code == 200
    for user in (other_teacher, other_student):
        response = api_client_for(user).get(url)
        assert response.status_code == 404 and response.json()["detail"] == "No such conversation."
    assert (
        api_client_for(enrolled_student)
        .get(reverse("api-tutor-conversation", args=[999999]))
        .status_code
        == 404
    )


def test_rating_through_the_api(conversation, enrolled_student, other_student):
    reply = conversation.messages.get(role="tutor")
    url = reverse("api-tutor-rating", args=[reply.pk])
    assert (
        api_client_for(other_student).post(url, {"helpful": True}, format="json").status_code == 404
    )
    assert api_client_for(enrolled_student).post(url, {}, format="json").status_code == 400
    body = (
        api_client_for(enrolled_student)
        .post(url, {"helpful": False, "comment": "Missing an example"}, format="json")
        .json()
    )
    assert (body["rating"], body["rating_comment"]) == ("not_helpful", "Missing an example")
    question = conversation.messages.get(role="student")
    refused = api_client_for(enrolled_student).post(
        reverse("api-tutor-rating", args=[question.pk]), {"helpful": True}, format="json"
    )
    assert refused.status_code == 409 and "Only a finished tutor reply" in refused.json()["detail"]


def test_the_quota_endpoint_shows_what_is_left(conversation, enrolled_student, teacher):
    body = api_client_for(enrolled_student).get(reverse("api-tutor-quota")).json()
    assert (body["available"], body["capacity"], body["unlimited"]) == (9, 10, False)
    assert body["next_question_at"]
    assert api_client_for(teacher).get(reverse("api-tutor-quota")).json()["unlimited"] is True
