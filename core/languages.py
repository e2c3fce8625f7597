"""Which language a text or a course is in, cheaply: by script, never with a model.

Course languages are the interface's language codes (settings.LANGUAGES: "en", "zh-hans").
Retrieval and prompts only need the family ("en", "zh"): it picks the tokenizer, the embedder,
the thresholds and the prompt wording.
"""

from __future__ import annotations

import re
from typing import Literal

Family = Literal["en", "zh"]

# CJK Unified Ideographs (+ extension A and compatibility ideographs): what Chinese text is made
# of. Kana and Hangul are not Chinese, and the platform has no Japanese or Korean course language.
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def family(language: str) -> Family:
    """The family of a course language: "zh-hans", "zh-Hans", "zh" → "zh"; others → "en"."""
    return "zh" if language.lower().startswith("zh") else "en"


def cjk_share(text: str) -> float:
    """The share of the words of `text` that are Chinese, estimated without segmenting: a
    Chinese word is ~1.5 characters, an English word is a run of Latin letters."""
    chinese = len(CJK.findall(text)) / 1.5
    english = len(_LATIN_WORD.findall(text))
    return chinese / (chinese + english) if chinese + english else 0.0


def is_chinese(text: str) -> bool:
    """Mostly Chinese: "什么是 Transformer？" is, "What does 模型 mean?" is not."""
    return cjk_share(text) >= 0.5


def text_family(text: str, *, default: Family = "en") -> Family:
    """The family a text is written in; `default` when it has no letters to tell by."""
    if not CJK.search(text) and not _LATIN_WORD.search(text):
        return default
    return "zh" if is_chinese(text) else "en"


def reply_family(*, course_language: str, question: str) -> Family:
    """The language the tutor answers in: the question's when it is clearly written in one,
    else the course's. A Chinese question in an English course is answered in Chinese."""
    course = family(course_language)
    if not question.strip():
        return course
    if CJK.search(question):
        return text_family(question, default=course)
    # Latin letters only: a few words are enough to call it English; "GPT-3?" alone is not.
    return "en" if len(_LATIN_WORD.findall(question)) >= 3 else course


def language_code(value: Family) -> str:
    """The interface language code of a family (for translation.override)."""
    return "zh-hans" if value == "zh" else "en"
