"""Quote first: the sentences of the retrieved passages that best answer a question, verbatim.

Chosen with the packaged embedder and term overlap, never with the language model, so they are
on the student's screen before the model's first token and cannot be made up. Each quote keeps
its place in the passage (the text before and after it) so a page can show it highlighted in
context, and the link of the lesson section or material page it comes from.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.languages import family
from knowledge.search import query_vector
from knowledge.sentences import (
    Span,
    is_question,
    passage_sentences,
    split_sentences,
    stem,
    terms,
)

MAX_QUOTES = 3
PER_PASSAGE = 2
CONTEXT_CHARS = 220  # of the passage shown either side of a quote
MIN_CHARS = 25  # shorter "sentences" are headings, labels or list stubs, not an answer
# Term overlap adds to the cosine: a sentence naming the question's words ("deque", "FIFO")
# beats a fluent neighbour that only paraphrases the topic.
OVERLAP_WEIGHT = 0.35
RANK_BONUS = 0.04  # per place in the retrieval ranking: break ties towards the best passage
SPREAD = 0.22  # quotes scoring this much below the best one are noise, not support
# A sentence of the kind the question asks for gets this much more (fixed before measuring): a
# "how do I" question is answered by the sentence naming the code to write, a "why" question by
# the one giving the reason, a "what is" question by the one defining the term.
KIND_BONUS = 0.08
# A quote is extended with what it leads into (_with_what_it_introduces) up to this length.
LEAD_IN_CHARS = 600

_HOW = re.compile(
    r"^\s*(?:how\s+(?:do|can|could|should|would)\s+(?:i|you|we)|how\s+to|(?:which|what)\s+"
    r"(?:\w+\s+)?(?:function|method|statement|operator|keyword|module|command|built-in|syntax|"
    r"escape sequence))\b",
    re.IGNORECASE,
)
_WHY = re.compile(r"^\s*why\b", re.IGNORECASE)
_WHAT = re.compile(r"^\s*(?:what\s+(?:is|are|does|do)|define|what's)\b", re.IGNORECASE)
_CODE = re.compile(r"`[^`\n]+`|\b\w+\([^)]*\)|\b\w+\.\w+\(|[=<>!%]=?|\[\S*\]")
_REASON = re.compile(
    r"\b(?:because|since|so that|therefore|that is why|this is why|which is why|otherwise|"
    r"so|as a result|in order to|the reason)\b",
    re.IGNORECASE,
)
_DEFINES = re.compile(r"\*\*[^*]+\*\*|\b(?:is|are|means|refers to|is called)\b", re.IGNORECASE)


def _stems(text: str) -> set[str]:
    return {stem(term) for term in terms(text)}


def _term_weights(wanted: set[str], sentences: list[set[str]]) -> dict[str, float]:
    """Each question term weighted by how rare it is among the candidate sentences (inverse
    document frequency over the retrieved passages): in a section about lists nearly every
    sentence says "list", and only the one saying "append" answers "which list method adds an
    item at the end". Terms no sentence has weigh nothing: they cannot tell sentences apart."""
    count = len(sentences)
    weights = {}
    for term in wanted:
        frequency = sum(1 for found in sentences if term in found)
        if frequency:
            weights[term] = math.log(1 + count / frequency)
    return weights


def _kind_bonus(question: str, sentence: str) -> float:
    """KIND_BONUS when `sentence` is the kind of sentence that answers this kind of question."""
    if _HOW.search(question):
        return KIND_BONUS if _CODE.search(sentence) else 0.0
    if _WHY.search(question):
        return KIND_BONUS if _REASON.search(sentence) else 0.0
    if _WHAT.search(question):
        return KIND_BONUS if _DEFINES.search(sentence) else 0.0
    return 0.0


@dataclass(frozen=True)
class Weights:
    min_chars: int
    overlap: float
    rank_bonus: float
    spread: float


# Chinese: a sentence of 10 characters says what 25 English ones do, and multilingual-e5's
# cosines crowd into ~0.75-0.95 (MiniLM's spread over ~0.0-0.8), so the weights that are added
# to a cosine shrink with its range.
WEIGHTS = {
    "en": Weights(MIN_CHARS, OVERLAP_WEIGHT, RANK_BONUS, SPREAD),
    "zh": Weights(10, 0.10, 0.012, 0.06),
}


@dataclass(frozen=True)
class Quote:
    n: int  # the passage's citation number
    text: str  # verbatim from the passage
    before: str
    after: str
    source: str
    location: str
    url: str
    chunk_id: int | None
    score: float

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "text": self.text,
            "before": self.before,
            "after": self.after,
            "source": self.source,
            "location": self.location,
            "url": self.url,
            "chunk": self.chunk_id,
            "score": round(self.score, 3),
        }


class Quotable(Protocol):
    """What a quote needs of a passage (knowledge's Chunk has it)."""

    @property
    def pk(self) -> int | None: ...

    @property
    def text(self) -> str: ...

    @property
    def source_name(self) -> str: ...

    @property
    def location(self) -> str: ...

    @property
    def url(self) -> str: ...


def quotes_select(
    *, question: str, chunks: Sequence[Quotable], limit: int = MAX_QUOTES, language: str = "en"
) -> list[Quote]:
    """Up to `limit` verbatim sentences of `chunks` (ranked passages) that answer `question`;
    `language` is the course's (its embedder and weights)."""
    if not chunks or not question.strip():
        return []
    weights_of = WEIGHTS[family(language)]
    per_chunk = passage_sentences([chunk.text for chunk in chunks], language)
    query = query_vector(question, language)
    english = family(language) == "en"
    stems = _stems if english else terms
    wanted = stems(question)
    found = [[stems(span.text) for span in spans] for spans, _ in per_chunk]
    # Chinese keeps every question word at the same weight: its weights were calibrated so.
    weights = (
        _term_weights(wanted, [f for per_passage in found for f in per_passage])
        if english
        else dict.fromkeys(wanted, 1.0)
    )
    total = sum(weights.values())
    candidates: list[tuple[float, int, int]] = []
    for rank, (spans, vectors) in enumerate(per_chunk):
        if not spans:
            continue
        similarities = vectors @ query
        for index, span in enumerate(spans):
            if len(span.text) < weights_of.min_chars or span.text.startswith("#"):
                continue
            if is_question(span.text):
                continue  # an exercise's question restates the student's, it answers nothing
            overlap = (
                sum(weights[t] for t in found[rank][index] if t in weights) / total
                if total
                else 0.0
            )
            score = (
                float(similarities[index])
                + weights_of.overlap * overlap
                + _kind_bonus(question, span.text)
                - weights_of.rank_bonus * rank
            )
            candidates.append((score, rank, index))
    candidates.sort(reverse=True)
    chosen: list[tuple[float, int, Span]] = []
    for score, rank, index in candidates:
        if len(chosen) == limit or (chosen and score < chosen[0][0] - weights_of.spread):
            break
        if sum(1 for c in chosen if c[1] == rank) == PER_PASSAGE:
            continue
        text = chunks[rank].text
        span = _with_what_it_introduces(text, per_chunk[rank][0][index])
        if any(
            (r == rank and s.start < span.end and span.start < s.end) or span.text in s.text
            for _, r, s in chosen
        ):
            continue  # already on screen: inside a longer quote, or in the overlap of two passages
        chosen.append((score, rank, span))
    quotes = []
    for score, rank, span in chosen:
        chunk = chunks[rank]
        before = chunk.text[max(0, span.start - CONTEXT_CHARS) : span.start]
        after = chunk.text[span.end : span.end + CONTEXT_CHARS]
        quotes.append(
            Quote(
                n=rank + 1,
                text=span.text,
                before=("…" if span.start > CONTEXT_CHARS else "") + before,
                after=after + ("…" if span.end + CONTEXT_CHARS < len(chunk.text) else ""),
                source=chunk.source_name,
                location=chunk.location,
                url=chunk.url,
                chunk_id=chunk.pk,
                score=score,
            )
        )
    return quotes


def _with_what_it_introduces(text: str, span: Span) -> Span:
    """`span`, or `span` with what it leads into (verbatim, up to LEAD_IN_CHARS in all).

    A paragraph's first sentence often only names the topic ("Your own functions should refuse
    bad input loudly…") and the next one says what to do ("Use `raise`…"): it takes the next
    sentence of its paragraph. A lead-in ending in ":" takes the block it introduces (a code
    block, a list): alone it shows the student "like this:" and stops.
    """
    end = span.end
    before = text[: span.start].rstrip(" \t")
    if not before or before.endswith("\n"):  # the sentence opens its paragraph
        following = next((s for s in split_sentences(text[end:]) if s.text), None)
        if (
            following is not None
            and not following.code
            and "\n" not in text[end : end + following.start]
            and end + following.end - span.start <= LEAD_IN_CHARS
        ):
            end += following.end
    if text[:end].rstrip("*_ ").endswith((":", "：")):
        start = len(text[:end]) + len(text[end:]) - len(text[end:].lstrip())
        if text.startswith("```", start):
            close = text.find("```", start + 3)
            block_end = close + 3 if close >= 0 else len(text)
        else:
            blank = _BLANK_LINE.search(text, start)
            block_end = blank.start() if blank else len(text)
        if block_end - span.start > LEAD_IN_CHARS:  # too long: its first lines
            block_end = text.rfind("\n", start, span.start + LEAD_IN_CHARS)
        if block_end > start:
            end = block_end
    return Span(span.start, end, text[span.start : end]) if end > span.end else span


_BLANK_LINE = re.compile(r"\n[ \t]*\n")
