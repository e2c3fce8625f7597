"""Stream guards: what the model writes passes through one before anybody sees it.

Hint mode never hands over code: fenced blocks in a streamed answer are replaced by a note.

The prompt already asks the model not to write solutions; this is the part that does not depend
on a small model obeying. It works on a stream: text is released as it arrives, except a code
block (held until it closes, then replaced) and trailing backticks that may open one.
assist.policy decides which guard a request gets (`Decision.new_guard`); PassThrough is the
guard of a request the policy does not restrict, so callers never branch on "no guard".
"""

from __future__ import annotations

from typing import Protocol

FENCE = "```"
WITHHELD = "\n\n*(Code withheld: in hint mode the tutor gives hints, not solutions.)*\n\n"


def visible_text(raw: str, *, final: bool) -> str:
    """What may be shown of `raw` so far. Append-only as `raw` grows, so it can be streamed."""
    parts = raw.split(FENCE)
    shown: list[str] = []
    for index, part in enumerate(parts):
        inside_code = index % 2 == 1
        is_last = index == len(parts) - 1
        if not inside_code:
            if is_last and not final:
                part = part.rstrip("`")  # may be the start of a fence
            shown.append(part)
        elif not is_last or final:
            shown.append(WITHHELD)  # a closed block, or one the answer never closed
    return "".join(shown)


class StreamGuard(Protocol):
    def feed(self, piece: str) -> str:
        """What may be shown now that `piece` arrived (possibly "")."""
        ...

    def finish(self) -> str:
        """What is left to show once the stream ended."""
        ...


class PassThrough:
    """Shows everything as it arrives."""

    def feed(self, piece: str) -> str:
        return piece

    def finish(self) -> str:
        return ""


class HintGuard:
    def __init__(self) -> None:
        self.raw = ""
        self.sent = 0

    def feed(self, piece: str) -> str:
        self.raw += piece
        return self._release(final=False)

    def finish(self) -> str:
        return self._release(final=True)

    def _release(self, *, final: bool) -> str:
        text = visible_text(self.raw, final=final)
        delta = text[self.sent :]
        self.sent = len(text)
        return delta
