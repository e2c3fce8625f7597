"""Sentence vectors are made at ingestion and stored with each passage, so quotes and the support
checker never embed a passage's sentences again in a web process.

Real packaged embedder: what is stored must be what embedding the sentence gives.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from inference.embeddings import embed_texts
from knowledge import sentences
from knowledge.ingest import _embed_passages
from knowledge.models import Chunk
from knowledge.quotes import quotes_select
from knowledge.rag import relevant_chunks
from knowledge.search import search
from knowledge.sentence_store import sentences_unpack
from knowledge.sentences import split_sentences
from knowledge.services import material_create

pytestmark = pytest.mark.django_db

QUEUES_MD = b"""# Data structures

## Using lists as queues

You can also use a list as a queue, where the first element added is the first element
retrieved. However, lists are not efficient for this purpose. Doing inserts or pops from the
beginning of a list is slow, because all of the other elements have to be shifted by one.
To implement a queue, use `collections.deque`, which was designed to have fast appends and pops
from both ends.

```python
from collections import deque
queue = deque(["Eric", "John"])
queue.popleft()
```

## Sets

Curly braces or the `set()` function can be used to create sets. To create an empty set you
have to use `set()`, not `{}`; the latter creates an empty dictionary.
"""


def _ingest(course, teacher, django_capture_on_commit_callbacks, name="notes.md", data=QUEUES_MD):
    with django_capture_on_commit_callbacks(execute=True):
        material = material_create(
            course=course, uploaded_by=teacher, upload=SimpleUploadedFile(name, data)
        )
    material.refresh_from_db()
    assert material.status == "ready", material.error
    return material


def test_every_passage_is_stored_with_the_vectors_of_its_prose_sentences(
    kb_dirs, course, teacher, django_capture_on_commit_callbacks
):
    material = _ingest(course, teacher, django_capture_on_commit_callbacks)
    chunks = list(Chunk.objects.filter(material=material))
    assert chunks
    for chunk in chunks:
        stored = sentences_unpack(chunk)
        assert stored is not None
        spans, vectors = stored
        expected = [s for s in split_sentences(chunk.text) if not s.code]
        assert [s.text for s in spans] == [s.text for s in expected]
        assert all("```" not in s.text for s in spans)  # code blocks are not sentences
        # Each stored vector is the sentence embedded on its own (bf16 batching moves a hair).
        alone = embed_texts([s.text for s in spans])
        assert np.min(np.sum(alone * vectors, axis=1)) > 0.99


def test_quotes_and_checks_use_the_stored_vectors_without_embedding_sentences(
    kb_dirs, course, teacher, django_capture_on_commit_callbacks, monkeypatch
):
    _ingest(course, teacher, django_capture_on_commit_callbacks)
    sentences._cache.items.clear()  # a fresh web process: nothing cached

    def refuse(texts):
        raise AssertionError(f"embedded passage sentences again: {texts[:2]}")

    monkeypatch.setattr(sentences, "embed_texts", refuse)
    question = "How do I make an empty set?"
    chunks = relevant_chunks(course_id=course.pk, question=question)
    quotes = quotes_select(question=question, chunks=chunks)
    assert any("set()" in q.text for q in quotes)


def test_passages_ingested_before_sentences_were_stored_are_quoted_and_can_be_backfilled(
    kb_dirs, course, teacher, django_capture_on_commit_callbacks
):
    material = _ingest(course, teacher, django_capture_on_commit_callbacks)
    stored = {c.pk: (c.sentence_spans, bytes(c.sentence_vectors)) for c in material.chunks.all()}
    Chunk.objects.filter(material=material).update(sentence_spans=[], sentence_vectors=b"")
    sentences._cache.items.clear()
    question = "How do I make an empty set?"
    chunks = relevant_chunks(course_id=course.pk, question=question)
    assert any("set()" in q.text for q in quotes_select(question=question, chunks=chunks))

    out = io.StringIO()
    call_command("rebuild_kb", course.slug, "--sentences", stdout=out)
    assert f"sentence vectors stored for {len(stored)} passages" in out.getvalue()
    for chunk in material.chunks.all():
        spans, blob = stored[chunk.pk]
        assert chunk.sentence_spans == spans
        again = np.frombuffer(bytes(chunk.sentence_vectors), np.float32).reshape(len(spans), -1)
        assert (
            np.min(np.sum(again * np.frombuffer(blob, np.float32).reshape(again.shape), 1)) > 0.99
        )


def test_stored_sentences_that_no_longer_fit_the_text_are_ignored(
    kb_dirs, course, teacher, django_capture_on_commit_callbacks
):
    material = _ingest(course, teacher, django_capture_on_commit_callbacks)
    chunk = Chunk.objects.filter(material=material).first()
    assert chunk is not None
    chunk.sentence_spans = [[0, len(chunk.text) + 50]]
    assert sentences_unpack(chunk) is None
    chunk.sentence_spans = [[0, 5], [5, 9]]  # two offsets, one vector's worth of bytes
    chunk.sentence_vectors = bytes(384 * 4)
    assert sentences_unpack(chunk) is None


def test_search_ranks_the_same_as_with_passages_embedded_one_batch_at_a_time(
    kb_dirs, course, teacher, django_capture_on_commit_callbacks, settings
):
    """Ingestion embeds passages and sentences together, longest first; the passage vectors
    (and so the ranking) are those of embedding the passages on their own, as before."""
    lessons = sorted((settings.BASE_DIR / "courses/demo_content/python-basics").glob("0[5-8]*.md"))
    data = b"\n\n".join(path.read_bytes() for path in lessons)
    material = _ingest(course, teacher, django_capture_on_commit_callbacks, "lessons.md", data)
    chunks = list(Chunk.objects.filter(material=material).order_by("ordinal"))
    assert len(chunks) > 40
    texts = [f"{c.heading}\n{c.text}" if c.heading else c.text for c in chunks]
    before = np.vstack([embed_texts(texts[i : i + 64]) for i in range(0, len(texts), 64)])
    stored = np.frombuffer(b"".join(bytes(c.vector) for c in chunks), np.float32).reshape(
        len(chunks), -1
    )
    assert np.min(np.sum(before * stored, axis=1)) > 0.995
    queries = [
        "How do I loop over a dictionary's keys and values?",
        "What does break do inside a loop?",
        "How do I add an item to the end of a list?",
        "Why should a default argument not be a list?",
    ]
    ranked = {q: [h.chunk.pk for h in search(course_id=course.pk, query=q, k=5)] for q in queries}
    # The same course with the passage vectors embedded the old way.
    for chunk, vector in zip(chunks, before, strict=True):
        chunk.vector = vector.tobytes()
    Chunk.objects.bulk_update(chunks, ["vector"])
    from knowledge.index import index_rebuild

    index_rebuild(course.pk)
    for query, ids in ranked.items():
        again = [h.chunk.pk for h in search(course_id=course.pk, query=query, k=5)]
        assert again[:3] == ids[:3], query
        assert set(again) == set(ids), query


def test_embedding_for_ingestion_returns_one_entry_per_passage_in_order():
    from knowledge.chunking import Passage

    passages = [
        Passage("Short one. Two sentences.", "A", None),
        Passage("A much longer passage, with one sentence only, to sort first.", "", None),
        Passage("```python\nx = 1\n```", "Code", None),
    ]
    embedded = _embed_passages(passages)
    assert [len(e.sentence_spans) for e in embedded] == [2, 1, 0]
    alone = embed_texts(["A\nShort one. Two sentences."])[0]
    assert float(np.frombuffer(embedded[0].vector, np.float32) @ alone) > 0.995
