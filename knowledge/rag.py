"""Retrieval-augmented answers: retrieve from one course, build the prompt, generate, cite.

Retrieved passages are data, never instructions: the prompt (assist.prompts.rag) puts them inside
a clearly delimited context block, the system prompt says so, and any delimiter-like text inside
a passage is neutralised so material cannot close the block early and speak as the system.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings

from assist.prompts.rag import answer_messages
from inference.engine import StreamStats
from inference.llm import Priority, chat_stream, embed_texts
from knowledge.models import Chunk
from knowledge.search import search

MAX_QUESTION_CHARS = 2000
# Below this cosine (all-MiniLM-L6-v2) a passage is not about the question. Calibrated on the
# demo courses: questions they answer scored 0.48-0.62, unrelated ones ("best recipe for banana
# bread", "capital of France", "who won the world cup") 0.08-0.33.
MIN_SIMILARITY = 0.40
CONTEXT_PASSAGES = 4
NOT_COVERED = (
    "The course material does not cover this question, so I can't answer it from "
    "the course. Try rephrasing it, or ask your teacher."
)


@dataclass(frozen=True)
class Citation:
    number: int
    source: str
    location: str
    url: str
    text: str
    chunk_id: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.number,
            "source": self.source,
            "location": self.location,
            "url": self.url,
            "text": self.text,
            "chunk": self.chunk_id,
        }


def relevant_chunks(
    *, course_id: int, question: str, prefer_lesson_id: int | None = None
) -> list[Chunk]:
    """The passages of one course that are about the question, best first (at most a few).

    With `prefer_lesson_id`, relevant passages of that lesson come before the others: a student
    asking from a lesson page means that lesson first.
    """
    hits = search(course_id=course_id, query=question, k=2 * CONTEXT_PASSAGES)
    # Relevance is semantic: a lone keyword match ("best", "recipe") must not make an unrelated
    # question look covered. BM25 still shapes the ranking of the passages that qualify.
    relevant = [hit for hit in hits if hit.similarity >= MIN_SIMILARITY]
    if prefer_lesson_id is not None:
        relevant.sort(key=lambda hit: hit.chunk.lesson_id != prefer_lesson_id)  # stable
    return [hit.chunk for hit in relevant[:CONTEXT_PASSAGES]]


def warm_up(*, course_id: int) -> None:
    """Load the embedder, the local model and the course's index before the first question.

    Each takes seconds the first time in a process; a tutor socket opening is the moment to
    pay it, while the student is still typing.
    """
    from inference.backends import LocalBackend, get_backend
    from knowledge.index import loaded_index

    embed_texts(["warm-up"])
    loaded_index(course_id)
    backend = get_backend()
    if isinstance(backend, LocalBackend):
        backend.engine()


def citations_for(chunks: list[Chunk]) -> list[Citation]:
    return [
        Citation(n, chunk.source_name, chunk.location, chunk.url, chunk.text[:300], chunk.pk)
        for n, chunk in enumerate(chunks, start=1)
    ]


async def answer_stream(
    *,
    course_id: int,
    question: str,
    max_tokens: int | None = None,
    priority: Priority = Priority.BACKGROUND,
) -> AsyncIterator[str | StreamStats | list[Citation]]:
    """Text pieces, then StreamStats, then the citations (empty when not covered)."""
    chunks = await sync_to_async(relevant_chunks)(course_id=course_id, question=question)
    if not chunks:
        yield NOT_COVERED
        yield StreamStats(0, 0, "not_covered")
        yield []
        return
    messages = answer_messages(question=question, passages=chunks)
    async for piece in chat_stream(
        messages, max_tokens=max_tokens or settings.RAG_MAX_TOKENS, priority=priority
    ):
        yield piece
    yield citations_for(chunks)


async def answer(
    *, course_id: int, question: str, priority: Priority = Priority.BACKGROUND
) -> dict[str, object]:
    parts: list[str] = []
    citations: list[Citation] = []
    stats = StreamStats(0, 0, "stop")
    async for item in answer_stream(course_id=course_id, question=question, priority=priority):
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, StreamStats):
            stats = item
        else:
            citations = item
    return {
        "answer": "".join(parts).strip(),
        "citations": [c.as_dict() for c in citations],
        "covered": stats.finish_reason != "not_covered",
        "usage": {
            "prompt_tokens": stats.prompt_tokens,
            "completion_tokens": stats.completion_tokens,
        },
    }
