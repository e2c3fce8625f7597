"""Named test doubles for the generation backend. Real-model paths are tested elsewhere."""

from __future__ import annotations

from collections.abc import AsyncIterator

from inference.engine import StreamStats


class ScriptedBackend:
    """A deterministic stand-in for a model: streams a fixed answer and records its prompts."""

    name = "scripted-double"

    def __init__(self, answer: str = "Several heads attend in parallel [1].") -> None:
        self.answer = answer
        self.calls: list[list[dict[str, str]]] = []

    async def stream(
        self, messages: list[dict[str, str]], *, max_tokens: int, temperature: float, top_p: float
    ) -> AsyncIterator[str | StreamStats]:
        self.calls.append(messages)
        words = self.answer.split(" ")
        for index, word in enumerate(words[:max_tokens]):
            yield word if index == 0 else f" {word}"
        yield StreamStats(sum(len(m["content"]) // 4 for m in messages), len(words), "stop")
