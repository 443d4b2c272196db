"""Catalog bytes to text: UTF-8 (with or without BOM), UTF-16/32 with a BOM, else Windows-1252 or Latin-1.

Only those are considered: they are what spreadsheet programs write. Bytes that are not UTF-8 are
handed to ``charset-normalizer``, restricted to the Western single-byte encodings, which refuses
text that reads as nonsense in all of them; the error then names where UTF-8 decoding failed. A
file that is UTF-8 apart from some bad bytes is refused the same way rather than read as
Windows-1252, which would garble every accented letter in it.
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

from charset_normalizer import from_bytes

from generator.core.errors import CatalogError

log = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)  # fmt: skip
_SINGLE_BYTE = {"cp1252": "windows-1252", "latin_1": "iso-8859-1", "iso8859_15": "iso-8859-15"}


def decode_text(data: bytes, where: Path | str) -> tuple[str, str]:
    """The text of ``data`` and the name of its encoding.

    Raises:
        CatalogError: the encoding cannot be decided, or a BOM's encoding does not decode; the
            error names the line, and its message the byte offset, where decoding failed.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode(data, encoding, where), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        failure = exc
    line = data.count(b"\n", 0, failure.start) + 1
    where_failed = f"byte {failure.start}: 0x{data[failure.start]:02x}"
    if _has_utf8_characters(data):
        raise CatalogError(f"not valid UTF-8 ({where_failed}), though the rest of the file is UTF-8; fix or re-export it",
                           file=where, line=line) from failure  # fmt: skip
    best = from_bytes(data, cp_isolation=list(_SINGLE_BYTE)).best()
    if best is None or best.encoding not in _SINGLE_BYTE:
        raise CatalogError(
            f"cannot tell the text encoding: not UTF-8 ({where_failed}) and not Windows-1252 or Latin-1 text; save the catalog as UTF-8",
            file=where,
            line=line,
        ) from failure
    encoding = _SINGLE_BYTE[best.encoding]
    log.info("%s is not UTF-8; read as %s", where, encoding)
    return _decode(data, encoding, where), encoding


def _has_utf8_characters(data: bytes) -> bool:
    """Whether ``data`` holds well-formed multi-byte UTF-8 characters: UTF-8 text with some bad bytes,
    which read as Windows-1252 would turn every accent into two wrong characters."""
    return any(ord(char) > 0x7F for char in data.decode("utf-8", errors="replace").replace("\ufffd", ""))


def _decode(data: bytes, encoding: str, where: Path | str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        raise CatalogError(f"not valid {encoding} text (byte {exc.start})", file=where, line=line) from exc
