"""Fonts: every installed face indexed by family (once per process), the fallback chain tried per
character, and each face's cmap, metrics and HarfBuzz font.

Fonts are searched in ``$ADGEN_FONT_PATH`` (``os.pathsep``-separated folders) first, then in the
system and user font folders (``FONT_DIRS``); every face of a collection (``.ttc``) is indexed.
Planning shapes text with these faces (``generator.core.shaping``) and rendering draws with them.
"""

from __future__ import annotations

import functools
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uharfbuzz as hb
from fontTools.ttLib import TTFont, TTLibError
from PIL import ImageFont

FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
    Path.home() / ".fonts",
)
_FONT_SUFFIXES = (".ttf", ".otf", ".ttc")
_STYLES = {"regular": ("regular", "book", "normal", "roman"), "bold": ("bold",)}


@dataclass(frozen=True)
class Face:
    """One face of a font file."""

    path: Path
    index: int  # the face's number in a font collection (.ttc); 0 otherwise


@dataclass(frozen=True)
class _Family:
    name: str
    styles: dict[str, Face]  # lower-cased style name -> face


@dataclass(frozen=True)
class FaceInfo:
    """What drawing and measuring need to know of a face."""

    upem: int
    color: bool
    strike: int | None  # the only pixel size of a bitmap-only font (Noto Color Emoji: 109)


_KIT_FOLDERS: list[Path] = []  # brand kits' font folders, searched first (``use_font_folder``)


def _font_dirs() -> list[Path]:
    extra = [Path(p) for p in os.environ.get("ADGEN_FONT_PATH", "").split(os.pathsep) if p]
    return _KIT_FOLDERS + extra + [d for d in FONT_DIRS if d.is_dir()]


def use_font_folder(folder: Path) -> None:
    """Search ``folder`` (a brand kit's) for fonts too, before every other folder: a family it holds is drawn
    with its file. Folders added earlier are searched first."""
    folder = folder.resolve()
    if folder not in _KIT_FOLDERS:
        _KIT_FOLDERS.append(folder)
        for cached in (_font_index, find_font, chain_faces):
            cached.cache_clear()


def font_family(path: Path) -> str:
    """The family name of the font file ``path`` (its first face).

    Raises:
        LookupError: not a font file that can be read.
    """
    name = _face_name(Face(path, 0)) if path.suffix.lower() in _FONT_SUFFIXES else None
    if name is None:
        raise LookupError(f"not a font file: {path.name} (use .ttf, .otf or .ttc)")
    return name[0]


def _face_count(path: Path) -> int:
    with path.open("rb") as file:
        header = file.read(12)
    return struct.unpack(">I", header[8:12])[0] if len(header) == 12 and header[:4] == b"ttcf" else 1


def _face_name(face: Face) -> tuple[str, str] | None:
    try:
        family, style = ImageFont.truetype(str(face.path), 12, index=face.index).getname()
    except OSError:  # a bitmap-only font has no 12 px size: read its name table instead
        try:
            with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
                family, style = font["name"].getDebugName(1), font["name"].getDebugName(2)
        except (OSError, TTLibError, KeyError):
            return None
    return (family, style) if family and style else None


@functools.cache
def _font_index() -> dict[str, _Family]:
    """Lower-cased family name -> its faces, for every face of every font file found (once per process)."""
    index: dict[str, _Family] = {}
    for directory in _font_dirs():
        for path in sorted(directory.rglob("*")):
            if path.suffix.lower() not in _FONT_SUFFIXES:
                continue
            try:
                file_faces = [Face(path, i) for i in range(_face_count(path))]
            except OSError:
                continue
            for face in file_faces:
                name = _face_name(face)
                if name is not None:
                    family = index.setdefault(name[0].lower(), _Family(name[0], {}))
                    family.styles.setdefault(name[1].lower(), face)
    return index


def _lookup(family: str, weight: str, *, fallback: bool) -> Face:
    """``family`` in ``weight``; a fallback family without that weight gives its regular face."""
    entry = _font_index().get(family.lower())
    styles = _STYLES.get(weight, _STYLES["regular"]) + (_STYLES["regular"] if fallback else ())
    for style in styles:
        if entry is not None and style in entry.styles:
            return entry.styles[style]
    names = sorted(f.name for f in _font_index().values())
    raise LookupError(f"no {weight} font of family {family!r}; installed families: {', '.join(names)}")


@functools.cache
def find_font(family: str, weight: str = "regular") -> Path:
    """The font file of ``family`` in ``weight`` (``regular`` or ``bold``).

    Raises:
        LookupError: no installed font has that family and weight.
    """
    return _lookup(family, weight, fallback=False).path


def _cjk_variant(lang: str) -> str:
    language, *region = lang.replace("-", "_").lower().split("_")
    if language == "zh":
        return "HK" if {"hk", "mo"} & set(region) else "TC" if {"tw", "hant"} & set(region) else "SC"
    return {"ja": "JP", "ko": "KR"}.get(language, "SC")


def font_chain(family: str, weight: str = "regular", fallback: Sequence[str] = (), lang: str = "en") -> tuple[str, ...]:
    """Family names in the order they are tried for each character.

    ``family``, then ``fallback``, then adgen's default per script: Latin/Greek/Cyrillic, Arabic,
    Hebrew, CJK (variant by ``lang``: ja JP, ko KR, zh SC, zh_TW TC, zh_HK HK), Devanagari, Thai,
    colour emoji, and last DejaVu Sans for symbols (last, so its Arabic and Hebrew never win over
    the Noto script fonts). Uninstalled fallbacks and duplicates are left out.

    Raises:
        LookupError: ``family`` itself is not installed in ``weight``.
    """
    _lookup(family, weight, fallback=False)
    cjk = f"Noto Sans CJK {_cjk_variant(lang)}"
    defaults = (
        "Noto Sans",
        "Noto Sans Arabic",
        "Noto Sans Hebrew",
        cjk,
        "Noto Sans Devanagari",
        "Noto Sans Thai",
        "Noto Color Emoji",
        "DejaVu Sans",
    )
    chain = {family.lower(): family}
    for name in (*fallback, *defaults):
        if name.lower() not in chain and name.lower() in _font_index():
            chain[name.lower()] = name
    return tuple(chain.values())


@functools.cache
def chain_faces(families: tuple[str, ...], weight: str) -> tuple[Face, ...]:
    """The face of each family of a chain in ``weight``; a fallback without that weight gives its regular face."""
    return tuple(_lookup(name, weight, fallback=i > 0) for i, name in enumerate(families))


@functools.cache
def face_cmap(face: Face) -> frozenset[int]:
    """The code points ``face`` maps to a glyph (HarfBuzz reads the cmap in C, 30 times faster than fontTools)."""
    return frozenset(hb_font(face).face.unicodes)


@functools.cache
def face_info(face: Face) -> FaceInfo:
    """Units per em, whether ``face`` has colour glyphs, and its strike when it is bitmap-only."""
    with TTFont(face.path, fontNumber=face.index, lazy=True) as font:
        strike = None
        if not any(tag in font for tag in ("glyf", "CFF ", "CFF2")):
            bitmaps: list[Any] = next((font[tag].strikes for tag in ("CBLC", "EBLC") if tag in font), [])
            strike = max((s.bitmapSizeTable.ppemY for s in bitmaps), default=None)
        color = any(tag in font for tag in ("CBDT", "COLR", "sbix", "SVG "))
        return FaceInfo(upem=font["head"].unitsPerEm, color=color, strike=strike)


@functools.cache
def hb_font(face: Face) -> hb.Font:
    """``face`` loaded for HarfBuzz shaping, once per process."""
    return hb.Font(hb.Face(hb.Blob.from_file_path(str(face.path)), face.index))
