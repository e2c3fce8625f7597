"""Ingestion: a material or a lesson becomes chunks with vectors in the course's index."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from django.db import transaction
from django.db.models import F

from courses.models import Lesson
from inference.embeddings import embed_texts
from knowledge.chunking import Passage, chunk_sections
from knowledge.index import index_add, index_rebuild, index_remove
from knowledge.limits import parse_limited
from knowledge.models import Chunk, Material, MaterialStatus
from knowledge.parsing import ParseError, parse

logger = logging.getLogger(__name__)
EMBED_BATCH = 64
MAX_ATTEMPTS = 2


def _embed_passages(
    passages: list[Passage],
    on_progress: Callable[[float], None] | None = None,
    *,
    language: str = "en",
) -> list[bytes]:
    """Vectors of the passages with the embedder of the course's `language`."""
    vectors: list[bytes] = []
    for start in range(0, len(passages), EMBED_BATCH):
        batch = passages[start : start + EMBED_BATCH]
        embedded = embed_texts(
            [f"{p.heading}\n{p.text}" if p.heading else p.text for p in batch], language=language
        )
        vectors.extend(row.tobytes() for row in embedded)
        if on_progress:
            on_progress(min(1.0, (start + len(batch)) / len(passages)))
    return vectors


def _replace_chunks(
    *,
    course_id: int,
    material: Material | None,
    lesson: Lesson | None,
    passages: list[Passage],
    vectors: list[bytes],
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
                    heading=p.heading[:300],
                    page=p.page,
                    vector=v,
                    **source,
                )
                for i, (p, v) in enumerate(zip(passages, vectors, strict=True))
            ]
        )
        # Inside the transaction: if the index cannot be written, the rows roll back too.
        index_remove(course_id, old_ids)
        index_add(course_id, chunks)
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
        vectors = _embed_passages(
            passages, lambda f: progress(30 + int(60 * f)), language=material.course.language
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
    vectors = _embed_passages(passages, language=lesson.course.language)
    return _replace_chunks(
        course_id=lesson.course_id, material=None, lesson=lesson, passages=passages, vectors=vectors
    )


def material_remove_chunks(*, material: Material) -> None:
    ids = list(Chunk.objects.filter(material=material).values_list("id", flat=True))
    with transaction.atomic():
        Chunk.objects.filter(id__in=ids).delete()
        index_remove(material.course_id, ids)


def course_reembed(*, course_id: int) -> int:
    """Embed every passage of a course again with its language's embedder (after the course's
    language changed), and rebuild its index. The passages themselves do not change."""
    from courses.models import Course

    language = Course.objects.filter(pk=course_id).values_list("language", flat=True).first()
    if language is None:
        return 0
    chunks = list(Chunk.objects.filter(course_id=course_id).only("id", "heading", "text"))
    for start in range(0, len(chunks), EMBED_BATCH):
        batch = chunks[start : start + EMBED_BATCH]
        texts = [f"{c.heading}\n{c.text}" if c.heading else c.text for c in batch]
        for chunk, row in zip(batch, embed_texts(texts, language=language), strict=True):
            chunk.vector = row.tobytes()
    with transaction.atomic():
        Chunk.objects.bulk_update(chunks, ["vector"], batch_size=500)
        return index_rebuild(course_id)
