"""Images a plan references: resolved by ``root:relative`` source and checked against their sha256,
opened safely, and cut out the way the plan recorded.

Images are checked against a pixel limit *before* decoding (decompression bombs are refused), then
decoded fully so that truncated or corrupt files fail where they are opened, not mid-render. A URL
source is found by content hash through a ``UrlCache`` (``generator.core.urls``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from generator.core.errors import AssetError
from generator.core.identity import file_sha256
from generator.core.urls import UrlCache, is_url

DEFAULT_MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"PNG", "JPEG", "WEBP"}

# Cutout of a product photographed on a plain light background: pixels whose colour distance
# to the background is below LOW are background, above HIGH are product; between, alpha ramps.
_CUTOUT_LOW = 18.0
_CUTOUT_HIGH = 42.0


@dataclass(frozen=True)
class Cutout:
    """How an image's alpha is obtained, recorded in the plan so a render can repeat it.

    ``method`` is ``alpha`` (the file has an alpha channel), ``light-background`` (keyed out
    against ``background``) or ``opaque`` (used as a rectangle).
    """

    method: str
    background: tuple[int, int, int] | None = None


def open_image(path: Path, source: str, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open and fully decode an image, refusing bombs before any pixel is decoded."""
    if not path.is_file():
        raise AssetError("image file not found", path=source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit applies below
            with Image.open(path) as image:
                if image.format not in IMAGE_FORMATS:
                    raise AssetError(f"unsupported image format {image.format}; use PNG, JPEG or WebP", path=source)
                width, height = image.size
                if width * height > max_pixels:
                    raise AssetError(
                        f"image is {width}x{height} = {width * height} pixels, over the limit of {max_pixels}"
                        " (refused before decoding)",
                        path=source,
                    )
                image.load()
                return image.copy()
    except AssetError:
        raise
    except Image.DecompressionBombError as exc:
        raise AssetError(f"image pixel count is over the limit of {max_pixels}: {exc}", path=source) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise AssetError(f"unreadable image: {exc}", path=source) from exc


def apply_cutout(image: Image.Image, cutout: Cutout) -> Image.Image:
    """Return an RGBA image whose alpha follows ``cutout``; deterministic for the same input."""
    if cutout.method == "alpha":
        return image.convert("RGBA")
    rgb = image.convert("RGB")
    if cutout.method == "opaque":
        return rgb.convert("RGBA")
    assert cutout.background is not None
    pixels = np.asarray(rgb, dtype=np.float32)
    distance = np.linalg.norm(pixels - np.asarray(cutout.background, dtype=np.float32), axis=2)
    ramp = np.clip((distance - _CUTOUT_LOW) / (_CUTOUT_HIGH - _CUTOUT_LOW), 0.0, 1.0)
    # Only background connected to the border is removed: light highlights inside the product stay.
    # A ring of candidate pixels around the image joins every border region into one component.
    candidate = np.pad(ramp < 1.0, 1, constant_values=True).astype(np.uint8)
    import cv2  # imported here: most images have alpha

    _, labels = cv2.connectedComponents(candidate, connectivity=4)  # like a flood fill
    outside = (labels == labels[0, 0])[1:-1, 1:-1]
    alpha = np.where(outside, ramp, 1.0)
    alpha_image = Image.fromarray(np.round(alpha * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(0.6))
    result = rgb.convert("RGBA")
    result.putalpha(alpha_image)
    return result


class AssetResolver:
    """Finds the files a plan references, by source and root name, and checks their content hash.

    ``roots`` maps root names used in sources (``catalog``, ``templates``) to folders; ``fetcher``
    finds URL sources (none: a URL source is an error).
    """

    def __init__(self, roots: dict[str, Path], fetcher: UrlCache | None = None) -> None:
        self._roots = {name: path.resolve() for name, path in roots.items()}
        self._fetcher = fetcher
        self._images: dict[tuple[str, str, tuple[int, int, int] | None], Image.Image] = {}

    def path(self, source: str, sha256: str) -> Path:
        """The file behind ``source``.

        Raises:
            AssetError: unknown root, escape from it, missing file or changed content.
        """
        if is_url(source):
            if self._fetcher is None:
                raise AssetError("URL sources need a fetcher, and none was given", path=source)
            return self._fetcher.cached(source, sha256)
        root_name, _, relative = source.partition(":")
        root = self._roots.get(root_name)
        if root is None:
            raise AssetError(f"no folder given for asset root {root_name!r}", path=source)
        path = (root / relative).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise AssetError("asset not found under its root", path=source)
        if file_sha256(path) != sha256:
            raise AssetError("asset changed since the plan was made (sha256 differs)", path=source)
        return path

    def image(self, source: str, sha256: str, cutout: Cutout) -> Image.Image:
        """The RGBA image behind ``source`` with ``cutout`` applied; cached per process."""
        key = (sha256, cutout.method, cutout.background)
        if key not in self._images:
            self._images[key] = apply_cutout(open_image(self.path(source, sha256), source), cutout)
        return self._images[key]
