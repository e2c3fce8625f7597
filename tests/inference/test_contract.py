"""The contract the platform needs from a model server, through its own `openai` backend.

Runs against the local service (`manage.py serve_inference`, the real packaged model) and, when
LLM_BASE_URL is set in the environment, against that server as well: vLLM, OpenVINO Model
Server, a llama.cpp server... (with LLM_REMOTE_MODEL and LLM_API_KEY as the platform would use
them). Passing it means the web and the workers can use that server as they use ours:

    LLM_BASE_URL=http://gpu-box:8000/v1 LLM_REMOTE_MODEL=HuggingFaceTB/SmolLM2-135M-Instruct \
      pytest tests/inference/test_contract.py
"""

from __future__ import annotations

import os

import pytest

from inference.backends import ContextLengthExceeded, InferenceError, OpenAIBackend
from inference.engine import StreamStats
from inference.scheduling import Priority

QUESTION = [
    {"role": "system", "content": "You are a patient teacher."},
    {"role": "user", "content": "In one sentence: what is a variable in Python?"},
]


@pytest.fixture(params=["local", "remote"])
def server(request) -> OpenAIBackend:
    if request.param == "local":
        service = request.getfixturevalue("local_service")
        return OpenAIBackend(
            service.base_url, api_key=service.api_key, model=service.model, timeout=120
        )
    base_url = os.environ.get("LLM_BASE_URL", "")
    if not base_url:
        pytest.skip("LLM_BASE_URL is not set: no remote model server to check")
    return OpenAIBackend(
        base_url,
        api_key=os.environ.get("LLM_API_KEY", ""),
        model=os.environ.get("LLM_REMOTE_MODEL", "smollm2-135m-instruct"),
        timeout=120,
    )


async def _collect(
    server: OpenAIBackend, messages=QUESTION, **options
) -> tuple[list[str], StreamStats]:
    settings = {"max_tokens": 16, "temperature": 0.0, "top_p": 1.0, **options}
    pieces, stats = [], None
    async for piece in server.stream(messages, **settings):
        if isinstance(piece, StreamStats):
            stats = piece
        else:
            pieces.append(piece)
    assert stats is not None, "the stream must end with usage"
    return pieces, stats


async def test_an_answer_streams_in_pieces_and_ends_with_usage(server):
    pieces, stats = await _collect(server, priority=Priority.INTERACTIVE)
    assert len(pieces) >= 3 and len("".join(pieces).split()) >= 2
    assert stats.prompt_tokens > 10
    assert 0 < stats.completion_tokens <= 16
    assert stats.finish_reason in ("stop", "length")


async def test_max_tokens_bounds_the_answer(server):
    _, stats = await _collect(server, max_tokens=3)
    assert stats.completion_tokens <= 3 and stats.finish_reason == "length"


async def test_greedy_decoding_is_repeatable(server):
    first, _ = await _collect(server, max_tokens=10)
    second, _ = await _collect(server, max_tokens=10, priority=Priority.BACKGROUND)
    assert "".join(first) == "".join(second)


async def test_sampling_varies_the_answer(server):
    answers = set()
    for _ in range(4):
        pieces, _ = await _collect(
            server,
            [{"role": "user", "content": "Say a random word."}],
            max_tokens=6,
            temperature=1.5,
        )
        answers.add("".join(pieces))
    assert len(answers) > 1


async def test_a_prompt_over_the_context_length_is_reported_as_such(server):
    # 40,000 words: more than the context of the models this platform runs (8k-32k tokens).
    too_long = [{"role": "user", "content": "word " * 40_000}]
    with pytest.raises(InferenceError) as raised:
        await _collect(server, too_long, max_tokens=4)
    assert isinstance(raised.value, ContextLengthExceeded) or "context" in str(raised.value)


async def test_a_chinese_question_is_answered_in_chinese(server, request):
    """Only for a configured server: the packaged 135M model writes poor Chinese (README)."""
    from assist.prompts import zh
    from core.languages import is_chinese

    if request.node.callspec.params["server"] == "local":
        pytest.skip("the packaged SmolLM2-135M is not a Chinese-capable model")
    messages = [
        {"role": "system", "content": zh.RAG_SYSTEM},
        {
            "role": "user",
            "content": "<context>\n[1] 注意力 (多头注意力)\n多个注意力头并行工作，"
            "所有头的输出会被拼接起来。\n</context>\n\n问题：多个注意力头的输出怎么合在一起？",
        },
    ]
    pieces, _ = await _collect(server, messages, max_tokens=48)
    answer = "".join(pieces)
    assert is_chinese(answer), answer
    assert "拼接" in answer, answer
