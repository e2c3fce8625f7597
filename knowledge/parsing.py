"""Turn an uploaded file into sections of text with their heading and page.

Runs inside `parse_worker` (a child process with memory and CPU limits), so a PDF or HTML bomb
can only kill that child. Every failure is a ParseError whose message is shown to the teacher.
Text the reader cannot see is left out and counted (knowledge/hidden.py).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from knowledge import hidden

MAX_TEXT_CHARS = 5_000_000  # ~1,000 pages of prose; more is almost certainly not a course text


def gettext_noop(message: str) -> str:
    """Marks a message for the catalogue without translating it: parsing runs in a child
    process without Django settings (knowledge/limits.py). The message is stored in English on
    the material and translated where it is shown (`{% translate m.error %}`, `error_text`)."""
    return message


class ParseError(Exception):
    pass


@dataclass
class Section:
    text: str
    heading: str = ""
    page: int | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class Document:
    sections: list[Section]
    hidden_chars: int = 0  # characters of hidden text left out of the sections
    notes: list[str] = field(default_factory=list)


def parse(data: bytes, kind: str) -> list[Section]:
    return parse_document(data, kind).sections


def parse_document(data: bytes, kind: str) -> Document:
    if not data.strip():
        raise ParseError(gettext_noop("The file is empty."))
    parsers: dict[str, Callable[[bytes, list[int]], list[Section]]] = {
        "pdf": _parse_pdf,
        "html": _parse_html,
        "markdown": _parse_markdown,
        "text": _parse_text,
    }
    parser = parsers.get(kind)
    if parser is None:
        raise ParseError(f"Unsupported kind {kind!r}.")
    hidden_chars = [0]  # the parsers add what they leave out
    sections = parser(data, hidden_chars)
    for section in sections:
        section.text, removed = hidden.strip_invisible(section.text)
        section.heading, removed_in_heading = hidden.strip_invisible(section.heading)
        hidden_chars[0] += removed + removed_in_heading
    sections = [s for s in sections if s.text.strip()]
    total = sum(len(s.text) for s in sections)
    if total == 0:
        raise ParseError(gettext_noop("No readable text was found in the file."))
    if total > MAX_TEXT_CHARS:
        raise ParseError(
            f"The file holds {total:,} characters of text; the limit is "
            f"{MAX_TEXT_CHARS:,}. Split it into smaller files."
        )
    return Document(sections=sections, hidden_chars=hidden_chars[0])


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096] and data[:2] not in (b"\xff\xfe", b"\xfe\xff"):
        raise ParseError(gettext_noop("This looks like a binary file, not text."))
    for encoding in (
        ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",)
    ):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _parse_pdf(data: bytes, hidden_chars: list[int]) -> list[Section]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.startswith(b"%PDF"):
        raise ParseError(gettext_noop("This is not a PDF file (it does not start with %PDF)."))
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise ParseError(
                gettext_noop("The PDF is encrypted. Upload a copy without a password.")
            )
        sections = []
        for number, page in enumerate(reader.pages, start=1):
            state = hidden.PdfTextState()
            text = (
                page.extract_text(visitor_operand_before=state.operator, visitor_text=state.text)
                or ""
            )
            if state.hidden:  # white or invisible text: keep only what a reader sees
                text = "".join(state.visible)
                hidden_chars[0] += state.hidden
            sections.append(Section(text=_tidy(text), page=number))
        return sections
    except ParseError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AssertionError) as exc:
        raise ParseError(f"The PDF is damaged and cannot be read ({exc}).") from exc


_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "template",
    "svg",
    "iframe",
    "button",
)


def _parse_html(data: bytes, hidden_chars: list[int]) -> list[Section]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "lxml")
    hidden_chars[0] += hidden.remove_hidden_html(soup)  # before <style> goes: it names classes
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    body = soup.body or soup
    sections: list[Section] = []
    heading = ""
    buffer: list[str] = []
    for element in body.find_all(
        ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "blockquote", "td", "dd", "dt"]
    ):
        if element.find_parent(["p", "li", "pre", "blockquote", "td", "dd"]) is not None:
            continue  # its text is already part of the enclosing block
        text = element.get_text(" ", strip=True)
        if element.name.startswith("h"):
            if buffer:
                sections.append(Section(text="\n\n".join(buffer), heading=heading))
                buffer = []
            heading = text[:300]
        elif text:
            buffer.append(text)
    if buffer:
        sections.append(Section(text="\n\n".join(buffer), heading=heading))
    if not sections:  # no block elements: take whatever text there is
        text = body.get_text(" ", strip=True)
        sections = [Section(text=text)] if text else []
    if not sections:
        raise ParseError(
            gettext_noop("The HTML page has no readable text (only scripts, styles or navigation).")
        )
    return sections


_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")


def _parse_markdown(data: bytes, hidden_chars: list[int] | None = None) -> list[Section]:
    sections: list[Section] = []
    heading, fence = "", ""  # the open code fence ("```", "~~~~", ...), if any
    buffer: list[str] = []
    for line in _decode(data).splitlines():
        # CommonMark fences: only a run of the opening character, at least as long, with nothing
        # after it closes a block. A "~~~^~~~" underline in a ``` traceback closes nothing, and
        # toggling on it once hid every later heading of a lesson inside "code".
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = "" if not opened.group(2).strip() else fence
        elif opened and not (opened.group(1)[0] == "`" and "`" in opened.group(2)):
            fence = opened.group(1)
        match = None if fence or opened else _HEADING.match(line)
        if match:
            if "".join(buffer).strip():
                sections.append(Section(text="\n".join(buffer).strip(), heading=heading))
            heading, buffer = match.group(2)[:300], []
        else:
            buffer.append(line)
    if "".join(buffer).strip():
        sections.append(Section(text="\n".join(buffer).strip(), heading=heading))
    return sections


def _parse_text(data: bytes, hidden_chars: list[int] | None = None) -> list[Section]:
    return [Section(text=_tidy(_decode(data)))]


def _tidy(text: str) -> str:
    text = text.replace("\x00", "")
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
