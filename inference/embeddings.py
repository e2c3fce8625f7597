"""Sentence embeddings with the packaged all-MiniLM-L6-v2 (384 dimensions, unit length)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
from django.conf import settings

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


def embedding_dimension() -> int:
    return int(_embedder().get_sentence_embedding_dimension())


def embed_texts(texts: list[str], *, batch_size: int = 64) -> np.ndarray:
    """float32 array (len(texts), dim) of L2-normalised vectors: inner product = cosine."""
    if not texts:
        return np.zeros((0, embedding_dimension()), dtype=np.float32)
    model = _embedder()
    with _threads(settings.EMBEDDING_THREADS):
        vectors = model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
    vectors = np.asarray(vectors, dtype=np.float32)
    # Re-normalise after the cast: bf16 rounding leaves norms a hair off 1.
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return np.ascontiguousarray(vectors)
