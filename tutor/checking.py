"""Check the tutor's reply sentence by sentence while it streams (knowledge.support does the check).

A sentence is checked as soon as the next one starts (or the reply ends). Normally the text
streams as generated and each check follows its sentence, so the page can mark it; in strict
mode (a course setting) text is released only sentence by sentence, and an unsupported sentence
is never released at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from assist.guards import WITHHELD
from knowledge.sentences import split_sentences
from knowledge.support import RELIABLE_SHARE, SentenceSupport, SupportChecker, support_share

UNRELIABLE = _(
    "The tutor could not explain this reliably from the course material. "
    "Read the quoted passages above; they are the course's own words."
)
_GUARD_NOTE = WITHHELD.strip().strip("*").strip()


class SupportStream:
    """Feed it the (guarded) reply's pieces; it returns what to show and the sentences checked."""

    def __init__(self, passages: Sequence[str], *, strict: bool, language: str = "en") -> None:
        self.checker = SupportChecker(passages, language)
        self.strict = strict
        self.text = ""
        self.checked_to = 0  # text before this offset has been checked
        self.released_to = 0  # strict mode: text before this offset has been dealt with
        self.released_any = False
        self.shown: list[str] = []
        self.checks: list[SentenceSupport] = []

    def feed(self, piece: str) -> tuple[str, list[SentenceSupport]]:
        self.text += piece
        shown, checks = self._check(final=False)
        return (shown if self.strict else piece), checks

    def finish(self) -> tuple[str, list[SentenceSupport]]:
        shown, checks = self._check(final=True)
        return (shown if self.strict else ""), checks

    def _check(self, *, final: bool) -> tuple[str, list[SentenceSupport]]:
        spans = split_sentences(self.text[self.checked_to :])
        if not final:
            spans = spans[:-1]  # the last sentence may still be growing
        if not spans:
            return "", []
        base = self.checked_to
        sentences = [s.text for s in spans]
        checks = [
            SentenceSupport(c.text, False, True, 0.0) if _GUARD_NOTE in c.text else c
            for c in self.checker.check_many(sentences)
        ]
        shown = []
        for span, check in zip(spans, checks, strict=True):
            end = base + span.end
            if check.supported:
                # The sentence with the whitespace before it (paragraph breaks survive).
                separator = self.text[self.released_to : base + span.start]
                separator = separator if separator.strip() == "" else " "
                if not self.released_any:
                    separator = ""  # the reply starts with its first shown sentence
                shown.append(separator + span.text)
                self.released_any = True
            self.released_to = end
        self.checked_to = base + spans[-1].end
        self.checks.extend(checks)
        text = "".join(shown)
        self.shown.append(text)
        return text, checks

    @property
    def withheld(self) -> int:
        return sum(1 for c in self.checks if not c.supported) if self.strict else 0

    @property
    def share(self) -> float | None:
        return support_share(self.checks)

    @property
    def reliable(self) -> bool:
        share = self.share
        return share is None or share >= RELIABLE_SHARE
