"""HTML for tutor messages: one template for the page and for the socket's HTMX fragments."""

from __future__ import annotations

import re
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from assist.budget import BudgetState
from courses.markdown import render_markdown
from knowledge.support import RELIABLE_SHARE
from tutor.checking import UNRELIABLE
from tutor.models import Message

# "[2]" in text (never inside a tag): the model's citation markers, turned into links.
_MARKER = re.compile(r"\[(\d{1,2})\](?![^<]*>)")


def reply_html(
    text: str, citations: list[dict[str, Any]], *, streaming: bool = False
) -> SafeString:
    return _cite_links(str(render_markdown(text, cached=not streaming)), citations)


def _cite_links(html: str, citations: list[dict[str, Any]]) -> SafeString:
    urls = {int(c["n"]): str(c["url"]) for c in citations}

    def link(match: re.Match[str]) -> str:
        url = urls.get(int(match.group(1)))
        if url is None:
            return match.group(0)
        return f'<a class="cite" href="{escape(url)}">[{match.group(1)}]</a>'

    return mark_safe(_MARKER.sub(link, html))  # only links with escaped URLs were added


def _unsupported_note() -> str:
    # A function, not a constant: rendered in the language active for this page or socket.
    note = escape(_("(not supported by the course material)"))
    return f'<span class="visually-hidden"> {note}</span>'


def marked_html(text: str, checks: list[dict[str, Any]], citations: list[dict[str, Any]]) -> str:
    """The reply with each sentence the material does not support visibly marked.

    Sentences are rendered one by one (in the order they were checked) and put back into their
    paragraphs; a block (a list item, code) that is unsupported is marked as a whole.
    """
    out: list[str] = []
    paragraph: list[str] = []
    cursor = 0

    def flush() -> None:
        if paragraph:
            out.append("<p>" + " ".join(paragraph) + "</p>")
            paragraph.clear()

    for check in checks:
        sentence = str(check["text"])
        found = text.find(sentence, cursor)
        if found < 0:  # withheld in strict mode: never shown
            continue
        if "\n\n" in text[cursor:found]:
            flush()
        cursor = found + len(sentence)
        html = str(render_markdown(sentence, cached=False)).strip()
        unsupported = check.get("claim") and not check.get("supported")
        inline = html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1
        if inline:
            inner = html[3:-4]
            if unsupported:
                inner = f'<span class="claim-unsupported">{inner}{_unsupported_note()}</span>'
            paragraph.append(inner)
        else:
            flush()
            if unsupported:
                html = f'<div class="claim-unsupported">{html}{_unsupported_note()}</div>'
            out.append(html)
    flush()
    return "".join(out)


def is_reliable(message: Message) -> bool:
    """False when most of what the tutor claimed is not supported by the retrieved passages."""
    return message.support is None or message.support >= RELIABLE_SHARE


def tutor_body(message: Message) -> SafeString:
    """A finished tutor reply: marked where unsupported, or the plain statement it is unreliable."""
    if message.status == Message.Status.STREAMING or not message.checks:
        return reply_html(message.content, message.citations)
    body = marked_html(message.content, message.checks, message.citations)
    if is_reliable(message):
        return _cite_links(body, message.citations)
    attempt = (
        "<details><summary>"
        + escape(_("The tutor's attempt anyway (not supported by the material)"))
        + f"</summary>{body}</details>"
        if message.content.strip()
        else ""
    )
    return _cite_links(
        f'<p class="tutor-unreliable" role="note">{escape(UNRELIABLE)}</p>{attempt}',
        message.citations,
    )


def message_context(message: Message) -> dict[str, Any]:
    body = (
        tutor_body(message) if message.is_tutor else render_markdown(message.content, cached=False)
    )
    withheld = sum(1 for check in message.checks if check.get("withheld"))
    marked = is_reliable(message) and any(
        check.get("claim") and not check.get("supported") and not check.get("withheld")
        for check in message.checks
    )
    return {"m": message, "body": body, "withheld": withheld, "marked": marked}


def message_fragment(message: Message, *, oob: str = "", owner: bool = True) -> str:
    return render_to_string(
        "tutor/_message.html", {**message_context(message), "oob": oob, "owner": owner}
    )


def streaming_fragment(message_id: int, text: str, citations: list[dict[str, Any]]) -> str:
    return render_to_string(
        "tutor/_reply_body.html",
        {"id": message_id, "body": reply_html(text, citations, streaming=True), "oob": True},
    )


def quota_fragment(state: BudgetState) -> str:
    return render_to_string("tutor/_quota.html", {"quota": state, "oob": True})


def status_fragment(*, busy: bool, error: str = "") -> str:
    return render_to_string("tutor/_status.html", {"busy": busy, "error": error, "oob": True})


def started_fragments(turn_conversation_id: int, question: Message, reply: Message) -> str:
    return render_to_string(
        "tutor/_started.html",
        {
            "conversation_id": turn_conversation_id,
            "question": message_context(question),
            "reply": message_context(reply),
        },
    )
