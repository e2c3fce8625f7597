"""Split sections into overlapping, heading-aware passages for retrieval."""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.parsing import Section

TARGET_CHARS = 900  # ~200 tokens for MiniLM (it reads 256 at most)
OVERLAP_CHARS = 150


@dataclass(frozen=True)
class Passage:
    text: str
    heading: str
    page: int | None


def _pieces(text: str) -> list[str]:
    """Paragraphs, and sentences of paragraphs too long to keep whole."""
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if len(paragraph) <= TARGET_CHARS:
            if paragraph:
                pieces.append(paragraph)
            continue
        sentences = re.split(r"(?<=[.!?])\s+", paragraph)
        for sentence in sentences:
            while len(sentence) > TARGET_CHARS:  # one enormous "sentence": cut it hard
                pieces.append(sentence[:TARGET_CHARS])
                sentence = sentence[TARGET_CHARS:]
            if sentence:
                pieces.append(sentence)
    return pieces


def chunk_sections(sections: list[Section]) -> list[Passage]:
    """Passages never cross a heading or a page; each starts with the tail of the one before."""
    passages: list[Passage] = []
    for section in sections:
        current = ""
        for piece in _pieces(section.text):
            if current and len(current) + len(piece) + 2 > TARGET_CHARS:
                passages.append(Passage(current, section.heading, section.page))
                tail = current[-OVERLAP_CHARS:]
                tail = tail[tail.find(" ") + 1 :] if " " in tail else tail
                current = f"{tail} {piece}"
            else:
                current = f"{current}\n\n{piece}" if current else piece
        if current.strip():
            passages.append(Passage(current, section.heading, section.page))
    return passages
