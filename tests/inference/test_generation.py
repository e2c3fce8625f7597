"""Generation with the real packaged SmolLM2, through both backends.

The same contract runs against the in-process engine (`local`) and against the `openai` backend
pointed at `manage.py serve_inference` started by the test.
"""

from __future__ import annotations

import asyncio
import sys
import time

import httpx
import pytest

from inference import backends
from inference.backends import InferenceError, LocalBackend, OpenAIBackend
from inference.engine import EngineError, StreamStats
from inference.llm import chat_complete, chat_stream
from tests.conftest import ROOT, LoggedProcess, free_port, wait_for_port

QUESTION = [{"role": "user", "content": "In one sentence: what does a teacher do?"}]


@pytest.fixture(scope="module")
def inference_server():
    port = free_port()
    process = LoggedProcess(
        [sys.executable, "manage.py", "serve_inference", "--port", str(port)], cwd=ROOT
    )
    try:
        wait_for_port(port, process, timeout=120)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        print(process.stop())


@pytest.fixture(params=["local", "openai"])
def backend(request, settings):
    settings.LLM_BACKEND = request.param
    if request.param == "openai":
        settings.LLM_BASE_URL = request.getfixturevalue("inference_server")
    backends.reset_backend()
    yield backends.get_backend()
    backends.reset_backend()


async def test_tokens_arrive_one_by_one_and_form_the_answer(backend):
    pieces, arrivals, stats = [], [], None
    async for piece in chat_stream(QUESTION, max_tokens=24):
        if isinstance(piece, StreamStats):
            stats = piece
        else:
            pieces.append(piece)
            arrivals.append(time.perf_counter())
    answer = "".join(pieces)
    assert len(pieces) >= 5, "the answer must stream in pieces, not arrive at once"
    assert arrivals[-1] - arrivals[0] > 0.1
    assert len(answer.split()) >= 4
    assert stats is not None and stats.completion_tokens >= len(pieces) - 1
    assert stats.finish_reason in ("stop", "length")


async def test_max_tokens_bounds_the_answer(backend):
    result = await chat_complete(QUESTION, max_tokens=5)
    assert result.stats.completion_tokens <= 5
    assert result.stats.finish_reason in ("length", "stop")


async def test_greedy_decoding_is_repeatable(backend):
    first = await chat_complete(QUESTION, max_tokens=12)
    second = await chat_complete(QUESTION, max_tokens=12)
    assert first.text == second.text


async def test_concurrent_streams_are_batched_and_match_solo_answers():
    # float32: the check is that padding, merging and dropping rows change nothing. (In bf16,
    # matrix products differ in the last bits with the batch shape, so near-ties can flip.)
    from inference.engine import BatchedEngine
    from inference.model_files import generation_model_dir

    engine = BatchedEngine(str(generation_model_dir()), dtype="float32", repetition_penalty=1.2)
    prompts = [
        engine.chat_prompt_ids([{"role": "user", "content": q}])
        for q in ("What is a noun?", "Name a planet.", "What is 2 plus 2?", "Why is the sky blue?")
    ]

    async def run(prompt: list[int], delay: float = 0) -> str:
        await asyncio.sleep(delay)  # staggered: later requests join a running batch
        return "".join(
            [p async for p in engine.stream(prompt, max_new_tokens=16) if isinstance(p, str)]
        )

    solo = [await run(p) for p in prompts]
    together = await asyncio.gather(*(run(p, 0.3 * i) for i, p in enumerate(prompts)))
    assert list(together) == solo


async def test_leaving_a_stream_cancels_it_and_the_engine_keeps_serving():
    engine = LocalBackend.engine()
    prompt = engine.chat_prompt_ids(QUESTION)
    received = 0
    async for _piece in engine.stream(prompt, max_new_tokens=200):
        received += 1
        if received == 3:
            break  # the consumer goes away (a closed websocket, a stop button)
    other = [p async for p in engine.stream(prompt, max_new_tokens=8)]
    assert isinstance(other[-1], StreamStats) and other[-1].completion_tokens == 8


async def test_a_prompt_longer_than_the_context_is_refused():
    engine = LocalBackend.engine()
    with pytest.raises(EngineError, match="reads at most"):
        async for _ in engine.stream([1] * (engine.max_context + 1), max_new_tokens=4):
            pass


async def test_a_server_that_is_down_gives_a_clear_error_quickly():
    backend = OpenAIBackend(f"http://127.0.0.1:{free_port()}/v1", timeout=5)
    started = time.monotonic()
    with pytest.raises(InferenceError, match="cannot be reached"):
        async for _ in backend.stream(QUESTION, max_tokens=4, temperature=0, top_p=1):
            pass
    assert time.monotonic() - started < 5


def test_the_server_lists_its_model_and_embeds(inference_server):
    assert httpx.get(f"{inference_server}/models").json()["data"][0]["object"] == "model"
    response = httpx.post(
        f"{inference_server}/embeddings",
        json={"input": ["attention", "self-attention"]},
        timeout=60,
    )
    vectors = [item["embedding"] for item in response.json()["data"]]
    assert len(vectors) == 2 and len(vectors[0]) == 384
    similarity = sum(a * b for a, b in zip(*vectors, strict=True))
    assert similarity > 0.5


def test_the_server_rejects_malformed_requests(inference_server):
    response = httpx.post(f"{inference_server}/chat/completions", json={"messages": "hi"})
    assert response.status_code == 400
    assert "messages must be" in response.json()["error"]["message"]
    response = httpx.post(f"{inference_server}/chat/completions", content=b"{not json")
    assert response.status_code == 400
