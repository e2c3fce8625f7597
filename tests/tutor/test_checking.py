"""The streamed support check (tutor.checking) and the marks on a finished reply (rendering)."""

from __future__ import annotations

from tutor.checking import SupportStream
from tutor.rendering import marked_html

PASSAGE = (
    "To implement a queue, use collections.deque which was designed to have fast appends and "
    "pops from both ends. Lists are not efficient for this purpose."
)


def _feed_words(stream: SupportStream, text: str) -> str:
    shown = []
    for index, word in enumerate(text.split(" ")):
        piece, _ = stream.feed(word if index == 0 else f" {word}")
        shown.append(piece)
    tail, _ = stream.finish()
    return "".join(shown) + tail


def test_without_strict_mode_text_streams_as_it_comes_and_every_sentence_is_checked():
    stream = SupportStream([PASSAGE], strict=False)
    text = "Use `collections.deque` for a queue. Use the `bisect` module instead. Clear?"
    assert _feed_words(stream, text) == text
    assert [(c.claim, c.supported) for c in stream.checks] == [
        (True, True),
        (True, False),
        (False, True),
    ]
    assert stream.share == 0.5 and stream.reliable and stream.withheld == 0


def test_strict_mode_releases_checked_sentences_only_and_keeps_paragraphs():
    stream = SupportStream([PASSAGE], strict=True)
    text = "Use the `bisect` module. Lists are not efficient for a queue.\n\nUse collections.deque."
    shown = _feed_words(stream, text)
    assert "bisect" not in shown
    assert shown == "Lists are not efficient for a queue.\n\nUse collections.deque."
    assert stream.withheld == 1


def test_a_code_block_is_checked_whole_once_it_closes():
    stream = SupportStream(
        [PASSAGE + "\n\n```python\nfrom collections import deque\n```"], strict=False
    )
    _feed_words(stream, "Like this:\n\n```python\nfrom collections import deque\n```\n\nDone.")
    code = [c for c in stream.checks if c.text.startswith("```")]
    assert len(code) == 1 and code[0].supported


def test_marks_wrap_only_unsupported_sentences_and_keep_paragraphs():
    checks = [
        {"text": "Use deque [1].", "claim": True, "supported": True},
        {"text": "Use bisect.", "claim": True, "supported": False},
        {"text": "Second paragraph.", "claim": True, "supported": True},
    ]
    html = marked_html("Use deque [1]. Use bisect.\n\nSecond paragraph.", checks, [])
    assert html.startswith('<p>Use deque [1]. <span class="claim-unsupported">Use bisect.')
    assert html.endswith("<p>Second paragraph.</p>") and html.count("<p>") == 2
