"""Sentence vectors stored with each passage at ingestion, and read back into the cache.

Quote selection and the support checker compare the question and the model's sentences with the
sentences of the retrieved passages (knowledge.sentences). Embedding those once at ingestion, in
the worker's batches, means no web process embeds a passage's sentences again: search hands the
stored vectors of the passages it returns to the in-process cache.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import numpy as np

from knowledge.sentences import Span, passage_sentences_remember

DIMENSION = 384  # all-MiniLM-L6-v2 and multilingual-e5-small, as knowledge.index


class _WithSentences(Protocol):
    text: str
    sentence_spans: list[list[int]]
    sentence_vectors: bytes | memoryview


def sentences_pack(spans: list[Span], vectors: np.ndarray) -> tuple[list[list[int]], bytes]:
    """What a Chunk row stores: the sentences' offsets and their float32 vectors."""
    return [[s.start, s.end] for s in spans], np.ascontiguousarray(vectors, np.float32).tobytes()


def sentences_unpack(chunk: _WithSentences) -> tuple[list[Span], np.ndarray] | None:
    """The stored sentences of a passage, or None when it has none (ingested before they were
    stored) or they do not fit its text."""
    blob = bytes(chunk.sentence_vectors or b"")
    offsets = chunk.sentence_spans or []
    if not blob or len(blob) != len(offsets) * DIMENSION * 4:
        return None
    text = chunk.text
    spans = []
    for start, end in offsets:
        if not 0 <= start < end <= len(text):
            return None
        spans.append(Span(start, end, text[start:end]))
    vectors = np.frombuffer(blob, dtype=np.float32).reshape(len(offsets), DIMENSION)
    return spans, vectors


def chunks_remember_sentences(chunks: Iterable[_WithSentences], language: str = "en") -> int:
    """Hand the stored sentence vectors of `chunks` (embedded for their course's `language`) to
    the cache; how many passages had them."""
    texts, pairs = [], []
    for chunk in chunks:
        pair = sentences_unpack(chunk)
        if pair is not None:
            texts.append(chunk.text)
            pairs.append(pair)
    if texts:
        passage_sentences_remember(texts, pairs, language)
    return len(texts)
