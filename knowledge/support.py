"""Is a sentence supported by the passages it was written from? One checker for every caller.

The tutor checks each sentence the model writes, the ask API each sentence of its answer, and
drafted practice questions their source passage; free-text grading can reuse it. A sentence is
supported when both hold:

- it says something close to a sentence of the passages (cosine of the packaged embedder's
  vectors, best passage sentence), and
- every term that matters in it appears in the passages: identifiers and code (`bisect`,
  `collections.deque`, `set()`, snake_case names), numbers, names, and "the X module/function".
  A small model swaps exactly these (the passage says `deque`, the answer says `bisect`) while
  the rest of the sentence stays fluent and semantically close, so similarity alone would pass it.

Questions and the guards' own notes are not claims and are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.languages import CJK, family
from inference.embeddings import embed_texts
from knowledge.sentences import passage_sentences, split_sentences

# Calibrated on the demo courses: sentences of the passage or close paraphrases score 0.55-1.0,
# generic filler ("Great question!") and sentences about another topic 0.05-0.40.
MIN_SIMILARITY = 0.5
# Chinese courses (multilingual-e5-small, whose cosines crowd into 0.75-1.0): see
# MIN_SIMILARITY_BY_FAMILY's calibration in README "Chinese courses".
MIN_SIMILARITY_BY_FAMILY = {"en": MIN_SIMILARITY, "zh": 0.88}
# Below this share of supported claims an answer is not shown as an explanation at all.
RELIABLE_SHARE = 0.5

_CITATION = re.compile(r"\[\d{1,2}\]")
_BACKTICKS = re.compile(r"`([^`\n]+)`")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTTED = re.compile(r"\b[A-Za-z_]\w+(?:\.[A-Za-z_]\w*)+")
_CALL = re.compile(r"\b([A-Za-z_]\w*)\(")
_SNAKE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)?(?![\w])")
_NAMED = re.compile(
    r"\b(?:the\s+)?([A-Za-z_]\w+)\s+(?:module|function|method|library|package|class|keyword|"
    r"operator|statement|built-in)s?\b",
    re.IGNORECASE,
)
_CAPITALISED = re.compile(r"(?<=[^.!?\s]\s)([A-Z][a-zA-Z0-9]+)")
NOT_TERMS = frozenset(
    """the a an this that these those it its you your i we they he she python note for from
    use using with which when what why how yes no instead first then also each every both
    module function method library package class keyword operator statement""".split()  # noqa: SIM905 (a word list reads better as text)
)


@dataclass(frozen=True)
class SentenceSupport:
    text: str
    claim: bool  # False: a question or a note, which is not checked
    supported: bool
    score: float  # best cosine against a sentence of the passages
    missing: tuple[str, ...] = field(default=())  # terms that matter, absent from the passages

    def as_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "claim": self.claim,
            "supported": self.supported,
            "score": round(self.score, 3),
            "missing": list(self.missing),
        }


def key_terms(sentence: str) -> set[str]:
    """The terms of `sentence` a passage must contain for the sentence to agree with it."""
    text = _CITATION.sub(" ", sentence)
    found: set[str] = set()
    for code in _BACKTICKS.findall(text):
        found.update(_IDENTIFIER.findall(code))
    found.update(part for dotted in _DOTTED.findall(text) for part in dotted.split("."))
    found.update(_CALL.findall(text))
    found.update(_SNAKE.findall(text))
    found.update(_NUMBER.findall(text))
    found.update(_NAMED.findall(text))
    found.update(_CAPITALISED.findall(text))
    return {t for t in found if (len(t) > 1 and t.lower() not in NOT_TERMS) or t.isdigit()}


def _code_terms(block: str) -> set[str]:
    body = block.strip("`").split("\n", 1)[-1]  # drop the fence and its language tag
    return {t for t in _IDENTIFIER.findall(body) if len(t) > 2}


class SupportChecker:
    """Checks sentences against a fixed set of passages (embedded once, through the cache)."""

    def __init__(self, passages: Sequence[str], language: str = "en") -> None:
        self.language = language
        self.min_similarity = MIN_SIMILARITY_BY_FAMILY[family(language)]
        self.blob = "\n".join(passages).lower()
        # Chinese writes names against its characters ("用LoRA训练"): there a term ends at any
        # non-ASCII-word character, not only where Python's Unicode \w ends.
        self._edge = "[a-z0-9_]" if CJK.search(self.blob) else r"\w"
        vectors = [v for _, v in passage_sentences(list(passages), language) if len(v)]
        self.vectors = np.vstack(vectors) if vectors else np.zeros((0, 1), dtype=np.float32)
        self._present: dict[str, bool] = {}

    def _has(self, term: str) -> bool:
        term = term.lower()
        if term not in self._present:
            edge = self._edge
            pattern = rf"(?<!{edge})" + re.escape(term) + rf"(?:e?s)?(?!{edge})"
            self._present[term] = re.search(pattern, self.blob) is not None
        return self._present[term]

    def check_many(self, sentences: Sequence[str]) -> list[SentenceSupport]:
        claims = [(i, s) for i, s in enumerate(sentences) if is_claim(s)]
        similarities: dict[int, float] = {}
        prose = [(i, s) for i, s in claims if not s.lstrip().startswith("```")]
        if prose and len(self.vectors):
            vectors = embed_texts([_CITATION.sub("", s) for _, s in prose], language=self.language)
            best = (vectors @ self.vectors.T).max(axis=1)
            similarities = {i: float(b) for (i, _), b in zip(prose, best, strict=True)}
        results = []
        for index, sentence in enumerate(sentences):
            if not is_claim(sentence):
                results.append(SentenceSupport(sentence, False, True, 0.0))
                continue
            if sentence.lstrip().startswith("```"):
                wanted = _code_terms(sentence)
                missing = tuple(sorted(t for t in wanted if not self._has(t)))
                # Code is supported when its names come from the material (a few new local
                # names are fine): the passages' own examples, not an invented API.
                share = 1 - len(missing) / len(wanted) if wanted else 1.0
                results.append(SentenceSupport(sentence, True, share >= 0.75, share, missing))
                continue
            missing = tuple(sorted(t for t in key_terms(sentence) if not self._has(t)))
            score = similarities.get(index, 0.0)
            supported = not missing and score >= self.min_similarity
            results.append(SentenceSupport(sentence, True, supported, score, missing))
        return results


def is_claim(sentence: str) -> bool:
    """Questions back to the student and notes in parentheses or italics state nothing."""
    text = sentence.strip().strip("*_").strip()
    if not text:
        return False
    return not (
        text.endswith(("?", "？"))
        or (text.startswith("(") and text.endswith(")"))
        or (text.startswith("（") and text.endswith("）"))
    )


def support_share(checks: Sequence[SentenceSupport]) -> float | None:
    """The share of claims that are supported; None when the text makes no claim."""
    claims = [c for c in checks if c.claim]
    if not claims:
        return None
    return sum(c.supported for c in claims) / len(claims)


def claim_check(*, text: str, passages: Sequence[str], language: str = "en") -> SentenceSupport:
    """`text` checked as one claim, even if it is phrased as a question (a drafted question
    together with its answer states what the passage must say)."""
    claim = text.strip().rstrip("?？").strip() + "."
    return SupportChecker(passages, language).check_many([claim])[0]


def answer_check(
    *, text: str, passages: Sequence[str], language: str = "en"
) -> list[SentenceSupport]:
    """Every sentence (and code block) of a complete answer, checked (`language`: the
    course's, whose embedder and threshold apply)."""
    checker = SupportChecker(passages, language)
    return checker.check_many([span.text for span in split_sentences(text)])
