"""The one door to language models for every app: stream or complete a chat, embed texts.

async for piece in chat_stream(messages):   # str pieces, then one StreamStats
    ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from django.conf import settings

from inference.backends import InferenceError, get_backend
from inference.embeddings import embed_texts
from inference.engine import StreamStats
from inference.scheduling import Priority

__all__ = [
    "ChatResult",
    "InferenceError",
    "Priority",
    "StreamStats",
    "chat_complete",
    "chat_stream",
    "embed_texts",
]


@dataclass(frozen=True)
class ChatResult:
    text: str
    stats: StreamStats


async def chat_stream(
    messages: list[dict[str, str]],
    *,
    max_tokens: int | None = None,
    temperature: float = 0.0,
    top_p: float = 1.0,
    priority: Priority = Priority.BACKGROUND,
) -> AsyncIterator[str | StreamStats]:
    """`priority`: INTERACTIVE when a person waits for this answer (assist's Decision says
    which); the default, BACKGROUND, lets students go first."""
    backend = get_backend()
    async for piece in backend.stream(
        messages,
        max_tokens=max_tokens or settings.LLM_MAX_NEW_TOKENS,
        temperature=temperature,
        top_p=top_p,
        priority=priority,
    ):
        yield piece


async def chat_complete(
    messages: list[dict[str, str]],
    *,
    max_tokens: int | None = None,
    temperature: float = 0.0,
    top_p: float = 1.0,
    priority: Priority = Priority.BACKGROUND,
) -> ChatResult:
    parts: list[str] = []
    stats = StreamStats(0, 0, "stop")
    async for piece in chat_stream(
        messages, max_tokens=max_tokens, temperature=temperature, top_p=top_p, priority=priority
    ):
        if isinstance(piece, StreamStats):
            stats = piece
        else:
            parts.append(piece)
    return ChatResult("".join(parts), stats)
