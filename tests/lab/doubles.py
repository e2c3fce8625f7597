"""A named double of `inference.lab_client.lab_call`: canned, deterministic answers, so page and
API tests never load the model (tests/lab/test_real_model.py runs the real one)."""

from __future__ import annotations

from typing import Any

from inference.lab import LabError


class LabDouble:
    layers = 4
    heads = 3

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failing = False
        # P(first token of continuation | prompt), by the continuation's word.
        self.probabilities = {"Paris": 0.6, "London": 0.1}

    def __call__(self, operation: str, **params: Any) -> dict[str, Any]:
        self.calls.append((operation, params))
        if self.failing:
            raise LabError("The model is not installed.")
        return getattr(self, operation.replace("-", "_"))(**params)

    @staticmethod
    def _words(text: str) -> list[str]:
        # One "token" per word, the space it follows included, like byte-level BPE.
        pieces = []
        for i, word in enumerate(text.split(" ")):
            pieces.append(word if i == 0 else " " + word)
        return [p for p in pieces if p]

    def count_tokens(self, *, text: str) -> dict[str, Any]:
        return {"count": len(self._words(text))}

    def tokenize(self, *, text: str) -> dict[str, Any]:
        return {
            "tokens": [
                {"id": 100 + i, "piece": w.replace(" ", "Ġ"), "text": w, "bytes": w.encode().hex()}
                for i, w in enumerate(self._words(text))
            ]
        }

    def next_token(self, *, prompt: str, top: int) -> dict[str, Any]:
        return {
            "prompt_tokens": len(self._words(prompt)),
            "candidates": [
                {"id": 1, "text": " Paris", "logit": 5.0, "probability": 0.6},
                {"id": 2, "text": " London", "logit": 3.0, "probability": 0.1},
            ],
            "rest_logsumexp": 4.0,
        }

    def token_probabilities(self, *, prompt: str, continuations: list[str]) -> dict[str, Any]:
        found = []
        for continuation in continuations:
            word = continuation.strip()
            probability = self.probabilities.get(word, 0.01)
            # Mentioning the other city makes it less likely: the exercise has something to find.
            if "London" in prompt and word == "Paris":
                probability = 0.05
            found.append(probability)
        return {"probabilities": found}

    def sample(self, *, prompt: str, count: int, **options: Any) -> dict[str, Any]:
        return {"samples": [" Paris." if i % 4 else " London." for i in range(count)]}

    def model_shape(self) -> dict[str, Any]:
        return {"layers": self.layers, "heads": self.heads}

    def attention(self, *, text: str, layer: int, head: int | None) -> dict[str, Any]:
        tokens = self._words(text)
        n = len(tokens)
        weights = [[(1 / (i + 1) if j <= i else 0.0) for j in range(n)] for i in range(n)]
        return {
            **self.model_shape(),
            "layer": layer,
            "head": head,
            "tokens": tokens,
            "weights": weights,
        }

    def embed(self, *, texts: list[str]) -> dict[str, Any]:
        vectors = []
        for text in texts:
            v = [0.0] * 384
            v[len(text) % 384] = 1.0
            vectors.append(v)
        return {"vectors": vectors}

    def speed(self, *, new_tokens: int, prompt_lengths: list[int]) -> dict[str, Any]:
        return {
            "new_tokens": new_tokens,
            "with_cache_tokens_per_second": 40.0,
            "without_cache_tokens_per_second": 12.0,
            "batch_1_tokens_per_second": 40.0,
            "batch_8_tokens_per_second": 160.0,
            "time_to_first_token": [
                {"prompt_tokens": n, "seconds": n / 1000} for n in prompt_lengths
            ],
            "parameters": 134515008,
            "kv_cache_bytes_per_token": 46080,
        }
