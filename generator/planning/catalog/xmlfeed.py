"""Google Merchant Center XML feeds: RSS 2.0 (``<item>``) and Atom (``<entry>``) with the ``g:`` namespace.

Parsed as a stream by ``defusedxml``'s SAX reader, so nothing in the file can make the parser do
more than read it: a feed that declares an entity (the "billion laughs" expansion, or an external
entity that would read a local file or a URL) or refers to an external DTD is refused at that
declaration, before anything is expanded or opened.

Each item is one record. Its ``g:`` elements give columns by their local name (``g:price`` ->
``price``); the plain ``title``, ``link`` and ``description`` of RSS, and Atom's ``title``,
``link href``, ``summary`` and ``content``, fill the same columns when no ``g:`` element does.
Repeated elements are joined: ``additional_image_link`` with commas, ``product_highlight`` and
``product_detail`` with line breaks, others with ", ". A ``g:product_detail`` is written
``section:attribute:value`` from its ``g:section_name``, ``g:attribute_name`` and ``g:attribute_value``;
other elements nested deeper (``g:shipping``) and other namespaces are ignored. An item's row is its number in the feed (the first item is row 1); errors also
give the line it starts on.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler, feature_namespaces

from defusedxml import EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.sax import make_parser

from generator.core.errors import CatalogError
from generator.planning.catalog.model import CatalogSource
from generator.planning.catalog.table import Record, Table

GOOGLE_NS = "http://base.google.com/ns/1.0"
ATOM_NS = "http://www.w3.org/2005/Atom"
_PLAIN = {
    "title": "title",
    "link": "link",
    "description": "description",
    "summary": "description",
    "content": "description",
}
_JOINERS = {"additional_image_link": ",", "product_highlight": "\n", "product_detail": "\n"}
_DETAIL_PARTS = ("section_name", "attribute_name", "attribute_value")
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def looks_like_xml(data: bytes) -> bool:
    """Whether ``data`` starts (after a BOM and whitespace) with ``<``, as an XML document does."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            return data[len(bom) : len(bom) + 64].decode(codec, errors="ignore").lstrip().startswith("<")
    return data[:64].lstrip().startswith(b"<")


def read_feed(path: Path, where: Path | str) -> Table:
    """The items of the Merchant Center XML feed at ``path``.

    Raises:
        CatalogError: the feed declares entities or refers to an external DTD, is not well-formed
            XML, or is not an RSS or Atom feed; the error names the line.
    """
    handler = _FeedHandler()
    parser = make_parser()
    parser.setFeature(feature_namespaces, True)
    parser.setContentHandler(handler)
    with path.open("rb") as handle:
        head = handle.read(200)
        declared = _DECLARED_ENCODING.match(head)
        handle.seek(0)
        try:
            parser.parse(handle)
        except EntitiesForbidden as exc:
            raise _refused(
                f"the feed declares the entity {exc.name!r}; feeds with entities are refused", parser, where
            ) from exc
        except ExternalReferenceForbidden as exc:
            message = f"the feed refers to the external {exc.sysid!r}; external references are refused"
            raise _refused(message, parser, where) from exc
        except SAXParseException as exc:
            raise CatalogError(
                f"not well-formed XML: {exc.getMessage()}", file=where, line=exc.getLineNumber()
            ) from exc
        except _NotAFeed as exc:
            raise _refused(str(exc), parser, where) from None
    encoding = (
        declared.group(1).decode("ascii").lower()
        if declared
        else "utf-16"
        if head.startswith((b"\xff\xfe", b"\xfe\xff"))
        else "utf-8"
    )
    source = CatalogSource(format="merchant-xml", container="xml", encoding=encoding)
    return Table(source=source, columns=tuple(handler.columns), rows=tuple(handler.records))


def _refused(message: str, parser: Any, where: Path | str) -> CatalogError:
    line = parser.getLineNumber()
    return CatalogError(message, file=where, line=line if isinstance(line, int) else None)


class _NotAFeed(Exception):
    """The document's root is not ``<rss>`` or an Atom ``<feed>``."""


class _FeedHandler(ContentHandler):
    """Collects each item's direct children as columns; see the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[Record] = []
        self.columns: dict[str, None] = {}  # insertion-ordered set
        self._locator: Any = None
        self._item_tag = ""
        self._depth = 0
        self._item_depth: int | None = None
        self._item_line = 0
        self._fields: defaultdict[str, list[str]] = defaultdict(list)
        self._plain: defaultdict[str, list[str]] = defaultdict(list)
        self._current: tuple[str, bool] | None = None  # (column, from the g: namespace)
        self._text: list[str] = []
        self._detail: dict[str, str] | None = None  # the parts of the g:product_detail being read

    def setDocumentLocator(self, locator: Any) -> None:
        self._locator = locator

    def startElementNS(self, name: tuple[str | None, str], qname: str | None, attrs: Any) -> None:
        namespace, local = name
        self._depth += 1
        if self._depth == 1:
            if (namespace, local) == (None, "rss"):
                self._item_tag = "item"
            elif (namespace, local) == (ATOM_NS, "feed"):
                self._item_tag = "entry"
            else:
                raise _NotAFeed(f"not an RSS 2.0 or Atom feed: the root element is <{local}>")
        elif self._item_depth is None and local == self._item_tag and namespace in (None, ATOM_NS):
            self._item_depth = self._depth
            self._item_line = self._locator.getLineNumber()
        elif self._item_depth is not None and self._depth > self._item_depth + 1:
            self._current = None  # an element with children (g:shipping) is not a column
            if self._detail is not None and self._depth == self._item_depth + 2 and namespace == GOOGLE_NS:
                self._current, self._text = (local, True), []
        elif self._item_depth is not None and self._depth == self._item_depth + 1:
            if namespace == GOOGLE_NS:
                self._current = (local, True)
                self._detail = {} if local == "product_detail" else None
            elif namespace in (None, ATOM_NS) and local in _PLAIN:
                self._current = (_PLAIN[local], False)
                href = attrs.get((None, "href"))
                if local == "link" and href:
                    self._plain["link"].append(href)
                    self._current = None
            self._text = []

    def characters(self, content: str) -> None:
        if self._current is not None:
            self._text.append(content)

    def endElementNS(self, name: tuple[str | None, str], qname: str | None) -> None:
        if self._detail is not None and self._item_depth is not None and self._depth == self._item_depth + 2:
            if self._current is not None and self._current[0] in _DETAIL_PARTS:
                self._detail[self._current[0]] = " ".join("".join(self._text).split())
            self._current = None
        elif self._detail is not None and self._item_depth is not None and self._depth == self._item_depth + 1:
            written = ":".join(self._detail.get(part, "") for part in _DETAIL_PARTS) if self._detail else None
            self._fields["product_detail"].append(written if written is not None else "".join(self._text).strip())
            self._detail, self._current = None, None
        elif self._item_depth is not None and self._depth == self._item_depth + 1 and self._current is not None:
            column, google = self._current
            (self._fields if google else self._plain)[column].append("".join(self._text).strip())
            self._current = None
        elif self._depth == self._item_depth:
            self._finish_item()
        self._depth -= 1

    def _finish_item(self) -> None:
        values = {column: _join(column, texts) for column, texts in self._plain.items()}
        for column, texts in self._fields.items():
            if _join(column, texts) or column not in values:
                values[column] = _join(column, texts)
        self.columns |= dict.fromkeys(values)
        self.records.append(Record(row=len(self.records) + 1, values=values, line=self._item_line))
        self._item_depth, self._current = None, None
        self._fields, self._plain = defaultdict(list), defaultdict(list)


def _join(column: str, texts: list[str]) -> str:
    return _JOINERS.get(column, ", ").join(text for text in texts if text)
