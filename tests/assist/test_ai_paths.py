"""Every path to the model, from every client, follows the teachers' rule and logs its use.

The same sentence reaches a student on the tutor's plain form, its socket, the ask API, the
playground socket; feedback on a submission is simply not written. Generation comes from
ScriptedBackend (a named double); test_ai_real_model.py runs the log against the real model.
"""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from assist.guards import WITHHELD
from assist.models import Outcome, UsageRecord
from assist.services import ai_policy_set
from tests.conftest import api_client_for
from tests.playground.conftest import connected as playground_connected
from tests.playground.conftest import frames_until
from tests.tutor.sockets import ask, connected, until
from tutor.models import Message

OFF = "Your teacher turned AI help off for this course."
QUESTION = "How do several attention heads work together?"
CODE_ANSWER = "Like this: ```python\nprint('solution')\n``` and done."


def _off(course, teacher):
    ai_policy_set(course=course, mode="off", by=teacher)


# --- the tutor's plain form and the ask API ----------------------------------------------------


@pytest.mark.django_db
def test_the_plain_tutor_form_says_the_rule_and_asks_nothing(
    client, tutor_course, enrolled_student, teacher, scripted
):
    _off(tutor_course, teacher)
    client.force_login(enrolled_student)
    response = client.post(
        reverse("tutor:ask", args=[tutor_course.slug]), {"question": QUESTION}, follow=True
    )
    assert OFF in response.content.decode()
    assert scripted.calls == [] and not Message.objects.exists()
    refusal = UsageRecord.objects.get()
    assert (refusal.outcome, refusal.reason, refusal.course) == (
        Outcome.REFUSED,
        OFF,
        tutor_course,
    )


@pytest.mark.django_db
def test_the_ask_api_says_the_same_rule_with_a_403(
    tutor_course, enrolled_student, teacher, scripted
):
    _off(tutor_course, teacher)
    response = api_client_for(enrolled_student).post(
        reverse("api-ask", args=[tutor_course.slug]), {"question": QUESTION}, format="json"
    )
    assert response.status_code == 403 and response.json() == {"detail": OFF}
    assert scripted.calls == []


@pytest.mark.django_db
def test_hints_only_turns_an_explain_question_into_a_hint_without_code(
    client, tutor_course, enrolled_student, teacher, scripted
):
    ai_policy_set(course=tutor_course, mode="hints", by=teacher)
    scripted.answer = CODE_ANSWER
    client.force_login(enrolled_student)
    client.post(reverse("tutor:ask", args=[tutor_course.slug]), {"question": QUESTION})
    reply = Message.objects.get(role=Message.Role.TUTOR)
    assert "print('solution')" not in reply.content and WITHHELD.strip() in reply.content
    assert "hint" in scripted.calls[0][0]["content"].lower()  # the hint prompt, not explain's
    response = api_client_for(enrolled_student).post(
        reverse("api-ask", args=[tutor_course.slug]), {"question": QUESTION}, format="json"
    )
    assert "print('solution')" not in response.json()["answer"]


@pytest.mark.django_db
def test_every_answer_is_logged_with_the_engines_token_counts(
    client, tutor_course, enrolled_student, scripted
):
    client.force_login(enrolled_student)
    client.post(reverse("tutor:ask", args=[tutor_course.slug]), {"question": QUESTION})
    api = api_client_for(enrolled_student).post(
        reverse("api-ask", args=[tutor_course.slug]), {"question": QUESTION}, format="json"
    )
    reply = Message.objects.get(role=Message.Role.TUTOR)
    tutor_row, ask_row = UsageRecord.objects.order_by("pk")
    assert (tutor_row.feature, tutor_row.outcome, tutor_row.user) == (
        "tutor_explain",
        Outcome.ANSWERED,
        enrolled_student,
    )
    assert (tutor_row.prompt_tokens, tutor_row.completion_tokens) == (
        reply.prompt_tokens,
        reply.completion_tokens,
    )
    assert tutor_row.prompt_tokens > 0 and tutor_row.latency_ms is not None
    assert (ask_row.feature, ask_row.prompt_tokens, ask_row.completion_tokens) == (
        "rag_answer",
        api.json()["usage"]["prompt_tokens"],
        api.json()["usage"]["completion_tokens"],
    )


@pytest.mark.django_db
def test_no_feedback_is_written_on_a_submission_where_ai_is_off(
    course, teacher, enrolled_student, assignment, scripted, settings
):
    from grading.grader import submission_feedback_write
    from grading.models import FeedbackStatus, Submission

    ai_policy_set(course=course, mode="off", assignment=assignment, by=teacher)
    submission = Submission.objects.create(
        assignment=assignment,
        student=enrolled_student,
        attempt=1,
        code="def add(a, b): pass",
        status="done",
        verdict="failed",
        tests=[{"name": "test_add", "outcome": "failed", "message": "assert None == 3"}],
        feedback_status=FeedbackStatus.PENDING,
    )
    assert submission_feedback_write(submission_id=submission.pk) == "skipped"
    submission.refresh_from_db()
    assert submission.feedback_status == FeedbackStatus.NONE and scripted.calls == []
    assert UsageRecord.objects.get().outcome == Outcome.REFUSED
    # Allowed again, the feedback is written and logged with its tokens.
    ai_policy_set(
        course=course, mode="", assignment=assignment, instructions="Name the + sign.", by=teacher
    )
    Submission.objects.filter(pk=submission.pk).update(feedback_status=FeedbackStatus.PENDING)
    assert submission_feedback_write(submission_id=submission.pk) == FeedbackStatus.READY
    assert "Name the + sign." in scripted.calls[0][0]["content"]
    row = UsageRecord.objects.get(outcome=Outcome.ANSWERED)
    assert row.feature == "grading_feedback" and row.assignment == assignment
    assert row.completion_tokens == len(scripted.answer.split(" "))


# --- sockets -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_tutor_socket_says_the_same_rule(
    tutor_course, enrolled_student, teacher, scripted
):
    await database_sync_to_async(_off)(tutor_course, teacher)
    socket = await connected(enrolled_student)
    await ask(socket, QUESTION)
    error, _ = await until(socket, "error")
    assert (error["code"], error["message"]) == ("tutor_off", OFF)
    assert scripted.calls == []
    await socket.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_the_playground_socket_says_the_assignments_rule(
    course, enrolled_student, teacher, assignment, scripted
):
    await database_sync_to_async(ai_policy_set)(
        course=course, mode="off", assignment=assignment, by=teacher
    )
    socket = await playground_connected(enrolled_student)
    await socket.send_json_to(
        {"type": "help", "kind": "explain", "code": "x = 1", "assignment": assignment.pk}
    )
    error, _ = await frames_until(socket, "error")
    assert error["message"] == "Your teacher turned AI help off for this assignment."
    assert scripted.calls == []
    # Help outside the assignment is not limited by its rule, and is logged when answered.
    await socket.send_json_to({"type": "help", "kind": "explain", "code": "x = 1"})
    await frames_until(socket, "help.done")
    await socket.disconnect()
    rows = await database_sync_to_async(list)(UsageRecord.objects.order_by("pk"))
    assert [r.outcome for r in rows] == [Outcome.REFUSED, Outcome.ANSWERED]
    assert rows[1].feature == "playground_help" and rows[1].completion_tokens == len(
        scripted.answer.split(" ")
    )


@pytest.mark.django_db
def test_during_an_exam_the_ask_api_refuses_on_time_and_logs_it(
    tutor_course, enrolled_student, teacher, scripted
):
    from datetime import datetime

    import time_machine

    from assist.services import exam_window_create

    exam_window_create(
        course=tutor_course,
        title="Midterm",
        starts_at=datetime.fromisoformat("2026-12-01T09:00+00:00"),
        ends_at=datetime.fromisoformat("2026-12-01T11:00+00:00"),
        by=teacher,
    )
    client = api_client_for(enrolled_student)
    url = reverse("api-ask", args=[tutor_course.slug])
    with time_machine.travel("2026-12-01 10:30Z", tick=False):
        refused = client.post(url, {"question": QUESTION}, format="json")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("AI help is off during the exam “Midterm”, until")
    assert scripted.calls == []
    with time_machine.travel("2026-12-01 11:00Z", tick=False):
        assert client.post(url, {"question": QUESTION}, format="json").status_code == 200
    assert [r.outcome for r in UsageRecord.objects.order_by("pk")] == [
        Outcome.REFUSED,
        Outcome.ANSWERED,
    ]
