"""The one escaper for text placed inside a prompt's delimited blocks, and the context block.

Prompts wrap outside text in tags (<context>, <code>, <output>, <answer>, <lesson>) and tell the
model that what is inside is data. `neutralise` is the only escaper: it turns every such tag in
the text, opening or closing, in any case, with spaces or attributes, into harmless
parentheses, so no text can end its block early, open another, and pass for instructions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

BLOCK_TAGS = ("answer", "code", "context", "lesson", "output")
PASSAGE_CHARS = 700

_TAG = re.compile(r"<\s*/?\s*(?:" + "|".join(BLOCK_TAGS) + r")\b[^<>]*>", re.IGNORECASE)


def neutralise(text: str) -> str:
    """`text` with every block tag made inert: "</context>" becomes "(/context)"."""
    return _TAG.sub(lambda match: match.group(0).replace("<", "(").replace(">", ")"), text)


class Passage(Protocol):
    """What a context block needs of a passage (knowledge's Chunk has it)."""

    @property
    def text(self) -> str: ...

    @property
    def source_name(self) -> str: ...

    @property
    def location(self) -> str: ...


def context_block(passages: Sequence[Passage], *, max_chars: int | None = None) -> str:
    """Numbered passages inside one <context> block; the numbers are what answers cite.

    `max_chars` bounds the material in the prompt: on CPU, prompt length is time to first
    token (~1 ms per token of prefill), so a busy tutor trades a little context for latency.
    Passages keep their order; each gets its share of what is left, at most PASSAGE_CHARS.
    """
    remaining = max_chars if max_chars is not None else PASSAGE_CHARS * len(passages)
    blocks = []
    for number, passage in enumerate(passages, start=1):
        share = min(PASSAGE_CHARS, remaining // (len(passages) - number + 1))
        text = passage.text[:share]
        remaining -= len(text)
        blocks.append(f"[{number}] {passage.source_name} ({passage.location})\n{neutralise(text)}")
    return "<context>\n" + "\n\n".join(blocks) + "\n</context>"
