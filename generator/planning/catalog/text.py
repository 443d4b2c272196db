"""Catalog text tidied for display: whitespace runs, line breaks and HTML bodies.

Spreadsheets leave stray spaces, tabs and line breaks in cells, and Shopify writes descriptions as
HTML. A one-line field (title, brand, ...) becomes its words joined by single spaces; a block
(description) keeps its line breaks and at most one blank line between paragraphs. The text as
read stays available to templates as ``product.raw``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")
_BLANK_RUNS = re.compile(r"\n{3,}")
_WHITESPACE = re.compile(r"\s+")
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "div",
        "dl",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "ul",
    ]
)
_LINE_TAGS = frozenset({"br", "li", "dt", "dd", "tr"})
_SKIPPED_TAGS = frozenset({"script", "style", "template", "head", "title"})


def one_line(text: str) -> str:
    """``text`` with every whitespace run, line breaks included, turned into one space, and trimmed."""
    return " ".join(text.split())


def block(text: str) -> str:
    """``text`` with each line tidied like :func:`one_line`, lines kept, and blank lines run together."""
    lines = [one_line(line) for line in _LINE_BREAKS.split(text)]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, paragraphs on their own lines.

    Block elements (``p``, ``div``, lists, headings, ...) start a new paragraph; ``br`` and list
    items start a new line. Scripts and styles are dropped. Whitespace is tidied as HTML displays it.
    """
    parser = _TextParser()
    parser.feed(html)
    parser.close()
    return block(parser.text())


class _TextParser(HTMLParser):
    """Collects text, with whitespace runs as single spaces, and breaks where blocks start and end."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping += 1
        self._break(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag not in _LINE_TAGS:
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(_WHITESPACE.sub(" ", data))

    def _break(self, tag: str) -> None:
        if tag in _LINE_TAGS:
            self.parts.append("\n")
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n\n")

    def text(self) -> str:
        return "".join(self.parts)
