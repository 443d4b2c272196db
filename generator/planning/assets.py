"""Reference images and audio: resolved under allowed roots, loaded safely, cut out deterministically.

A reference is a path written in a catalog or template. It is resolved relative to the file that
names it and must stay inside one of the allowed roots after symlinks are followed; a URL
reference (``generator.orchestration.fetch``) is its own source and is found by content hash in the fetch
cache. Images are
checked against a pixel limit *before* decoding (decompression bombs are refused), then decoded
fully so that truncated or corrupt files fail here, at the row that names them, not mid-render.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from generator.core.errors import AssetError
from generator.core.identity import file_sha256
from generator.core.urls import is_url
from generator.orchestration.fetch import Fetcher

DEFAULT_MAX_PIXELS = 40_000_000
IMAGE_FORMATS = {"PNG", "JPEG", "WEBP"}

# Cutout of a product photographed on a plain light background: pixels whose colour distance
# to the background is below LOW are background, above HIGH are product; between, alpha ramps.
_CUTOUT_LOW = 18.0
_CUTOUT_HIGH = 42.0
_LIGHT_BORDER_MIN = 200.0
_PLAIN_BORDER_MAX_STD = 12.0


@dataclass(frozen=True)
class Cutout:
    """How an image's alpha is obtained, recorded in the plan so a render can repeat it.

    ``method`` is ``alpha`` (the file has an alpha channel), ``light-background`` (keyed out
    against ``background``) or ``opaque`` (used as a rectangle).
    """

    method: str
    background: tuple[int, int, int] | None = None


@dataclass(frozen=True)
class ImageAsset:
    """A validated image file.

    Attributes:
        path: absolute, resolved path.
        source: the path relative to its root, prefixed with the root's name (``catalog:images/a.png``),
            the same on every machine.
        sha256: hex digest of the file's bytes.
        size: width and height in pixels.
        content_box: bounding box ``(left, top, right, bottom)`` of the visible (alpha > 0) pixels.
        cutout: how the alpha channel is derived.
    """

    path: Path
    source: str
    sha256: str
    size: tuple[int, int]
    content_box: tuple[int, int, int, int]
    cutout: Cutout


@dataclass(frozen=True)
class AssetRoot:
    """A folder references may point into; ``name`` prefixes machine-independent sources."""

    name: str
    path: Path


def resolve_ref(ref: str, base: Path, roots: list[AssetRoot]) -> tuple[Path, str]:
    """Resolve ``ref`` relative to ``base`` and confine it to ``roots``.

    Returns:
        The resolved path and its machine-independent source string.

    Raises:
        AssetError: the reference is empty, a URL, or escapes every allowed root.
    """
    ref = ref.strip()
    if not ref:
        raise AssetError("empty reference", rule="a path is required")
    if "://" in ref:
        raise AssetError(f"remote reference {ref!r} is not supported here; use a local path", path=ref)
    candidate = (base / ref).resolve()
    for root in roots:
        root_path = root.path.resolve()
        if candidate.is_relative_to(root_path):
            return candidate, f"{root.name}:{candidate.relative_to(root_path).as_posix()}"
    allowed = ", ".join(str(r.path) for r in roots)
    raise AssetError(f"path {ref!r} escapes the allowed roots ({allowed})", path=ref)


def load_image_asset(path: Path, source: str, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ImageAsset:
    """Validate an image file and work out its cutout.

    Raises:
        AssetError: missing file, unsupported format, too many pixels, or undecodable data.
    """
    image = open_image(path, source, max_pixels=max_pixels)
    cutout = choose_cutout(image)
    rgba = apply_cutout(image, cutout)
    box = rgba.getchannel("A").getbbox()
    if box is None:
        raise AssetError("image is fully transparent", path=source)
    return ImageAsset(
        path=path, source=source, sha256=file_sha256(path), size=image.size, content_box=box, cutout=cutout
    )


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


def choose_cutout(image: Image.Image) -> Cutout:
    """Pick how to get alpha: the file's own, a light-background key, or none."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        return Cutout("alpha")
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    median = np.median(border, axis=0)
    if median.mean() >= _LIGHT_BORDER_MIN and float(border.std(axis=0).max()) <= _PLAIN_BORDER_MAX_STD:
        return Cutout("light-background", tuple(int(round(c)) for c in median))  # type: ignore[arg-type]
    return Cutout("opaque")


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
    candidate = np.pad(ramp < 1.0, 1, constant_values=True)
    from scipy import ndimage  # imported here: it costs a third of a second, and most images have alpha

    labels, _ = ndimage.label(candidate)  # 4-connected, like a flood fill
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

    def __init__(self, roots: dict[str, Path], fetcher: Fetcher | None = None) -> None:
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
