"""Sentences of passages and answers, with their offsets, and their cached embeddings.

Shared by quote selection (knowledge.quotes) and the support checker (knowledge.support): both
work sentence by sentence, and both need the same passage's sentence vectors again and again,
so they are embedded once per passage text and kept in a small in-process cache.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from core.languages import CJK, family
from inference.embeddings import embed_texts

# A sentence ends at . ! ? (optionally closed by a quote, bracket or emphasis) followed by
# whitespace; a blank line or a list item also ends one. Fenced code stays one unit. Chinese
# sentences end at 。！？；or a Chinese ellipsis …… (optionally closed by a quote or bracket),
# with or without a space after it: Chinese puts none. (A single … does not end one: English
# uses it mid-sentence.)
_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_BOUNDARY = re.compile(
    r"(?<=[.!?])[\"')\]*_]*\s+|\n\s*\n|\n(?=\s*(?:[-*+]|\d+\.)\s)|\n(?=#)"
    r"|(?<=[。！？；][”’」』）)])\s*|(?<=……[”’」』）)])\s*|(?<=[。！？；])(?![”’」』）)])\s*"
    r"|(?<=……)(?![”’」』）)…])\s*"
)
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|cf|Dr|Mr|Mrs|Ms|approx|No)\.|\b[A-Z]\.)$")
CACHE_PASSAGES = 4096


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str
    code: bool = False  # a fenced code block, kept whole


def split_sentences(text: str) -> list[Span]:
    """The sentences of `text` (and fenced code blocks), with offsets into `text`."""
    spans: list[Span] = []
    position = 0
    for fence in _FENCE.finditer(text):
        spans.extend(_prose(text, position, fence.start()))
        spans.append(Span(fence.start(), fence.end(), fence.group(0), code=True))
        position = fence.end()
    spans.extend(_prose(text, position, len(text)))
    return spans


def _prose(text: str, start: int, end: int) -> list[Span]:
    spans = []
    cursor = start
    segment = text[start:end]
    for boundary in [*_BOUNDARY.finditer(segment), None]:
        stop = start + boundary.start() if boundary else end
        raw = text[cursor:stop]
        stripped = raw.strip()
        if boundary and _ABBREVIATION.search(raw) and "\n" not in boundary.group(0):
            continue  # "e.g. fine": the sentence goes on
        if stripped:
            lead = len(raw) - len(raw.lstrip())
            spans.append(Span(cursor + lead, cursor + lead + len(stripped), stripped))
        if boundary:
            cursor = start + boundary.end()
    return spans


_SUFFIXES = ("ations", "ation", "ings", "ing", "edly", "ed", "es", "ly", "e", "s")


def stem(word: str) -> str:
    """A crude English stem, enough to match "sorted" with "sort", "estimates" with
    "estimate" or "quantising" with "quantisation" (a stem keeps at least four letters)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def is_question(sentence: str) -> bool:
    """Whether `sentence` asks rather than states (an exercise, a rhetorical question)."""
    return sentence.rstrip().rstrip("*_\"')”’」』）").endswith(("?", "？"))


_WORD = re.compile(r"[a-z0-9_]+")
STOPWORDS = frozenset(
    """a an and are as at be been but by can could do does did for from has have how i if in
    into is it its may me my of on or our should so than that the their them then there these
    they this those to was we what when where which while who why will with would you your
    use used using about also each more most some such only other one two very just not no
    explain tell mean means way ways make makes get""".split()  # noqa: SIM905 (a word list reads better as text)
)


def terms(text: str) -> set[str]:
    """Content words, lower case, a plural "s" dropped: what term overlap compares. Chinese
    text has no spaces: its words come from the segmenter (knowledge.tokens)."""
    words = _WORD.findall(text.lower())
    found = {_stem(w) for w in words if w not in STOPWORDS and len(w) > 1}
    if CJK.search(text):
        from knowledge.tokens import content_words

        found |= {w for w in content_words(text) if CJK.search(w)}
    return found


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


class _SentenceCache:
    """passage text → (its prose sentences, their unit vectors); least recently used dropped."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[str, tuple[list[Span], np.ndarray]] = OrderedDict()
        self.lock = threading.Lock()

    def get_many(
        self, texts: list[str], language: str = "en"
    ) -> list[tuple[list[Span], np.ndarray]]:
        keys = [_key(t, language) for t in texts]
        with self.lock:
            found = {k: self.items[k] for k in keys if k in self.items}
            for key in found:
                self.items.move_to_end(key)
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in found}
        if missing:
            embedded = sentences_embed(list(missing.values()), language)
            found.update(zip(missing, embedded, strict=True))
            self._put(list(zip(missing, embedded, strict=True)))
        return [found[k] for k in keys]

    def remember(
        self, texts: list[str], pairs: list[tuple[list[Span], np.ndarray]], language: str = "en"
    ) -> None:
        self._put([(_key(t, language), p) for t, p in zip(texts, pairs, strict=True)])

    def _put(self, items: list[tuple[str, tuple[list[Span], np.ndarray]]]) -> None:
        with self.lock:
            for key, pair in items:
                self.items[key] = pair
                self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def _key(text: str, language: str = "en") -> str:
    # The same passage has other vectors under another language's embedder.
    prefix = "" if family(language) == "en" else f"{family(language)}\0"
    return hashlib.blake2b((prefix + text).encode(), digest_size=16).hexdigest()


def sentences_embed(texts: list[str], language: str = "en") -> list[tuple[list[Span], np.ndarray]]:
    """For each text: its prose sentences and their embeddings with the embedder of `language`,
    computed now (no cache).

    One embedding call for every sentence of every text: batching is what makes a first
    question on a cold cache cost tens of milliseconds, not hundreds."""
    spans_of = [[s for s in split_sentences(t) if not s.code] for t in texts]
    vectors = embed_texts([s.text for spans in spans_of for s in spans], language=language)
    pairs = []
    offset = 0
    for spans in spans_of:
        pairs.append((spans, vectors[offset : offset + len(spans)]))
        offset += len(spans)
    return pairs


_cache = _SentenceCache(CACHE_PASSAGES)


def passage_sentences(
    texts: list[str], language: str = "en"
) -> list[tuple[list[Span], np.ndarray]]:
    """For each passage: its prose sentences and their embeddings with the embedder of the
    course's `language` (cached by text and language)."""
    return _cache.get_many(texts, language)


def passage_sentences_remember(
    texts: list[str], pairs: list[tuple[list[Span], np.ndarray]], language: str = "en"
) -> None:
    """Put sentences embedded elsewhere (stored at ingestion) in the cache under their texts."""
    _cache.remember(texts, pairs, language)
