"""HTML for tutor messages: one template for the page and for the socket's HTMX fragments."""

from __future__ import annotations

import re
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from assist.budget import BudgetState
from courses.markdown import render_markdown
from tutor.models import Message

# "[2]" in text (never inside a tag): the model's citation markers, turned into links.
_MARKER = re.compile(r"\[(\d{1,2})\](?![^<]*>)")


def reply_html(
    text: str, citations: list[dict[str, Any]], *, streaming: bool = False
) -> SafeString:
    html = str(render_markdown(text, cached=not streaming))
    urls = {int(c["n"]): str(c["url"]) for c in citations}

    def link(match: re.Match[str]) -> str:
        url = urls.get(int(match.group(1)))
        if url is None:
            return match.group(0)
        return f'<a class="cite" href="{escape(url)}">[{match.group(1)}]</a>'

    return mark_safe(_MARKER.sub(link, html))  # only links with escaped URLs were added


def message_context(message: Message) -> dict[str, Any]:
    body = (
        reply_html(message.content, message.citations)
        if message.is_tutor
        else render_markdown(message.content, cached=False)
    )
    return {"m": message, "body": body}


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
