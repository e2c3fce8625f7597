"""Hybrid retrieval inside one course: dense (FAISS) and lexical (BM25), fused by rank."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from inference.embeddings import embed_texts
from knowledge.index import LoadedCourseIndex, loaded_index, query_terms
from knowledge.models import Chunk

CANDIDATES = 50
RRF_K = 60  # the usual reciprocal-rank-fusion constant: rank 1 and rank 5 stay close


@dataclass(frozen=True)
class SearchHit:
    chunk: Chunk
    score: float  # fused score, higher is better
    dense_rank: int | None
    lexical_rank: int | None
    similarity: float  # cosine between the query and the passage (0 when not a dense candidate)

    def as_dict(self) -> dict[str, object]:
        chunk = self.chunk
        return {
            "id": chunk.pk,
            "text": chunk.text,
            "score": round(self.score, 5),
            "material": chunk.source_name,
            "location": chunk.location,
            "url": chunk.url,
            "page": chunk.page,
            "heading": chunk.heading,
            "kind": "lesson" if chunk.lesson_id else "material",
        }


def _lexical_ranks(loaded: LoadedCourseIndex, query: str) -> dict[int, int]:
    if loaded.lexical is None:
        return {}
    words = [w for w in query_terms(query, loaded.language) if w in loaded.lexical.vocab_dict]
    if not words:
        return {}
    # Scoring the query's columns of the sparse BM25 matrix and partitioning takes ~1 ms at 100k
    # passages; bm25s's retrieve() wrapper around the same scores took ~18 ms.
    scores = loaded.lexical.get_scores(words)
    limit = min(CANDIDATES, len(scores))
    top = np.argpartition(-scores, limit - 1)[:limit]
    top = top[np.argsort(-scores[top], kind="stable")]
    return {
        int(loaded.lexical_ids[p]): rank
        for rank, p in enumerate((p for p in top if scores[p] > 0), start=1)
    }


@functools.lru_cache(maxsize=256)
def query_vector(query: str, language: str = "en") -> np.ndarray:
    """The query's embedding for a course of `language`; kept briefly, since quote selection
    embeds the same question."""
    vector = embed_texts([query], language=language, kind="query")[0]
    vector.setflags(write=False)  # shared between callers through the cache
    return vector


def best_similarity(*, course_id: int, query: str) -> float:
    """The cosine of the passage semantically closest to `query` (0 for an empty course)."""
    loaded = loaded_index(course_id)
    if loaded is None or loaded.dense.ntotal == 0 or not query.strip():
        return 0.0
    scores, ids = loaded.dense.search(query_vector(query, loaded.language)[None, :], 1)
    return float(scores[0][0]) if ids[0][0] >= 0 else 0.0


def search(
    *, course_id: int, query: str, k: int = 5, with_sentences: bool = False
) -> list[SearchHit]:
    """The `k` best passages of the course for `query`, best first.

    The rows come without their passage vector, and without their stored sentence vectors
    unless `with_sentences` (quotes and the support checker want them, the search API does not).
    """
    loaded = loaded_index(course_id)
    if loaded is None or loaded.dense.ntotal == 0 or not query.strip():
        return []
    dense_ranks: dict[int, int] = {}
    similarities: dict[int, float] = {}
    vector = query_vector(query, loaded.language)[None, :]
    scores, ids = loaded.dense.search(vector, min(CANDIDATES, loaded.dense.ntotal))
    for rank, (chunk_id, score) in enumerate(
        zip(ids[0].tolist(), scores[0].tolist(), strict=True), start=1
    ):
        if chunk_id >= 0:
            dense_ranks[chunk_id] = rank
            similarities[chunk_id] = score
    lexical_ranks = _lexical_ranks(loaded, query)
    fused: dict[int, float] = {}
    for ranks in (dense_ranks, lexical_ranks):
        for chunk_id, rank in ranks.items():
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    best = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
    # Passages that mostly ask (exercises) go after the others of the top k: they are worded
    # like the student's question, so they rank first, yet answer nothing. They stay in the
    # top k, so whether a question is about the course at all is decided as before.
    best.sort(key=lambda chunk_id: chunk_id in loaded.asking)
    # Retrieval never crosses courses: the ids come from this course's index, and the rows are
    # fetched with the course as a filter too.
    deferred = ["vector"] if with_sentences else ["vector", "sentence_spans", "sentence_vectors"]
    chunks = (
        Chunk.objects.filter(course_id=course_id, pk__in=best)
        .select_related("material", "lesson", "lesson__course", "course")
        .defer(*deferred)
    )
    by_id = {c.pk: c for c in chunks}
    return [
        SearchHit(
            by_id[i], fused[i], dense_ranks.get(i), lexical_ranks.get(i), similarities.get(i, 0.0)
        )
        for i in best
        if i in by_id
    ]
