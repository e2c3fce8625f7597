"""Split sections into overlapping, heading-aware passages for retrieval."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.languages import is_chinese
from knowledge.parsing import Section

TARGET_CHARS = 900  # ~200 tokens for MiniLM (it reads 256 at most)
OVERLAP_CHARS = 150
# Chinese says in one character what English says in four or five: 900 characters of Chinese
# are ~600 tokens for the multilingual embedder (it reads 512) and span several topics, which
# blurs both the vector and BM25. Passages of ~350 characters hold about what 900 English ones do.
TARGET_CHARS_ZH = 350
OVERLAP_CHARS_ZH = 60

# A Chinese sentence ends at 。！？；or an ellipsis ……, optionally closed by a quote or bracket,
# with or without a space after it; a Latin one at . ! ? followed by whitespace.
_SENTENCE_END = re.compile(
    r"(?<=[.!?])\s+|(?<=[。！？；][”’」』）)])\s*|(?<=……[”’」』）)])\s*"
    r"|(?<=[。！？；])(?![”’」』）)])\s*|(?<=……)(?![”’」』）)…])\s*"
)


@dataclass(frozen=True)
class Passage:
    text: str
    heading: str
    page: int | None


def _pieces(text: str, target: int, sentence_end: re.Pattern[str]) -> list[str]:
    """Paragraphs, and sentences of paragraphs too long to keep whole."""
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if len(paragraph) <= target:
            if paragraph:
                pieces.append(paragraph)
            continue
        sentences = sentence_end.split(paragraph)
        for sentence in sentences:
            while len(sentence) > target:  # one enormous "sentence": cut it hard
                pieces.append(sentence[:target])
                sentence = sentence[target:]
            if sentence:
                pieces.append(sentence)
    return pieces


def _tail(text: str, overlap: int, chinese: bool) -> str:
    """The end of a passage that the next one starts with, from a word or sentence boundary."""
    tail = text[-overlap:]
    if chinese:
        # No spaces to cut at: start after the last sentence end inside the tail, if any.
        # (The passage itself ends at a sentence end: look before its last character.)
        cut = max(tail[:-1].rfind(mark) for mark in "。！？；\n")
        return tail[cut + 1 :].lstrip() if cut >= 0 else tail
    return tail[tail.find(" ") + 1 :] if " " in tail else tail


_LATIN_END = re.compile(r"(?<=[.!?])\s+")


def chunk_sections(sections: list[Section]) -> list[Passage]:
    """Passages never cross a heading or a page; each starts with the tail of the one before.

    Sections written in Chinese (by script) get shorter passages and Chinese sentence ends;
    others are chunked exactly as before.
    """
    passages: list[Passage] = []
    for section in sections:
        chinese = is_chinese(section.text)
        target = TARGET_CHARS_ZH if chinese else TARGET_CHARS
        overlap = OVERLAP_CHARS_ZH if chinese else OVERLAP_CHARS
        joiner = "" if chinese else " "
        current = ""
        for piece in _pieces(section.text, target, _SENTENCE_END if chinese else _LATIN_END):
            if current and len(current) + len(piece) + 2 > target:
                passages.append(Passage(current, section.heading, section.page))
                current = f"{_tail(current, overlap, chinese)}{joiner}{piece}"
            else:
                current = f"{current}\n\n{piece}" if current else piece
        if current.strip():
            passages.append(Passage(current, section.heading, section.page))
    return passages
