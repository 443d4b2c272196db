"""SVG logos drawn to pixels with resvg: the same file at the same size gives the same pixels everywhere.

resvg renders in software, in its own code (no system library, no GPU); system fonts are never
loaded, so text in a logo must be converted to outlines (an editor's "convert text to paths").
"""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path

import resvg_py
from PIL import Image

from generator.core.errors import AssetError

_MAX_SIDE = 8192  # pixels; a logo is drawn at the size it is shown, never larger
# A link to another file (an image, a font, a stylesheet) would make the pixels depend on the machine.
_OUTSIDE_LINK = re.compile(r"""(?:href|src)\s*=\s*["'](?!data:|#)|url\(\s*["']?(?!data:|#)""")


@functools.lru_cache(maxsize=32)
def svg_size(path: Path, sha256: str) -> tuple[int, int]:
    """The SVG's own size in pixels (its width and height, or its viewBox).

    Raises:
        AssetError: not an SVG that resvg can read.
    """
    return rasterize_svg(path, sha256, None).size


@functools.lru_cache(maxsize=32)
def rasterize_svg(path: Path, sha256: str, size: tuple[int, int] | None) -> Image.Image:
    """``path`` (whose content hash is ``sha256``, the cache's key) drawn at ``size`` (None: its own), RGBA.

    Raises:
        AssetError: not an SVG that resvg can read, one linking to other files, or a size out of range.
    """
    if size is not None and not (0 < size[0] <= _MAX_SIDE and 0 < size[1] <= _MAX_SIDE):
        raise AssetError(f"cannot draw a logo at {size[0]}x{size[1]} pixels", path=str(path))
    try:
        svg = path.read_text(encoding="utf-8")
        if _OUTSIDE_LINK.search(svg):
            raise AssetError("an SVG logo may not link to other files: embed images as data: URIs", path=str(path))
        width, height = size if size is not None else (None, None)
        png = resvg_py.svg_to_bytes(svg_string=svg, skip_system_fonts=True, width=width, height=height)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise AssetError(f"unreadable SVG: {exc}", path=str(path)) from exc
    with Image.open(io.BytesIO(bytes(png))) as image:
        return image.convert("RGBA")
