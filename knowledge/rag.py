"""Retrieval-augmented answers: retrieve from one course, build the prompt, generate, cite.

Retrieved passages are data, never instructions: the prompt (assist.prompts.rag) puts them inside
a clearly delimited context block, the system prompt says so, and any delimiter-like text inside
a passage is neutralised so material cannot close the block early and speak as the system.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from asgiref.sync import sync_to_async
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from assist.prompts.rag import answer_messages
from core.languages import Family, family, language_code, reply_family
from inference.engine import StreamStats
from inference.llm import Priority, chat_stream, embed_texts
from knowledge.models import Chunk
from knowledge.quotes import Quote, quotes_select
from knowledge.search import best_similarity, search
from knowledge.sentence_store import chunks_remember_sentences
from knowledge.sentences import CACHE_PASSAGES, passage_sentences
from knowledge.support import RELIABLE_SHARE, SentenceSupport, answer_check, support_share

MAX_QUESTION_CHARS = 2000
# Below this cosine (all-MiniLM-L6-v2) a passage is not about the question. Calibrated on the
# demo courses: questions they answer scored 0.48-0.62, unrelated ones ("best recipe for banana
# bread", "capital of France", "who won the world cup") 0.08-0.33.
MIN_SIMILARITY = 0.40
# Chinese courses are embedded with multilingual-e5-small, whose cosines crowd into 0.75-0.95.
# Calibrated on the seed articles (bench/answers.py --lang zh --seeds): the best passage of the
# 40 on-topic questions scored 0.860-0.926, of the 8 off-topic ones (recipes, weather, football,
# travel, a pop song) 0.806-0.852. The margin is thin: README "Courses in Chinese".
MIN_SIMILARITY_BY_FAMILY: dict[Family, float] = {"en": MIN_SIMILARITY, "zh": 0.856}
CONTEXT_PASSAGES = 4
WARM_PASSAGES = CACHE_PASSAGES // 2  # leave room in the cache for other courses' passages
# English, as the model and the tests see it; students see it in their answer's language.
NOT_COVERED = gettext_noop(
    "The course material does not cover this question, so I can't answer it from "
    "the course. Try rephrasing it, or ask your teacher."
)


def not_covered_text(language: Family = "en") -> str:
    """The "not covered" reply in `language` (the answer's language, not the page's)."""
    with translation.override(language_code(language)):
        return gettext(NOT_COVERED)


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
    hits = search(course_id=course_id, query=question, k=2 * CONTEXT_PASSAGES, with_sentences=True)
    if not hits:
        return []
    # Relevance is semantic: a lone keyword match ("best", "recipe") must not make an unrelated
    # question look covered. BM25 still shapes the ranking of the passages that qualify. The
    # threshold is the course's embedder's (search loaded the course with the rows).
    language = hits[0].chunk.course.language
    threshold = MIN_SIMILARITY_BY_FAMILY[family(language)]
    if best_similarity(course_id=course_id, query=question) < threshold:
        return []
    # The passage that makes the question relevant may have fallen out of the fused top few
    # (a semantic match BM25 does not see); then the best of the fused ones make the context.
    relevant = [hit for hit in hits if hit.similarity >= threshold] or [
        hit for hit in hits if hit.dense_rank is not None
    ]
    if prefer_lesson_id is not None:
        relevant.sort(key=lambda hit: hit.chunk.lesson_id != prefer_lesson_id)  # stable
    chunks = [hit.chunk for hit in relevant[:CONTEXT_PASSAGES]]
    # Quotes and the support checker compare sentences: hand them the ones stored at ingestion.
    chunks_remember_sentences(chunks, language)
    return chunks


def warm_up(*, course_id: int) -> None:
    """Load the embedder, the local model and the course's index before the first question.

    Each takes seconds the first time in a process; a tutor socket opening is the moment to
    pay it, while the student is still typing.
    """
    from inference.backends import LocalBackend, get_backend

    warm_up_retrieval(course_id=course_id)
    backend = get_backend()
    if isinstance(backend, LocalBackend):
        backend.engine()


def warm_up_retrieval(*, course_id: int) -> None:
    """The embedder, the course's index and any sentence vectors not stored at ingestion."""
    from knowledge.index import loaded_index

    loaded = loaded_index(course_id)
    language = loaded.language if loaded is not None else "en"
    embed_texts(["warm-up"], language=language)
    # Quotes and support checks work on sentence vectors. Passages ingested since they are
    # stored need nothing; older ones are embedded now, in batches, so the first quote is on
    # screen in tens of milliseconds rather than hundreds.
    texts = list(
        Chunk.objects.filter(course_id=course_id, sentence_vectors=b"")
        .order_by("id")
        .values_list("text", flat=True)[:WARM_PASSAGES]
    )
    for start in range(0, len(texts), 64):
        passage_sentences(texts[start : start + 64], language)


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
    language: str = "en",
) -> AsyncIterator[str | StreamStats | list[Citation]]:
    """Text pieces, then StreamStats, then the citations (empty when not covered).
    `language`: the course's; the answer is in the question's language, else the course's."""
    reply = reply_family(course_language=language, question=question)
    chunks = await sync_to_async(relevant_chunks)(course_id=course_id, question=question)
    if not chunks:
        yield not_covered_text(reply)
        yield StreamStats(0, 0, "not_covered")
        yield []
        return
    messages = answer_messages(question=question, passages=chunks, language=reply)
    async for piece in chat_stream(
        messages, max_tokens=max_tokens or settings.RAG_MAX_TOKENS, priority=priority
    ):
        yield piece
    yield citations_for(chunks)


def _quoted_chunks(
    *, course_id: int, question: str, language: str
) -> tuple[list[Chunk], list[Quote]]:
    chunks = relevant_chunks(course_id=course_id, question=question)
    return chunks, quotes_select(question=question, chunks=chunks, language=language)


async def answer(
    *,
    course_id: int,
    question: str,
    filter_text: Callable[[str], str] = str,
    strict: bool = False,
    priority: Priority = Priority.BACKGROUND,
    language: str = "en",
) -> dict[str, object]:
    """The answer with its quotes and each sentence checked against the passages.

    `filter_text` is the policy's guard, applied before checking (what is checked is what is
    shown); `strict` drops the sentences the passages do not support. `language` is the
    course's (embedder, thresholds); the answer is in the question's language, else the course's.
    """
    reply = reply_family(course_language=language, question=question)
    chunks, quotes = await sync_to_async(_quoted_chunks)(
        course_id=course_id, question=question, language=language
    )
    parts: list[str] = []
    stats = StreamStats(0, 0, "stop")
    if not chunks:
        parts.append(not_covered_text(reply))
        stats = StreamStats(0, 0, "not_covered")
    else:
        messages = answer_messages(question=question, passages=chunks, language=reply)
        async for piece in chat_stream(
            messages, max_tokens=settings.RAG_MAX_TOKENS, priority=priority
        ):
            if isinstance(piece, StreamStats):
                stats = piece
            else:
                parts.append(piece)
    text = filter_text("".join(parts).strip())
    checks: list[SentenceSupport] = []
    if chunks:
        checks = await sync_to_async(answer_check, thread_sensitive=False)(
            text=text, passages=[chunk.text for chunk in chunks], language=language
        )
        if strict:
            joiner = "" if reply == "zh" else " "  # Chinese puts no space between sentences
            text = joiner.join(c.text for c in checks if c.supported)
    share = support_share(checks)
    return {
        "answer": text,
        "citations": [c.as_dict() for c in citations_for(chunks)],
        "quotes": [q.as_dict() for q in quotes],
        "support": {
            "score": share,
            "reliable": share is None or share >= RELIABLE_SHARE,
            "sentences": [{**c.as_dict(), "withheld": strict and not c.supported} for c in checks],
        },
        "covered": stats.finish_reason != "not_covered",
        "usage": {
            "prompt_tokens": stats.prompt_tokens,
            "completion_tokens": stats.completion_tokens,
        },
    }
