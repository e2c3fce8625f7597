"""Hybrid retrieval inside one course: dense (FAISS) and lexical (BM25), fused by rank."""

from __future__ import annotations

from dataclasses import dataclass

from inference.embeddings import embed_texts
from inference.knowledge.index import loaded_index, tokenize_for_bm25
from inference.models import Chunk

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


def search(*, course_id: int, query: str, k: int = 5) -> list[SearchHit]:
    loaded = loaded_index(course_id)
    if loaded is None or loaded.dense.ntotal == 0 or not query.strip():
        return []
    dense_ranks: dict[int, int] = {}
    similarities: dict[int, float] = {}
    vector = embed_texts([query])
    scores, ids = loaded.dense.search(vector, min(CANDIDATES, loaded.dense.ntotal))
    for rank, (chunk_id, score) in enumerate(
        zip(ids[0].tolist(), scores[0].tolist(), strict=True), start=1
    ):
        if chunk_id >= 0:
            dense_ranks[chunk_id] = rank
            similarities[chunk_id] = score
    lexical_ranks: dict[int, int] = {}
    if loaded.lexical is not None:
        tokens = tokenize_for_bm25([query])
        if len(tokens.vocab) and any(len(q) for q in tokens.ids):
            limit = min(CANDIDATES, len(loaded.lexical_ids))
            positions, scores = loaded.lexical.retrieve(tokens, k=limit, show_progress=False)
            rank = 0
            for position, score in zip(positions[0].tolist(), scores[0].tolist(), strict=True):
                if score > 0:
                    rank += 1
                    lexical_ranks[int(loaded.lexical_ids[position])] = rank
    fused: dict[int, float] = {}
    for ranks in (dense_ranks, lexical_ranks):
        for chunk_id, rank in ranks.items():
            fused[chunk_id] = fused.get(chunk_id, 0.0) + 1.0 / (RRF_K + rank)
    best = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
    # Retrieval never crosses courses: the ids come from this course's index, and the rows are
    # fetched with the course as a filter too.
    chunks = Chunk.objects.filter(course_id=course_id, pk__in=best).select_related(
        "material", "lesson", "lesson__course", "course"
    )
    by_id = {c.pk: c for c in chunks}
    return [
        SearchHit(
            by_id[i], fused[i], dense_ranks.get(i), lexical_ranks.get(i), similarities.get(i, 0.0)
        )
        for i in best
        if i in by_id
    ]
