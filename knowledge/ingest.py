"""Ingestion: a material or a lesson becomes chunks with vectors in the course's index."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import transaction
from django.db.models import F

from courses.models import Lesson
from inference.embeddings import embed_texts
from knowledge.chunking import Passage, chunk_sections
from knowledge.index import DIMENSION, index_rebuild, index_remove, index_replace
from knowledge.limits import parse_limited
from knowledge.models import Chunk, Material, MaterialStatus
from knowledge.parsing import ParseError, parse
from knowledge.sentence_store import sentences_pack
from knowledge.sentences import sentences_embed, split_sentences

logger = logging.getLogger(__name__)
# Texts per embedding call between two progress reports. Passages and their sentences go through
# the embedder together, longest first, so each batch holds texts of about the same length and
# little of it is padding.
EMBED_GROUP = 256
# Cosine of a text's stored vector and a new one from the same embedder: 1 up to rounding (bf16
# on one CPU, float32 on another); another model's vector for it is far lower.
SAME_EMBEDDER = 0.99
MAX_ATTEMPTS = 2
HEADING_CHARS = Chunk._meta.get_field("heading").max_length


@dataclass(frozen=True)
class Embedded:
    """A passage's vector, and its prose sentences with theirs (stored with the chunk)."""

    vector: bytes
    sentence_spans: list[list[int]]
    sentence_vectors: bytes


def _passage_text(passage: Passage) -> str:
    """What a passage's vector embeds: its heading, then its text."""
    return f"{passage.heading}\n{passage.text}" if passage.heading else passage.text


def _embed_passages(
    passages: list[Passage],
    on_progress: Callable[[float], None] | None = None,
    *,
    language: str = "en",
    with_sentences: bool = True,
) -> list[Embedded]:
    """Vectors of the passages and (`with_sentences`) of their sentences, with the embedder of
    the course's `language`."""
    sentences = [
        [s for s in split_sentences(p.text) if not s.code] if with_sentences else []
        for p in passages
    ]
    # Each distinct text once: a short sentence at the end of a passage often opens the next
    # one too (the overlap).
    texts = list(
        dict.fromkeys(
            [_passage_text(p) for p in passages] + [s.text for spans in sentences for s in spans]
        )
    )
    row_of = {text: row for row, text in enumerate(texts)}
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    vectors = np.zeros((len(texts), DIMENSION), dtype=np.float32)
    for start in range(0, len(order), EMBED_GROUP):
        group = order[start : start + EMBED_GROUP]
        vectors[group] = embed_texts([texts[i] for i in group], language=language)
        if on_progress:
            on_progress(min(1.0, (start + len(group)) / len(order)))
    embedded = []
    for passage, spans in zip(passages, sentences, strict=True):
        passage_text = _passage_text(passage)
        offsets, blob = sentences_pack(spans, vectors[[row_of[s.text] for s in spans]])
        embedded.append(Embedded(vectors[row_of[passage_text]].tobytes(), offsets, blob))
    return embedded


def _replace_chunks(
    *,
    course_id: int,
    material: Material | None,
    lesson: Lesson | None,
    passages: list[Passage],
    vectors: list[Embedded],
) -> int:
    """Swap a source's chunks for new ones, in the database and in the index, all or nothing."""
    source: dict[str, Material | Lesson | None] = (
        {"material": material} if material else {"lesson": lesson}
    )
    with transaction.atomic():
        old_ids = list(Chunk.objects.filter(**source).values_list("id", flat=True))
        Chunk.objects.filter(id__in=old_ids).delete()
        chunks = Chunk.objects.bulk_create(
            [
                Chunk(
                    course_id=course_id,
                    ordinal=i,
                    text=p.text,
                    heading=p.heading[:HEADING_CHARS],
                    page=p.page,
                    vector=v.vector,
                    sentence_spans=v.sentence_spans,
                    sentence_vectors=v.sentence_vectors,
                    **source,
                )
                for i, (p, v) in enumerate(zip(passages, vectors, strict=True))
            ]
        )
        # Inside the transaction: if the index cannot be written, the rows roll back too.
        # One index write (load, remove, add, save) and one version bump for the whole swap.
        index_replace(course_id, remove=old_ids, add=chunks)
    return len(chunks)


def material_ingest(*, material_id: int, report: Callable[[Material], None]) -> Material:
    """Parse, chunk, embed and index one material. Idempotent; safe to retry."""
    claimed = Material.objects.filter(
        pk=material_id, status__in=[MaterialStatus.PENDING, MaterialStatus.PROCESSING]
    ).update(status=MaterialStatus.PROCESSING, progress=5, attempts=F("attempts") + 1, error="")
    material = Material.objects.select_related("course").get(pk=material_id)
    if not claimed:
        return material  # already ready or failed: a duplicate delivery of the task
    if material.attempts > MAX_ATTEMPTS:
        return _fail(material, "Ingestion stopped the worker twice; giving up.", report)
    report(material)

    def progress(value: int) -> None:
        Material.objects.filter(pk=material.pk).update(progress=value)
        material.progress = value
        report(material)

    try:
        document = parse_limited(Path(material.file.path), material.kind)
        progress(30)
        passages = chunk_sections(document.sections)
        # Sentences wait for the follow-up task (knowledge.tasks.material_ingest): they are
        # four times the passages to embed, and the material is searchable without them.
        vectors = _embed_passages(
            passages,
            lambda f: progress(30 + int(60 * f)),
            language=material.course.language,
            with_sentences=False,
        )
        count = _replace_chunks(
            course_id=material.course_id,
            material=material,
            lesson=None,
            passages=passages,
            vectors=vectors,
        )
    except ParseError as error:
        return _fail(material, str(error), report)
    Material.objects.filter(pk=material.pk).update(
        status=MaterialStatus.READY,
        progress=100,
        chunk_count=count,
        hidden_chars=document.hidden_chars,
    )
    material.refresh_from_db()
    report(material)
    return material


def _fail(material: Material, reason: str, report: Callable[[Material], None]) -> Material:
    Material.objects.filter(pk=material.pk).update(
        status=MaterialStatus.FAILED, error=reason, progress=100, chunk_count=0
    )
    material.refresh_from_db()
    report(material)
    return material


def lesson_ingest(*, lesson_id: int) -> int:
    """(Re)index a lesson's text; lessons are trusted Markdown, parsed in-process."""
    lesson = Lesson.objects.filter(pk=lesson_id).select_related("course").first()
    if lesson is None:
        return 0
    try:
        sections = parse(lesson.body.encode(), "markdown")
    except ParseError:
        sections = []  # an empty lesson: its old chunks go, no new ones come
    passages = chunk_sections(sections)
    stored = _stored_embeddings(lesson)
    if not _same_embedder(stored, passages, language=lesson.course.language):
        stored = {}
    # In the passages' order: the fresh vectors come back in the order they were asked for.
    fresh = iter(
        _embed_passages(
            [p for p in passages if _key(p) not in stored], language=lesson.course.language
        )
    )
    vectors = [stored[_key(p)] if _key(p) in stored else next(fresh) for p in passages]
    return _replace_chunks(
        course_id=lesson.course_id, material=None, lesson=lesson, passages=passages, vectors=vectors
    )


def _key(passage: Passage) -> tuple[str, str]:
    return passage.heading[:HEADING_CHARS], passage.text  # as a chunk stores them


def _stored_embeddings(lesson: Lesson) -> dict[tuple[str, str], Embedded]:
    """The embeddings of the lesson's passages as they were stored, by heading and text.

    A lesson saved again, or loaded again by `load_demo` at every `make run`, embeds only the
    passages that changed, whichever process indexes it (the embedder's own cache lives in one
    process: a fresh worker re-embedded all 37 demo lessons, 216 s on an AVX2-only machine). A
    passage whose sentences were never stored is embedded again.
    """
    width = DIMENSION * np.dtype(np.float32).itemsize  # bytes of one stored vector
    found = {}
    for chunk in Chunk.objects.filter(lesson=lesson).only(
        "heading", "text", "vector", "sentence_spans", "sentence_vectors"
    ):
        vector, sentences = bytes(chunk.vector), bytes(chunk.sentence_vectors)
        spans = chunk.sentence_spans
        if len(vector) != width or len(sentences) != len(spans) * width:
            continue
        if not spans and any(not s.code for s in split_sentences(chunk.text)):
            continue
        found[(chunk.heading, chunk.text)] = Embedded(vector, spans, sentences)
    return found


def _same_embedder(
    stored: dict[tuple[str, str], Embedded], passages: list[Passage], *, language: str
) -> bool:
    """Whether the stored vectors are this embedder's: one reused passage, embedded again as a
    probe, still gets its stored vector. Not after the course's language (so its embedder) or
    the packaged model changed."""
    probe = next((p for p in passages if _key(p) in stored), None)
    if probe is None:
        return True
    now = embed_texts([_passage_text(probe)], language=language)[0]
    return float(now @ np.frombuffer(stored[_key(probe)].vector, dtype=np.float32)) >= SAME_EMBEDDER


def material_remove_chunks(*, material: Material) -> None:
    ids = list(Chunk.objects.filter(material=material).values_list("id", flat=True))
    with transaction.atomic():
        Chunk.objects.filter(id__in=ids).delete()
        index_remove(material.course_id, ids)


def course_reembed(*, course_id: int) -> int:
    """Embed every passage of a course and its sentences again with its language's embedder
    (after the course's language changed), and rebuild its index. The passages do not change."""
    from courses.models import Course

    language = Course.objects.filter(pk=course_id).values_list("language", flat=True).first()
    if language is None:
        return 0
    chunks = list(Chunk.objects.filter(course_id=course_id).only("id", "heading", "text"))
    embedded = _embed_passages(
        [Passage(text=c.text, heading=c.heading, page=None) for c in chunks], language=language
    )
    for chunk, vectors in zip(chunks, embedded, strict=True):
        chunk.vector = vectors.vector
        chunk.sentence_spans = vectors.sentence_spans
        chunk.sentence_vectors = vectors.sentence_vectors
    with transaction.atomic():
        Chunk.objects.bulk_update(
            chunks, ["vector", "sentence_spans", "sentence_vectors"], batch_size=500
        )
        return index_rebuild(course_id)


def sentences_backfill(*, course_id: int) -> int:
    """Store sentence vectors for the course's passages that have none yet: uploaded material
    right after it is ready, and passages ingested before they were stored."""
    from courses.models import Course

    language = Course.objects.filter(pk=course_id).values_list("language", flat=True).first()
    done = last = 0
    while True:
        chunks = list(
            Chunk.objects.filter(course_id=course_id, sentence_vectors=b"", pk__gt=last)
            .order_by("pk")
            .only("id", "text")[:256]
        )
        if not chunks:
            return done
        last = chunks[-1].pk
        for chunk, (spans, vectors) in zip(
            chunks, sentences_embed([c.text for c in chunks], language or "en"), strict=True
        ):
            chunk.sentence_spans, chunk.sentence_vectors = sentences_pack(spans, vectors)
        Chunk.objects.bulk_update(chunks, ["sentence_spans", "sentence_vectors"])
        done += sum(1 for c in chunks if c.sentence_spans)
