"""Per-course FAISS indexes on disk, and the in-memory search structures built from them.

Writers (the Celery worker, `rebuild_kb`) hold a per-course file lock, write the new index to a
temporary file and rename it into place, then bump the course's KnowledgeBaseState.version.
Readers (web processes) keep the loaded index plus a BM25 index of the same chunks and reload
both when the version moves.
"""

from __future__ import annotations

import fcntl
import math
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db.models import F

from core.languages import family
from knowledge.models import Chunk, KnowledgeBaseState
from knowledge.sentences import is_question, split_sentences, stem

DIMENSION = 384  # all-MiniLM-L6-v2 (English courses) and multilingual-e5-small (Chinese ones)
IVF_PROBES = 16  # of √n lists; measured in bench/retrieval.py against the exact top 50


def _paths(course_id: int) -> tuple[Path, Path]:
    directory = Path(settings.KB_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"course-{course_id}.faiss", directory / f"course-{course_id}.lock"


@contextmanager
def _write_lock(course_id: int) -> Iterator[None]:
    _, lock_path = _paths(course_id)
    with open(lock_path, "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def _new_index() -> Any:
    import faiss

    # Exhaustive inner-product search over unit vectors (= cosine), stored as fp16: half the
    # memory traffic of float32 (100k passages: 19 ms -> 6 ms per query here, same top 10),
    # no training, and unlike HNSW it supports removing ids when material is deleted.
    return faiss.IndexIDMap2(
        faiss.IndexScalarQuantizer(
            DIMENSION, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
        )
    )


def _new_ivf_index(vectors: np.ndarray) -> Any:
    """An inverted-file index trained on `vectors`: a query scans IVF_PROBES of √n lists.

    Past KB_IVF_MIN_PASSAGES an exhaustive scan is what a query mostly spends its time on; an
    IVF index reads a few percent of the vectors instead. Like the flat index it supports
    removing ids (HNSW does not), so material deletion keeps working. Its lists are trained on
    the course's own vectors, when the index is (re)built at that size.
    """
    import faiss

    lists = max(1, min(int(math.sqrt(len(vectors))), len(vectors) // 39))  # faiss wants ≥ 39/list
    index = faiss.index_factory(DIMENSION, f"IVF{lists},SQfp16", faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)
    faiss.extract_index_ivf(index).nprobe = min(IVF_PROBES, lists)
    return index


def _for_search(index: Any) -> Any:
    import faiss

    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = min(IVF_PROBES, ivf.nlist)
    return index


def index_kind(index: Any) -> str:
    import faiss

    return "ivf" if faiss.try_extract_index_ivf(index) is not None else "flat"


def _load(course_id: int) -> Any:
    import faiss

    path, _ = _paths(course_id)
    return faiss.read_index(str(path)) if path.exists() else _new_index()


def _save(course_id: int, index: Any) -> None:
    import faiss

    path, _ = _paths(course_id)
    temporary = path.with_suffix(".faiss.tmp")
    faiss.write_index(index, str(temporary))
    temporary.replace(path)


def _bump(course_id: int) -> None:
    state, _ = KnowledgeBaseState.objects.get_or_create(course_id=course_id)
    KnowledgeBaseState.objects.filter(pk=state.pk).update(version=F("version") + 1)


def vectors_of(chunks: list[Chunk]) -> np.ndarray:
    return np.frombuffer(b"".join(bytes(c.vector) for c in chunks), dtype=np.float32).reshape(
        len(chunks), DIMENSION
    )


def index_add(course_id: int, chunks: list[Chunk]) -> None:
    index_replace(course_id, remove=[], add=chunks)


def index_remove(course_id: int, chunk_ids: list[int]) -> None:
    index_replace(course_id, remove=chunk_ids, add=[])


def index_replace(course_id: int, *, remove: list[int], add: list[Chunk]) -> None:
    """Take `remove` out of the course's index and put `add` in: one read, one write, one bump.

    When the course grows past KB_IVF_MIN_PASSAGES (or shrinks well below it) the index is
    rebuilt from the chunk rows in the other kind; callers inside a transaction see their own
    new rows.
    """
    if not remove and not add:
        return
    with _write_lock(course_id):
        index = _load(course_id)
        if remove:
            index.remove_ids(np.array(remove, dtype=np.int64))
        if add:
            index.add_with_ids(vectors_of(add), np.array([c.pk for c in add], dtype=np.int64))
        kind = index_kind(index)
        if kind != _kind_for(int(index.ntotal), current=kind):
            index = _build(course_id)
        _save(course_id, index)
    _bump(course_id)


def _kind_for(size: int, current: str = "") -> str:
    threshold = settings.KB_IVF_MIN_PASSAGES
    if current == "ivf":
        # Back to flat only well below the threshold: a course hovering around it must not
        # retrain its index on every upload and deletion.
        threshold = int(threshold * 0.8)
    return "ivf" if size >= threshold else "flat"


def _build(course_id: int) -> Any:
    ids: list[int] = []
    parts: list[np.ndarray] = []
    batch: list[Chunk] = []
    rows = Chunk.objects.filter(course_id=course_id).only("id", "vector").order_by("id")
    for chunk in rows.iterator(chunk_size=2000):
        batch.append(chunk)
        if len(batch) == 2000:
            parts.append(vectors_of(batch))
            ids.extend(c.pk for c in batch)
            batch = []
    if batch:
        parts.append(vectors_of(batch))
        ids.extend(c.pk for c in batch)
    vectors = np.vstack(parts) if parts else np.zeros((0, DIMENSION), dtype=np.float32)
    index = _new_ivf_index(vectors) if _kind_for(len(ids)) == "ivf" else _new_index()
    if ids:
        index.add_with_ids(vectors, np.array(ids, dtype=np.int64))
    return index


def index_rebuild(course_id: int) -> int:
    """Recreate the course's index from the chunk rows (their stored vectors)."""
    with _write_lock(course_id):
        index = _build(course_id)
        _save(course_id, index)
        count = int(index.ntotal)
    _bump(course_id)
    return count


def index_ids(course_id: int) -> set[int]:
    import faiss

    index = _load(course_id)
    if not index.ntotal:
        return set()
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is None:
        return set(faiss.vector_to_array(index.id_map).tolist())
    lists = ivf.invlists
    assert lists is not None  # an IVF index always has its lists
    found: set[int] = set()
    for number in range(lists.nlist):
        size = lists.list_size(number)
        if size:
            ids = faiss.rev_swig_ptr(lists.get_ids(number), size)
            found.update(ids.tolist())
    return found


# --- readers --------------------------------------------------------------------------------------


@dataclass
class LoadedCourseIndex:
    version: int
    dense: Any
    lexical: Any
    lexical_ids: np.ndarray
    language: str = "en"  # the course's: queries are tokenized and embedded for it
    # Passages that mostly ask (exercises, "check your understanding"): search puts them last.
    asking: frozenset[int] = frozenset()


_cache: dict[int, LoadedCourseIndex] = {}
_cache_lock = threading.Lock()


def tokenize_for_bm25(texts: list[str], language: str = "en") -> Any:
    """bm25s's tokens for English courses; for Chinese ones a list of word lists (jieba), which
    bm25s indexes the same way. One function for passages and queries, so they always agree."""
    if family(language) == "zh":
        from knowledge.tokens import words

        return [words(text) for text in texts]
    import bm25s

    # Stemmed, so that a question's "quantising" finds a passage's "quantisation" and
    # "estimates" finds "estimate": students rarely use the material's word form.
    return bm25s.tokenize(texts, stopwords="en", stemmer=_stem_words, show_progress=False)


def _stem_words(words: list[str]) -> list[str]:
    return [stem(word) for word in words]


def query_terms(query: str, language: str = "en") -> list[str]:
    """The query's BM25 words, tokenized exactly as the course's passages were."""
    tokens = tokenize_for_bm25([query], language)
    if isinstance(tokens, list):
        return list(tokens[0])
    words_by_id = {token_id: word for word, token_id in tokens.vocab.items()}
    return [words_by_id[i] for i in tokens.ids[0]]


def course_language(course_id: int) -> str:
    from courses.models import Course

    found = Course.objects.filter(pk=course_id).values_list("language", flat=True).first()
    return found or "en"


_LETTER = re.compile(r"[^\W\d_]")


def mostly_questions(text: str) -> bool:
    """Whether at least half of the passage's sentences (two or more) are questions.

    A list of exercises is worded like the student's own question, so both the embedder and
    BM25 rank it first, yet it answers nothing: the section that explains comes next.
    """
    # "1." before a numbered item splits off as a "sentence" of its own: count only words.
    sentences = [s.text for s in split_sentences(text) if not s.code and _LETTER.search(s.text)]
    asked = sum(1 for sentence in sentences if is_question(sentence))
    return asked >= 2 and asked * 2 >= len(sentences)


def loaded_index(course_id: int) -> LoadedCourseIndex | None:
    version = (
        KnowledgeBaseState.objects.filter(course_id=course_id)
        .values_list("version", flat=True)
        .first()
    )
    if version is None:
        return None
    cached = _cache.get(course_id)
    if cached is not None and cached.version == version:
        return cached
    with _cache_lock:
        cached = _cache.get(course_id)
        if cached is not None and cached.version == version:
            return cached
        import bm25s

        language = course_language(course_id)
        rows = list(Chunk.objects.filter(course_id=course_id).values_list("id", "heading", "text"))
        lexical = None
        if rows:
            lexical = bm25s.BM25()
            lexical.index(
                tokenize_for_bm25([f"{heading}\n{text}" for _, heading, text in rows], language),
                show_progress=False,
            )
        loaded = LoadedCourseIndex(
            version=version,
            dense=_for_search(_load(course_id)),
            lexical=lexical,
            lexical_ids=np.array([r[0] for r in rows], dtype=np.int64),
            language=language,
            asking=frozenset(chunk_id for chunk_id, _, text in rows if mostly_questions(text)),
        )
        _cache[course_id] = loaded
        return loaded


def forget_loaded_indexes() -> None:
    _cache.clear()
