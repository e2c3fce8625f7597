"""Named test doubles for the generation backend. Real-model paths are tested elsewhere."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from inference.engine import StreamStats


class ScriptedBackend:
    """A deterministic stand-in for a model: streams a fixed answer and records its prompts."""

    name = "scripted-double"

    def __init__(
        self, answer: str = "Several heads attend in parallel [1].", *, delay: float = 0.0
    ) -> None:
        self.answer = answer
        self.delay = delay  # seconds per word, to leave time to stop or disconnect mid-answer
        self.calls: list[list[dict[str, str]]] = []
        self.priorities: list[str] = []  # the priority each call stated
        self.finished = 0  # streams that ran to their end (a cancelled one never does)

    async def stream(
        self,
        messages: list[dict[str, str]],
        *,
        max_tokens: int,
        temperature: float,
        top_p: float,
        priority: str = "background",
    ) -> AsyncIterator[str | StreamStats]:
        self.calls.append(messages)
        self.priorities.append(str(priority))
        words = self.answer.split(" ")
        for index, word in enumerate(words[:max_tokens]):
            if self.delay:
                await asyncio.sleep(self.delay)
            yield word if index == 0 else f" {word}"
        self.finished += 1
        yield StreamStats(sum(len(m["content"]) // 4 for m in messages), len(words), "stop")
