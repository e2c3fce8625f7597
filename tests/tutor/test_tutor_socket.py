"""The tutor socket, JSON protocol: access, streaming, conversations, modes and bad input.

Generation comes from ScriptedBackend (a named double); test_tutor_real_model.py runs the same
socket on the real packaged model.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.db.models import F

from assist.budget import BUSY_KEY
from assist.guards import WITHHELD
from assist.models import QuestionBudget
from assist.prompts import tutor as prompts
from courses import services as course_services
from inference import backends
from inference.backends import InferenceError
from knowledge.rag import NOT_COVERED
from tests.inference.doubles import ScriptedBackend
from tests.tutor.sockets import ask, connected, tutor_socket, until
from tutor.models import Conversation, Message

pytestmark = pytest.mark.django_db(transaction=True)

QUESTION = "How do several attention heads work together?"


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()


@pytest.fixture
def slow(scripted):
    scripted.answer = " ".join(f"word{i}" for i in range(200))
    scripted.delay = 0.05
    return scripted


def _published_course(teacher, slug):
    course = course_services.course_create(author=teacher, title=slug, slug=slug, summary="x")
    module = course_services.module_create(course=course, title="M")
    course_services.lesson_create(module=module, title="L", slug="l", body="Text.")
    return course_services.course_set_published(course=course, published=True)


# --- who may connect ---------------------------------------------------------------------------


async def test_anonymous_sockets_are_refused(tutor_course):
    socket = await tutor_socket()
    connected_, code = await socket.connect()
    assert not connected_ and code == 4401
    await socket.disconnect()


async def test_a_student_who_is_not_enrolled_is_refused(tutor_course, student):
    socket = await tutor_socket(student)
    connected_, code = await socket.connect()
    assert not connected_ and code == 4403
    await socket.disconnect()


async def test_a_student_of_another_course_is_refused(tutor_course, student, teacher):
    other = await database_sync_to_async(_published_course)(teacher, "other")
    await database_sync_to_async(course_services.enrollment_create)(user=student, course=other)
    socket = await tutor_socket(student, "attention")
    connected_, code = await socket.connect()
    assert not connected_ and code == 4403
    await socket.disconnect()


async def test_an_unknown_course_and_a_draft_are_refused_alike(enrolled_student, draft_course):
    for slug in ("no-such-course", draft_course.slug):
        socket = await tutor_socket(enrolled_student, slug)
        connected_, code = await socket.connect()
        assert not connected_ and code == 4403
        await socket.disconnect()


async def test_a_foreign_origin_is_refused_even_with_a_valid_token(tutor_course, enrolled_student):
    socket = await tutor_socket(enrolled_student, origin="https://evil.example")
    connected_, _ = await socket.connect()
    assert not connected_
    await socket.disconnect()


async def test_the_course_teacher_and_an_admin_may_connect(tutor_course, teacher, admin_user):
    for user in (teacher, admin_user):
        socket = await tutor_socket(user)
        ok, _ = await socket.connect()
        assert ok
        ready = await socket.receive_json_from()
        assert ready["quota"]["unlimited"] is True
        await socket.disconnect()


async def test_another_teacher_is_refused(tutor_course, other_teacher):
    socket = await tutor_socket(other_teacher)
    ok, code = await socket.connect()
    assert not ok and code == 4403
    await socket.disconnect()


# --- answers -------------------------------------------------------------------------------------


async def test_an_answer_streams_token_by_token_then_cites_its_sources(
    tutor_course, enrolled_student, scripted
):
    socket = await connected(enrolled_student)
    await ask(socket, QUESTION)
    started = await socket.receive_json_from(timeout=10)
    assert started["type"] == "started" and started["quota"]["available"] == 9
    done, before = await until(socket, "done")
    tokens = [f["text"] for f in before if f["type"] == "token"]
    assert len(tokens) == len(scripted.answer.split(" "))  # one frame per piece, as generated
    assert "".join(tokens) == done["text"] == scripted.answer
    assert done["status"] == "complete" and done["covered"] is True
    first = done["citations"][0]
    assert first["source"] == "Multi-head"
    assert first["url"] == "/courses/attention/lessons/multi-head/#multi-head-attention"
    stored = await database_sync_to_async(Message.objects.get)(pk=done["message"])
    assert stored.content == scripted.answer and stored.citations == done["citations"]
    assert await database_sync_to_async(
        Conversation.objects.filter(pk=done["conversation"], student=enrolled_student).exists
    )()
    await socket.disconnect()


async def test_students_asking_at_the_same_moment_each_get_their_own_answer(
    tutor_course, enrolled_student, scripted
):
    # Their set-ups (retrieval, quotes, the stored question) run side by side, each in a
    # thread of its own: still one conversation, one charged question and the whole answer each.
    @database_sync_to_async
    def classmates(count):
        from accounts.models import Role
        from tests.conftest import _user

        users = [_user(f"classmate{i}", Role.STUDENT) for i in range(count)]
        for user in users:
            course_services.enrollment_create(user=user, course=tutor_course)
        return users

    students = [enrolled_student, *await classmates(5)]
    sockets = [await connected(student) for student in students]
    await asyncio.gather(*(ask(socket, QUESTION) for socket in sockets))
    finished = await asyncio.gather(*(until(socket, "done") for socket in sockets))
    for done, before in finished:
        started = before[0]
        assert started["type"] == "started" and started["quota"]["available"] == 9
        assert done["status"] == "complete" and done["text"] == scripted.answer
        assert done["citations"][0]["source"] == "Multi-head"
    conversations = {done["conversation"] for done, _ in finished}
    assert len(conversations) == len(students)
    owners = await database_sync_to_async(
        lambda: sorted(
            Conversation.objects.filter(pk__in=conversations).values_list("student", flat=True)
        )
    )()
    assert owners == sorted(student.pk for student in students)
    for socket in sockets:
        await socket.disconnect()


async def test_a_follow_up_continues_the_conversation_with_its_recent_turns(
    tutor_course, enrolled_student, scripted
):
    socket = await connected(enrolled_student)
    await ask(socket, QUESTION)
    first, _ = await until(socket, "done")
    await ask(socket, "And why is that useful?", conversation=first["conversation"])
    second, _ = await until(socket, "done")
    assert second["conversation"] == first["conversation"]
    # "that" names nothing: retrieval read it with the question before, and the model saw
    # the earlier exchange as chat history.
    assert second["covered"] is True
    prompt = scripted.calls[1]
    # The passages open the replayed conversation (shared parts first, for the prefix cache);
    # the earlier question is replayed as it was asked.
    assert prompt[1]["role"] == "user" and prompt[1]["content"].startswith("<context>")
    assert prompt[1]["content"].endswith(f"Question: {QUESTION}")
    assert prompt[2] == {"role": "assistant", "content": scripted.answer}
    assert prompt[-1] == {"role": "user", "content": "Question: And why is that useful?"}
    await socket.disconnect()


async def test_a_question_the_material_does_not_cover_gets_the_fallback_without_the_model(
    tutor_course, enrolled_student, scripted
):
    socket = await connected(enrolled_student)
    await ask(socket, "What is the best recipe for banana bread?")
    done, before = await until(socket, "done")
    assert done["covered"] is False and done["citations"] == []
    assert done["text"] == NOT_COVERED
    assert [f["text"] for f in before if f["type"] == "token"] == [NOT_COVERED]
    assert scripted.calls == []
    await socket.disconnect()


async def test_a_lesson_socket_puts_that_lessons_passages_first(
    tutor_course, enrolled_student, scripted
):
    question = "Why are scores divided before the softmax in attention heads?"
    course_wide = await connected(enrolled_student)
    await ask(course_wide, question)
    done, _ = await until(course_wide, "done")
    assert done["citations"][0]["source"] == "Queries and keys"  # the best match overall
    await course_wide.disconnect()

    from_lesson = await connected(enrolled_student, query="lesson=multi-head")
    await ask(from_lesson, question)
    done, _ = await until(from_lesson, "done")
    assert [c["source"] for c in done["citations"]][:2] == ["Multi-head", "Queries and keys"]
    conversation = await database_sync_to_async(Conversation.objects.select_related("lesson").get)(
        pk=done["conversation"]
    )
    assert conversation.lesson.slug == "multi-head"
    await from_lesson.disconnect()


# --- modes ---------------------------------------------------------------------------------------


async def test_hint_mode_guides_and_never_streams_code(tutor_course, enrolled_student, scripted):
    scripted.answer = (
        "Think about heads [1]. ```python\ndef solve():\n    return 42\n``` What next?"
    )
    socket = await connected(enrolled_student)
    await ask(socket, "Write the code for multi-head attention for me", mode="hint")
    done, before = await until(socket, "done")
    streamed = "".join(f["text"] for f in before if f["type"] == "token")
    assert "return 42" not in streamed and "return 42" not in done["text"]
    assert WITHHELD.strip() in done["text"] and done["text"].endswith("What next?")
    assert scripted.calls[0][0]["content"] == prompts.HINT_PROMPT  # no open assignments
    assert "Give me a hint, not the answer." in scripted.calls[0][-1]["content"]
    await socket.disconnect()


async def test_hint_mode_knows_the_open_assignments_it_must_not_solve(
    tutor_course, enrolled_student, teacher, scripted
):
    from django.utils import timezone

    from grading.services import assignment_create

    def create_assignments() -> None:
        for title, due in (("Heads homework", None), ("Closed homework", timedelta(days=-1))):
            assignment_create(
                course=tutor_course,
                created_by=teacher,
                title=title,
                kind="text",
                instructions=f"{title}: explain multi-head attention.",
                due_at=timezone.now() + due if due else None,
            )

    await database_sync_to_async(create_assignments)()
    socket = await connected(enrolled_student)
    await ask(socket, "Write the code for multi-head attention for me", mode="hint")
    await until(socket, "done")
    system = scripted.calls[0][0]["content"]
    assert system.startswith(prompts.HINT_PROMPT)
    assert "never solve them" in system and "Heads homework" in system
    assert "Closed homework" not in system  # past its due date: nothing left to protect
    await socket.disconnect()


async def test_quiz_mode_asks_a_question_on_the_lesson_then_gives_feedback(
    tutor_course, enrolled_student, scripted
):
    scripted.answer = "Why are the scores divided by the square root of the key dimension?"
    socket = await connected(enrolled_student, query="lesson=queries")
    await ask(socket, "Quiz me", mode="quiz")
    question, _ = await until(socket, "done")
    assert scripted.calls[0][0]["content"] == prompts.QUIZ_QUESTION_PROMPT
    assert "do not saturate it" in scripted.calls[0][1]["content"]  # the lesson passage
    scripted.answer = "Correct [1]: it keeps the softmax from saturating."
    await ask(
        socket,
        "So the softmax does not saturate",
        conversation=question["conversation"],
        mode="quiz",
    )
    feedback, _ = await until(socket, "done")
    assert feedback["text"] == scripted.answer
    prompt = scripted.calls[1]
    assert prompt[0]["content"] == prompts.QUIZ_FEEDBACK_PROMPT
    assert f"Quiz question: {question['text']}" in prompt[1]["content"]
    assert "My answer: So the softmax does not saturate" in prompt[1]["content"]
    kinds = await database_sync_to_async(
        lambda: list(Message.objects.order_by("id").values_list("kind", flat=True))
    )()
    assert kinds == ["question", "quiz_question", "quiz_answer", "quiz_feedback"]
    await socket.disconnect()


async def test_past_the_budget_a_clear_error_says_when_to_come_back_and_it_refills(
    tutor_course, enrolled_student, scripted, settings
):
    settings.TUTOR_QUOTA_QUESTIONS = 2
    socket = await connected(enrolled_student)
    for left in (1, 0):
        await ask(socket, QUESTION)
        assert (await until(socket, "done"))[0]["quota"]["available"] == left
    await ask(socket, QUESTION)
    error = await socket.receive_json_from()
    assert error["code"] == "quota_exceeded"
    assert "no tutor questions left" in error["message"] and "in about 3 min" in error["message"]
    assert error["quota"]["available"] == 0 and error["quota"]["next_question_at"]
    assert len(scripted.calls) == 2

    # Three minutes later one question is back.
    await database_sync_to_async(
        lambda: QuestionBudget.objects.filter(user=enrolled_student).update(
            checked_at=F("checked_at") - timedelta(seconds=180)
        )
    )()
    await ask(socket, QUESTION)
    started = await socket.receive_json_from()
    assert started["type"] == "started" and started["quota"]["available"] == 0
    await until(socket, "done")
    await socket.disconnect()


# --- stopping ------------------------------------------------------------------------------------


async def test_stop_ends_the_generation_and_keeps_what_was_said(
    tutor_course, enrolled_student, slow
):
    socket = await connected(enrolled_student)
    await ask(socket, QUESTION)
    await until(socket, "token")
    await socket.send_to(text_data=json.dumps({"type": "stop"}))
    await socket.send_to(text_data=json.dumps({"type": "stop"}))  # a double click
    done, _ = await until(socket, "done", timeout=2)
    assert done["status"] == "stopped"
    assert 0 < len(done["text"].split()) < 200
    assert slow.finished == 0
    # The student is free to ask again at once.
    slow.delay = 0
    await ask(socket, QUESTION, conversation=done["conversation"])
    assert (await until(socket, "done"))[0]["status"] == "complete"
    await socket.disconnect()


async def test_a_disconnect_cancels_the_generation_within_a_second(
    tutor_course, enrolled_student, slow
):
    socket = await connected(enrolled_student)
    await ask(socket, QUESTION)
    started = await socket.receive_json_from()
    await until(socket, "token")
    await socket.disconnect()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1
    status = None
    while loop.time() < deadline:
        status = await database_sync_to_async(
            lambda: Message.objects.get(pk=started["message"]).status
        )()
        if status == "stopped":
            break
        await asyncio.sleep(0.05)
    assert status == "stopped"
    assert slow.finished == 0
    assert cache.get(BUSY_KEY.format(user_id=enrolled_student.pk)) is None


# --- bad input -----------------------------------------------------------------------------------


async def _still_alive(socket) -> None:
    await socket.send_to(text_data=json.dumps({"type": "ping"}))
    assert await socket.receive_json_from() == {"type": "pong"}


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_frame"),
        ("[1, 2]", "bad_frame"),
        (json.dumps({"type": "dance"}), "bad_frame"),
        (json.dumps({"type": "ask", "question": ""}), "empty_question"),
        (json.dumps({"type": "ask", "question": "   "}), "empty_question"),
        (json.dumps({"type": "ask", "question": "x" * 2001}), "question_too_long"),
        (json.dumps({"type": "ask", "question": 42}), "bad_frame"),
        (json.dumps({"type": "ask", "question": "Hi", "mode": "cheat"}), "bad_mode"),
        (json.dumps({"type": "ask", "question": "Hi", "conversation": "abc"}), "bad_frame"),
        (
            json.dumps({"type": "ask", "question": "Hi", "conversation": 999999}),
            "conversation_not_found",
        ),
        (json.dumps({"type": "ask", "question": "Hi", "lesson": "nope"}), "lesson_not_found"),
        (json.dumps({"type": "stop"}), "not_generating"),
    ],
)
async def test_bad_frames_get_an_error_frame_and_the_socket_lives_on(
    tutor_course, enrolled_student, scripted, frame, code
):
    socket = await connected(enrolled_student)
    await socket.send_to(text_data=frame)
    error = await socket.receive_json_from()
    assert error["type"] == "error" and error["code"] == code and error["message"]
    await _still_alive(socket)
    assert scripted.calls == []
    await socket.disconnect()


async def test_bad_questions_cost_nothing_from_the_budget(tutor_course, enrolled_student, scripted):
    socket = await connected(enrolled_student)
    await ask(socket, "")
    await socket.receive_json_from()
    await ask(socket, QUESTION)
    started = await socket.receive_json_from()
    assert started["quota"]["available"] == 9
    await until(socket, "done")
    await socket.disconnect()


async def test_another_students_conversation_is_reported_as_unknown(
    tutor_course, enrolled_student, other_student, scripted
):
    await database_sync_to_async(course_services.enrollment_create)(
        user=other_student, course=tutor_course
    )
    theirs = await connected(other_student)
    await ask(theirs, QUESTION)
    done, _ = await until(theirs, "done")
    await theirs.disconnect()

    mine = await connected(enrolled_student)
    await ask(mine, "Show me", conversation=done["conversation"])
    error = await mine.receive_json_from()
    assert error["code"] == "conversation_not_found"
    assert len(scripted.calls) == 1
    await mine.disconnect()


async def test_a_question_while_an_answer_streams_is_refused(tutor_course, enrolled_student, slow):
    socket = await connected(enrolled_student)
    await ask(socket, QUESTION)
    await until(socket, "token")
    await ask(socket, "Another one")
    error, _ = await until(socket, "error")
    assert error["code"] == "busy"
    # Another tab of the same student is refused too: one generation per student.
    second = await connected(enrolled_student)
    await ask(second, "From another tab")
    assert (await second.receive_json_from())["code"] == "busy"
    await second.disconnect()
    await socket.send_to(text_data=json.dumps({"type": "stop"}))
    await until(socket, "done")
    await socket.disconnect()


async def test_an_oversized_frame_closes_the_socket_with_1009(tutor_course, enrolled_student):
    socket = await connected(enrolled_student)
    await socket.send_to(text_data=json.dumps({"type": "ask", "question": "x" * 20_000}))
    closed = await socket.receive_output(timeout=2)
    assert closed == {"type": "websocket.close", "code": 1009}
    await socket.disconnect()


async def test_a_failing_model_gives_an_error_frame_and_refunds_the_question(
    tutor_course, enrolled_student
):
    class Broken(ScriptedBackend):
        async def stream(self, messages, **options):
            raise InferenceError("The inference server at http://x cannot be reached.")
            yield  # pragma: no cover

    backends._backend = Broken()
    try:
        socket = await connected(enrolled_student)
        await ask(socket, QUESTION)
        started = await socket.receive_json_from()
        assert started["quota"]["available"] == 9
        error, _ = await until(socket, "error")
        assert error["code"] == "inference_failed" and "cannot be reached" in error["message"]
        done, _ = await until(socket, "done")
        assert done["status"] == "failed" and done["quota"]["available"] == 10
        await socket.disconnect()
    finally:
        backends.reset_backend()


async def test_with_the_model_service_down_students_get_the_clear_error_and_a_refund(
    tutor_course, enrolled_student
):
    from inference.backends import OpenAIBackend
    from tests.conftest import free_port

    # What web processes use under `make run`: the openai backend, here aimed at a dead port.
    backends._backend = OpenAIBackend(f"http://127.0.0.1:{free_port()}/v1", timeout=5)
    try:
        socket = await connected(enrolled_student)
        await ask(socket, QUESTION)
        await socket.receive_json_from()
        error, _ = await until(socket, "error")
        assert error["code"] == "inference_failed"
        assert "cannot be reached" in error["message"] and "Is it running?" in error["message"]
        done, _ = await until(socket, "done")
        assert done["status"] == "failed" and done["quota"]["available"] == 10
        await socket.disconnect()
    finally:
        backends.reset_backend()


async def test_opening_a_courses_first_socket_loads_its_index_in_the_background(
    tutor_course, enrolled_student, scripted, settings
):
    from knowledge import index
    from tutor import consumers

    settings.LLM_WARM_UP = True
    consumers._warmed_courses.discard(tutor_course.pk)
    index.forget_loaded_indexes()
    socket = await connected(enrolled_student)
    await asyncio.wait_for(asyncio.gather(*consumers._background), timeout=30)
    assert tutor_course.pk in index._cache  # the first question will not pay for loading it
    await socket.disconnect()
