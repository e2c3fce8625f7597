"""Text a reader of the material cannot see, found and left out at ingestion.

Uploaded HTML and PDF can carry text that the page never shows (display:none, white on white,
zero-width characters) but that a text extractor reads: instructions aimed at the model ("ignore
the rubric…"), invisible to the teacher who checked the file. Such text never becomes a passage;
the material's report says how many characters were left out.

Runs in the parse worker (knowledge/parse_worker.py): no Django here.
"""

from __future__ import annotations

import re
from typing import Any

# Zero-width and invisible formatting characters, and the Unicode "tag" block that can spell
# out a whole hidden ASCII message.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\u180e\ufeff\u00ad\U000e0000-\U000e007f]")
_WHITE = {"#fff", "#ffffff", "white", "rgb(255,255,255)", "rgba(255,255,255,1)", "#fffffffe"}
_DARK_BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*(?!\s*(?:#fff|white|transparent))")


def strip_invisible(text: str) -> tuple[str, int]:
    """`text` without zero-width characters, and how many there were."""
    cleaned, count = _INVISIBLE.subn("", text)
    return cleaned, count


def _declarations(style: str) -> dict[str, str]:
    result = {}
    for part in style.split(";"):
        name, _, value = part.partition(":")
        if value:
            result[name.strip().lower()] = re.sub(r"\s+", "", value.lower()).removesuffix(
                "!important"
            )
    return result


def style_hides(style: str) -> bool:
    """Whether an inline style (or a CSS rule's body) makes its text invisible."""
    found = _declarations(style)
    if found.get("display") == "none" or found.get("visibility") in ("hidden", "collapse"):
        return True
    if found.get("opacity") in ("0", "0.0", "0%"):
        return True
    if re.fullmatch(r"0(\.0+)?(px|pt|em|rem|%)?", found.get("font-size", "x")):
        return True
    color = found.get("color", "")
    if color in ("transparent", "rgba(0,0,0,0)"):
        return True
    # White text counts as hidden unless the same element sets a background that is not white.
    return color in _WHITE and not _DARK_BACKGROUND.search(style.lower())


def _hiding_selectors(soup: Any) -> list[str]:
    """Simple selectors (.class, #id, tag) of <style> rules that hide their elements."""
    selectors: list[str] = []
    for sheet in soup.find_all("style"):
        for selector_list, body in re.findall(r"([^{}]+)\{([^{}]*)\}", sheet.get_text()):
            if style_hides(body):
                selectors.extend(
                    s.strip()
                    for s in selector_list.split(",")
                    if re.fullmatch(r"[.#]?[A-Za-z][\w-]*", s.strip())
                )
    return selectors


def remove_hidden_html(soup: Any) -> int:
    """Take every element the page does not show out of `soup`; the characters removed."""
    hidden = list(soup.find_all(attrs={"hidden": True}))
    hidden += soup.find_all(style=lambda style: bool(style) and style_hides(style))
    for selector in _hiding_selectors(soup):
        hidden += soup.select(selector)
    removed = 0
    for element in hidden:
        if element.decomposed:
            continue  # inside another hidden element, already gone
        removed += len(element.get_text(" ", strip=True))
        element.decompose()
    return removed


# --- PDF ----------------------------------------------------------------------------------------


class PdfTextState:
    """Follows a page's graphics state while pypdf extracts its text: the fill colour and the
    text render mode, so that white text and invisible text (render mode 3) can be told apart
    from what a reader sees. White text drawn over a box filled with a darker colour (a banner,
    a dark code block) is what a reader sees too: the boxes filled so far are remembered, and
    white text whose start lies inside one of them counts as visible."""

    _FILLS = (b"f", b"F", b"f*", b"B", b"B*", b"b", b"b*")

    def __init__(self) -> None:
        self.white = False
        self.invisible = False
        self.stack: list[tuple[bool, bool]] = []
        self.visible: list[str] = []
        self.hidden = 0
        self.path: list[tuple[float, float, float, float]] = []  # rectangles of the current path
        self.dark_boxes: list[tuple[float, float, float, float]] = []

    def operator(self, op: bytes, args: list[Any], cm: Any = None, *_: Any) -> None:
        if op == b"q":
            self.stack.append((self.white, self.invisible))
        elif op == b"Q" and self.stack:
            self.white, self.invisible = self.stack.pop()
        elif op == b"rg" and len(args) == 3:
            self.white = all(float(a) >= 0.95 for a in args)
        elif op == b"g" and len(args) == 1:
            self.white = float(args[0]) >= 0.95
        elif op == b"k" and len(args) == 4:
            self.white = all(float(a) <= 0.05 for a in args)
        elif op in (b"sc", b"scn") and args and all(isinstance(a, int | float) for a in args):
            values = [float(a) for a in args]
            self.white = all(v >= 0.95 for v in values) if len(values) != 4 else False
        elif op == b"Tr" and args:
            self.invisible = int(args[0]) == 3
        elif op == b"re" and len(args) == 4:
            x, y, width, height = (float(a) for a in args)
            corners = [_apply(cm, x, y), _apply(cm, x + width, y + height)]
            (left, bottom), (right, top) = (
                (min(c[0] for c in corners), min(c[1] for c in corners)),
                (max(c[0] for c in corners), max(c[1] for c in corners)),
            )
            self.path.append((left, bottom, right, top))
        elif op in self._FILLS:
            if not self.white:
                self.dark_boxes.extend(self.path)
            self.path = []
        elif op in (b"n", b"S", b"s"):
            self.path = []

    def text(self, text: str, cm: Any = None, tm: Any = None, *_: Any) -> None:
        hidden_here = self.invisible or (self.white and not self._on_dark_box(cm, tm))
        if hidden_here and text.strip():
            self.hidden += len(text.strip())
        else:
            self.visible.append(text)

    def _on_dark_box(self, cm: Any, tm: Any) -> bool:
        if not self.dark_boxes or tm is None:
            return False
        x, y = _apply(cm, float(tm[4]), float(tm[5]))
        return any(
            left <= x <= right and bottom <= y <= top
            for left, bottom, right, top in self.dark_boxes
        )


def _apply(matrix: Any, x: float, y: float) -> tuple[float, float]:
    """A point through a PDF transformation matrix [a b c d e f] (none: the identity)."""
    if matrix is None or len(matrix) != 6:
        return x, y
    a, b, c, d, e, f = (float(value) for value in matrix)
    return a * x + c * y + e, b * x + d * y + f
