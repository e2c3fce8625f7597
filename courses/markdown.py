"""Markdown for lessons and course descriptions: rendered, then sanitised.

Raw HTML in Markdown is escaped by the parser, and the output goes through an allow-list
sanitiser (nh3/ammonia) as well, so a lesson can never run script in a student's browser even if
one layer is misconfigured.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import nh3
from django.core.cache import cache
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_SCHEMES = {"http", "https", "mailto"}
_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},
    "th": {"style"},
    "td": {"style"},
    **{f"h{level}": {"id"} for level in range(1, 7)},
}


@functools.cache
def _parser(*, accept_every_link: bool = False) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    if accept_every_link:
        # Let every link reach the token stream so the validator can name the bad ones;
        # the rendering parser keeps markdown-it's own refusal of javascript: and friends.
        md.validateLink = lambda url: True  # type: ignore[method-assign]  # markdown-it's documented hook
    return md


def _anchor_headings(tokens: list[Token]) -> None:
    seen: dict[str, int] = {}
    for index, token in enumerate(tokens):
        if token.type != "heading_open":
            continue
        anchor = slugify(tokens[index + 1].content) or "section"
        seen[anchor] = seen.get(anchor, 0) + 1
        if seen[anchor] > 1:
            anchor = f"{anchor}-{seen[anchor]}"
        token.attrSet("id", anchor)


# --- Directives: fenced blocks a higher app turns into a widget -----------------------------
#
# ```lab next-token
# prompt: The capital of France is
# ```
#
# The fence's first word names a directive some app registered (the lab registers "lab" in its
# AppConfig.ready(), so courses never imports it); the rest of the info line and the block's
# text are its argument and body. The widget's HTML is the app's own template output, put in
# after sanitising (a placeholder stands in for it), so it may carry forms and data attributes
# that nh3 would strip from lesson text. A fence whose name nobody registered stays a code block.


@dataclass(frozen=True)
class DirectiveBlock:
    name: str
    argument: str
    body: str
    index: int  # 0-based among the blocks of the same directive in the text


# Called as render(block): trusted HTML (escape everything taken from the block).
DirectiveRenderer = Callable[[DirectiveBlock], str]

_directives: dict[str, DirectiveRenderer] = {}
_directive_help: dict[str, str] = {}


def directive_register(*, name: str, render: DirectiveRenderer, help_text: str = "") -> None:
    """Add (or replace) the renderer of fenced blocks named `name`; idempotent for ready().

    `help_text` tells a teacher writing a lesson how to use it (the lesson form shows it)."""
    _directives[name] = render
    _directive_help[name] = help_text


def directive_unregister(*, name: str) -> DirectiveRenderer | None:
    _directive_help.pop(name, None)
    return _directives.pop(name, None)


def directive_help() -> list[str]:
    return [text for _, text in sorted(_directive_help.items()) if text]


def _fence_directive(token: Token, counts: dict[str, int]) -> DirectiveBlock | None:
    if token.type != "fence":
        return None
    name, _, argument = token.info.strip().partition(" ")
    if name not in _directives:
        return None
    index = counts.get(name, 0)
    counts[name] = index + 1
    return DirectiveBlock(name=name, argument=argument.strip(), body=token.content, index=index)


def render_markdown(text: str, *, cached: bool = True) -> SafeString:
    """Sanitised HTML for Markdown text, cached by content (a long lesson takes a few ms).

    `cached=False` for text that is rendered once while it grows (a streamed tutor reply).
    """
    if not cached:
        return mark_safe(_render(text))  # sanitised by nh3 in _render
    key = (
        f"markdown:v2:{','.join(sorted(_directives))}:"
        + hashlib.sha256((text or "").encode()).hexdigest()
    )
    html = cache.get(key)
    if html is None:
        html = _render(text)
        cache.set(key, html, timeout=24 * 3600)
    return mark_safe(html)  # sanitised by nh3 in _render


def _render(text: str) -> str:
    md = _parser()
    tokens = md.parse(text or "")
    _anchor_headings(tokens)
    # A fresh nonce per render: lesson text cannot spell a placeholder it does not know.
    nonce = secrets.token_hex(8)
    widgets: dict[str, str] = {}
    counts: dict[str, int] = {}
    for token in tokens:
        block = _fence_directive(token, counts)
        if block is None:
            continue
        marker = f"llmasos-directive-{nonce}-{len(widgets)}"
        widgets[f"<p>{marker}</p>"] = _directives[block.name](block)
        # Rendered as-is by markdown-it (html_block), then kept by nh3 (a plain paragraph).
        token.type, token.nesting = "html_block", 0
        token.content = f"<p>{marker}</p>\n"
    html = md.renderer.render(tokens, md.options, {})
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    for placeholder, widget in widgets.items():
        clean = clean.replace(placeholder, widget, 1)
    return clean


@dataclass(frozen=True)
class LinkProblem:
    line: int
    url: str
    reason: str

    def __str__(self) -> str:
        return gettext("Line %(line)d: link “%(url)s” %(reason)s.") % {
            "line": self.line,
            "url": self.url,
            "reason": self.reason,
        }


def _check_url(url: str) -> str | None:
    url = url.strip()
    if not url:
        return gettext("is empty")
    if re.search(r"\s", url):
        return gettext("contains spaces")
    parts = urlsplit(url)
    if parts.scheme:
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            return gettext(
                "uses the “%(scheme)s:” scheme; only http, https and mailto are allowed"
            ) % {"scheme": parts.scheme}
        if parts.scheme.lower() in {"http", "https"} and not parts.netloc:
            return gettext("has no host name")
    return None


def markdown_link_problems(text: str) -> list[LinkProblem]:
    """Links and images whose target is unsafe or malformed, with the line they are on."""
    problems: list[LinkProblem] = []
    for block in _parser(accept_every_link=True).parse(text or ""):
        line = (block.map[0] + 1) if block.map else 1
        for child in block.children or []:
            url = None
            if child.type == "link_open":
                url = str(child.attrGet("href") or "")
            elif child.type == "image":
                url = str(child.attrGet("src") or "")
            if url is None:
                continue
            reason = _check_url(url)
            if reason:
                problems.append(LinkProblem(line=line, url=url, reason=reason))
    return problems


def markdown_errors(text: str) -> list[str]:
    """Everything wrong with a lesson's or description's Markdown, as messages for a form or API."""
    from django.conf import settings

    if len(text) > settings.LESSON_MAX_CHARS:
        return [
            gettext("This text is %(length)s characters long; the limit is %(limit)s.")
            % {
                "length": number_format(len(text), force_grouping=True),
                "limit": number_format(settings.LESSON_MAX_CHARS, force_grouping=True),
            }
        ]
    return [str(problem) for problem in markdown_link_problems(text)]
