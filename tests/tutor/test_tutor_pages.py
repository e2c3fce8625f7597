"""Tutor pages, the no-JavaScript fallback, ratings, teacher insights and the HTML socket."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from tests.tutor.sockets import tutor_socket
from tutor.models import Conversation, Message

pytestmark = pytest.mark.django_db

QUESTION = "How do several attention heads work together?"


@pytest.fixture
def answered(tutor_course, enrolled_student, scripted, client):
    """The student asked one covered and one uncovered question through the page fallback."""
    client.force_login(enrolled_student)
    url = reverse("tutor:ask", args=[tutor_course.slug])
    first = client.post(url, {"question": QUESTION, "mode": "explain"})
    conversation = Conversation.objects.get()
    assert first.url == conversation.get_absolute_url()
    client.post(url, {"question": "Best banana bread recipe?", "conversation": conversation.pk})
    client.logout()
    return conversation


def test_the_tutor_page_needs_a_signed_in_enrolled_student(client, tutor_course, student):
    url = reverse("tutor:course", args=[tutor_course.slug])
    assert client.get(url).status_code == 302
    client.force_login(student)
    assert client.get(url).status_code == 403  # published, but not enrolled


def test_a_draft_courses_tutor_does_not_exist_for_students(client, draft_course, student):
    client.force_login(student)
    assert client.get(reverse("tutor:course", args=[draft_course.slug])).status_code == 404


def test_an_enrolled_student_gets_the_panel_with_the_budget(client, tutor_course, enrolled_student):
    client.force_login(enrolled_student)
    page = client.get(reverse("tutor:course", args=[tutor_course.slug])).content.decode()
    assert 'ws-connect="/ws/courses/attention/tutor/?format=html"' in page
    assert "10 of 10 questions left" in page
    assert 'value="hint"' in page and 'value="quiz"' in page


def test_every_lesson_page_has_an_ask_about_this_lesson_panel(
    client, tutor_course, enrolled_student
):
    client.force_login(enrolled_student)
    page = client.get(reverse("courses:lesson", args=[tutor_course.slug, "multi-head"]))
    html = page.content.decode()
    assert "Ask about this lesson" in html
    assert "/ws/courses/attention/tutor/?format=html&amp;lesson=multi-head" in html


def test_without_javascript_a_question_gets_an_answer_page_with_sources(
    client, answered, enrolled_student, scripted
):
    client.force_login(enrolled_student)
    html = client.get(answered.get_absolute_url()).content.decode()
    assert "Several heads attend in parallel" in html
    # The model's "[1]" became a link to the cited lesson section.
    cited = '<a class="cite" href="/courses/attention/lessons/multi-head/#multi-head-attention">'
    assert cited + "[1]</a>" in html
    assert 'href="/courses/attention/lessons/multi-head/#multi-head-attention"' in html
    assert "Not found in the course material." in html  # the banana bread question
    assert len(scripted.calls) == 1


def test_the_fallback_explains_an_empty_question(client, tutor_course, enrolled_student):
    client.force_login(enrolled_student)
    response = client.post(
        reverse("tutor:ask", args=[tutor_course.slug]), {"question": " "}, follow=True
    )
    assert "Type a question first." in response.content.decode()
    assert not Message.objects.exists()


def test_the_fallback_explains_an_empty_budget(client, tutor_course, enrolled_student, settings):
    settings.TUTOR_QUOTA_QUESTIONS = 1
    client.force_login(enrolled_student)
    url = reverse("tutor:ask", args=[tutor_course.slug])
    client.post(url, {"question": "What is the capital of France?"})
    response = client.post(url, {"question": "And Spain?"}, follow=True)
    assert "You have no tutor questions left for now" in response.content.decode()


def test_a_conversation_is_private_to_its_student_and_the_course_teachers(
    client, answered, other_student, teacher, other_teacher, enrolled_student
):
    url = answered.get_absolute_url()
    for user in (other_student, other_teacher):
        client.force_login(user)
        assert client.get(url).status_code == 404
    client.force_login(teacher)
    review = client.get(url).content.decode()
    assert "Read-only" in review and enrolled_student.username in review
    assert 'id="tutor-form"' not in review
    client.force_login(enrolled_student)
    assert 'id="tutor-form"' in client.get(url).content.decode()


def test_a_student_rates_an_answer_with_a_comment(client, answered, enrolled_student):
    reply = answered.messages.filter(role="tutor", covered=True).get()
    url = reverse("tutor:rate", args=["attention", reply.pk])
    client.force_login(enrolled_student)
    assert client.get(url).status_code == 405
    assert client.post(url, {"helpful": "maybe"}).status_code == 400
    response = client.post(
        url, {"helpful": "no", "comment": "Too vague"}, headers={"HX-Request": "true"}
    )
    assert "You rated this <strong>not helpful</strong>" in response.content.decode()
    reply.refresh_from_db()
    assert (reply.rating, reply.rating_comment) == ("not_helpful", "Too vague")


def test_nobody_else_can_rate_a_students_answer(client, answered, other_student, teacher):
    reply = answered.messages.filter(role="tutor").first()
    for user in (other_student, teacher):
        client.force_login(user)
        url = reverse("tutor:rate", args=["attention", reply.pk])
        assert client.post(url, {"helpful": "yes"}).status_code == 404


def test_teachers_see_unhelpful_answers_topics_and_uncovered_questions(
    client, answered, teacher, enrolled_student
):
    reply = answered.messages.filter(role="tutor", covered=True).get()
    reply.rating, reply.rating_comment = "not_helpful", "Did not explain the projection"
    reply.save()
    client.force_login(teacher)
    page = client.get(reverse("tutor:insights", args=["attention"])).content.decode()
    assert "Did not explain the projection" in page
    assert "Multi-head attention" in page  # the most asked topic
    assert "Best banana bread recipe?" not in page or "did not cover" in page
    assert answered.title in page
    filtered = client.get(
        reverse("tutor:insights", args=["attention"]), {"rating": "not_helpful"}
    ).content.decode()
    assert answered.get_absolute_url() in filtered


def test_insights_are_for_the_course_teachers_only(
    client, answered, enrolled_student, other_teacher
):
    url = reverse("tutor:insights", args=["attention"])
    for user in (enrolled_student, other_teacher):
        client.force_login(user)
        assert client.get(url).status_code == 403


# --- the same socket, for the browser (HTMX fragments) -----------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_a_browser_page_gets_htmx_fragments_as_the_answer_streams(
    client, tutor_course, enrolled_student, scripted
):
    await database_sync_to_async(client.force_login)(enrolled_student)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    socket = await tutor_socket(
        None, query="format=html&lesson=multi-head", cookie=cookie, origin="http://localhost"
    )
    assert (await socket.connect())[0]
    assert 'id="tutor-quota" class="tutor-quota" hx-swap-oob="true"' in await socket.receive_from()
    # What the HTMX websocket extension sends for the form: its fields plus HEADERS.
    form = {
        "type": "ask",
        "conversation": "",
        "lesson": "multi-head",
        "question": QUESTION,
        "mode": "explain",
        "HEADERS": {"HX-Request": "true", "HX-Trigger": "tutor-form"},
    }
    await socket.send_to(text_data=json.dumps(form))
    started = await socket.receive_from(timeout=10)
    assert 'id="tutor-log" hx-swap-oob="beforeend"' in started
    assert 'id="tutor-conversation" name="conversation" value="' in started
    assert "The tutor is answering" in started  # the stop button appears
    frames: list[str] = []
    while 'class="tutor-msg tutor-msg-tutor"' not in (frames[-1] if frames else ""):
        frames.append(await socket.receive_from(timeout=10))
    final = frames[-1]
    assert 'hx-swap-oob="true"' in final and 'aria-busy="false"' in final
    assert 'href="/courses/attention/lessons/multi-head/#multi-head-attention"' in final
    assert "Helpful" in final and "Not helpful" in final  # the rating form
    assert "The tutor is answering" not in final

    # A follow-up in the same conversation (the form now carries its id) renders the same way.
    conversation = await database_sync_to_async(lambda: Conversation.objects.get().pk)()
    await socket.send_to(
        text_data=json.dumps({**form, "conversation": str(conversation), "question": "Why?"})
    )
    frames = [await socket.receive_from(timeout=10)]
    while 'class="tutor-msg tutor-msg-tutor"' not in frames[-1] or 'aria-busy="true"' in frames[-1]:
        frames.append(await socket.receive_from(timeout=10))
    assert "Helpful" in frames[-1] and 'aria-busy="false"' in frames[-1]
    await socket.disconnect()
