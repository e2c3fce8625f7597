"""Texts embedded again (a lesson saved again, sentences checked again) are not run through the
model a second time, and get the very vectors they got the first time."""

from __future__ import annotations

import uuid

import numpy as np

from inference import embeddings
from inference.embeddings import embed_texts


def test_only_new_texts_reach_the_model_and_known_ones_keep_their_vectors(monkeypatch):
    tag = uuid.uuid4().hex  # texts no earlier test embedded
    known = [f"A set holds unique items ({tag}).", f"Lists keep their order ({tag})."]
    first = embed_texts(known)

    model = embeddings._embedder()
    encode = model.encode
    asked: list[list[str]] = []

    def counting(texts, **options):
        asked.append(list(texts))
        return encode(texts, **options)

    monkeypatch.setattr(model, "encode", counting)
    new = f"A tuple cannot change ({tag})."
    again = embed_texts([known[1], new, known[0], new])

    assert asked == [[new]]  # once, though asked twice in the call
    np.testing.assert_array_equal(again[0], first[1])
    np.testing.assert_array_equal(again[2], first[0])
    np.testing.assert_array_equal(again[1], again[3])
    assert np.allclose(np.linalg.norm(again, axis=1), 1.0, atol=1e-5)
