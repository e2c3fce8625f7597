"""The priority gate: students first, background work always progresses."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from assist.policy import Purpose, decide
from inference import backends
from inference.backends import PRIORITY_HEADER, ContextLengthExceeded, OpenAIBackend
from inference.llm import chat_complete
from inference.scheduling import Priority, PriorityGate

QUESTION = [{"role": "user", "content": "hi"}]


async def _admitted_soon(task: asyncio.Task, within: float = 0.3) -> bool:
    done, _ = await asyncio.wait({task}, timeout=within)
    return bool(done)


def test_an_unknown_or_missing_priority_is_background():
    assert Priority.parse("interactive") == Priority.INTERACTIVE
    assert Priority.parse(" Interactive ") == Priority.INTERACTIVE
    for value in ("background", "urgent", "", None):
        assert Priority.parse(value) == Priority.BACKGROUND


async def test_students_are_admitted_at_once_even_with_background_work_running():
    gate = PriorityGate(background_slots=1, max_wait=60)
    background = await gate.acquire(Priority.BACKGROUND)
    queued = asyncio.create_task(gate.acquire(Priority.BACKGROUND))
    student = await asyncio.wait_for(gate.acquire(Priority.INTERACTIVE), 0.5)
    assert gate.snapshot()["interactive_active"] == 1
    assert not queued.done()
    for ticket in (student, background):
        gate.release(ticket)
    gate.release(await queued)


async def test_background_work_waits_while_a_student_waits_for_a_first_token():
    gate = PriorityGate(background_slots=2, max_wait=60)
    student = await gate.acquire(Priority.INTERACTIVE)
    waiting = asyncio.create_task(gate.acquire(Priority.BACKGROUND))
    assert not await _admitted_soon(waiting)
    gate.first_token(student)  # decoding now: a background prefill no longer delays a first token
    ticket = await asyncio.wait_for(waiting, 0.5)
    assert gate.snapshot()["background_active"] == 1
    gate.release(ticket)
    gate.release(student)
    assert gate.snapshot() == {
        "interactive_active": 0,
        "interactive_waiting_first_token": 0,
        "background_active": 0,
        "background_queued": 0,
        "background_admitted_by_aging": 0,
    }


async def test_background_slots_bound_concurrency_and_admit_in_arrival_order():
    gate = PriorityGate(background_slots=1, max_wait=60)
    first = await gate.acquire(Priority.BACKGROUND)
    second = asyncio.create_task(gate.acquire(Priority.BACKGROUND))
    await asyncio.sleep(0.01)
    third = asyncio.create_task(gate.acquire(Priority.BACKGROUND))
    assert not await _admitted_soon(second)
    gate.release(first)
    assert await _admitted_soon(second) and not third.done()
    gate.release(second.result())
    gate.release(await asyncio.wait_for(third, 0.5))


async def test_background_work_never_starves_behind_a_stream_of_students():
    gate = PriorityGate(background_slots=1, max_wait=0.3)
    student = await gate.acquire(Priority.INTERACTIVE)  # never gets a first token
    waiting = asyncio.create_task(gate.acquire(Priority.BACKGROUND))
    assert not await _admitted_soon(waiting, 0.1)
    ticket = await asyncio.wait_for(waiting, 2)  # admitted by aging
    assert gate.admitted_by_aging == 1
    gate.release(ticket)
    gate.release(student)


async def test_a_cancelled_waiter_leaves_the_queue():
    gate = PriorityGate(background_slots=1, max_wait=60)
    holder = await gate.acquire(Priority.BACKGROUND)
    waiting = asyncio.create_task(gate.acquire(Priority.BACKGROUND))
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert gate.snapshot()["background_queued"] == 0
    gate.release(holder)
    gate.release(holder)  # releasing twice changes nothing
    assert gate.snapshot()["background_active"] == 0


@pytest.mark.parametrize(
    ("purpose", "priority"),
    [
        (Purpose.TUTOR_EXPLAIN, Priority.INTERACTIVE),
        (Purpose.TUTOR_HINT, Priority.INTERACTIVE),
        (Purpose.TUTOR_QUIZ, Priority.INTERACTIVE),
        (Purpose.RAG_ANSWER, Priority.INTERACTIVE),
        (Purpose.PLAYGROUND_HELP, Priority.INTERACTIVE),
        (Purpose.GRADING_FEEDBACK, Priority.BACKGROUND),
        (Purpose.TEXT_GRADING, Priority.BACKGROUND),
        (Purpose.QUESTION_DRAFTING, Priority.BACKGROUND),
    ],
)
def test_the_policy_derives_the_priority_from_the_purpose(purpose, priority, django_user_model):
    user = django_user_model(username="someone")
    assert decide(user=user, purpose=purpose).priority == priority


async def test_the_facade_defaults_to_background(scripted):
    await chat_complete(QUESTION)
    await chat_complete(QUESTION, priority=Priority.INTERACTIVE)
    assert scripted.priorities == ["background", "interactive"]


def _mock_server(monkeypatch, handler):
    real = httpx.AsyncClient

    def client(**options):
        return real(transport=httpx.MockTransport(handler), **options)

    monkeypatch.setattr(httpx, "AsyncClient", client)


async def test_the_openai_backend_states_the_priority_in_a_header(monkeypatch):
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get(PRIORITY_HEADER))
        done = {"choices": [{"delta": {"content": "ok"}, "finish_reason": "stop"}]}
        return httpx.Response(200, text=f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n")

    _mock_server(monkeypatch, handler)
    backend = OpenAIBackend("http://model.invalid/v1")
    for priority in (Priority.INTERACTIVE, Priority.BACKGROUND):
        pieces = [
            p
            async for p in backend.stream(
                QUESTION, max_tokens=4, temperature=0, top_p=1, priority=priority
            )
        ]
        assert pieces[0] == "ok"
    assert seen == ["interactive", "background"]


async def test_the_openai_backend_reports_an_over_long_prompt_as_such(monkeypatch):
    error = {"message": "This model's maximum context length is 8192 tokens", "code": None}
    error["code"] = "context_length_exceeded"
    _mock_server(monkeypatch, lambda request: httpx.Response(400, json={"error": error}))
    backend = OpenAIBackend("http://model.invalid/v1")
    with pytest.raises(ContextLengthExceeded, match="maximum context length"):
        async for _ in backend.stream(QUESTION, max_tokens=4, temperature=0, top_p=1):
            pass


async def test_an_error_in_the_middle_of_a_stream_is_an_inference_error(monkeypatch):
    body = 'data: {"choices": [{"delta": {"content": "Hel"}}]}\n\n'
    body += 'data: {"error": {"message": "engine died"}}\n\ndata: [DONE]\n\n'
    _mock_server(monkeypatch, lambda request: httpx.Response(200, text=body))
    backend = OpenAIBackend("http://model.invalid/v1")
    with pytest.raises(backends.InferenceError, match="engine died"):
        async for _ in backend.stream(QUESTION, max_tokens=4, temperature=0, top_p=1):
            pass
