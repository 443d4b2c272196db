"""Reference images named by catalogs and templates: resolved under allowed roots, validated, and
given a deterministic cutout while planning.

A reference is a path written in a catalog or template. It is resolved relative to the file that
names it and must stay inside one of the allowed roots after symlinks are followed; a URL
reference is fetched by the catalog's ``UrlFetcher`` and is its own source. Opening images
(with the decompression-bomb limit) and applying cutouts is shared with rendering, in
``generator.core.images``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from generator.core.errors import AssetError
from generator.core.identity import file_sha256
from generator.core.images import DEFAULT_MAX_PIXELS, Cutout, apply_cutout, open_image

# A plain light background, keyed out: its border is at least this light and varies at most this much.
_LIGHT_BORDER_MIN = 200.0
_PLAIN_BORDER_MAX_STD = 12.0


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
        raise AssetError("a remote reference is not supported here; use a local path", path=ref)
    candidate = (base / ref).resolve()
    for root in roots:
        root_path = root.path.resolve()
        if candidate.is_relative_to(root_path):
            return candidate, f"{root.name}:{candidate.relative_to(root_path).as_posix()}"
    allowed = ", ".join(str(r.path) for r in roots)
    raise AssetError("the path escapes the allowed roots", path=ref, rule=f"paths stay inside {allowed}")


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


def choose_cutout(image: Image.Image) -> Cutout:
    """Pick how to get alpha: the file's own, a light-background key, or none."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        return Cutout("alpha")
    rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]])
    median = np.median(border, axis=0)
    if median.mean() >= _LIGHT_BORDER_MIN and float(border.std(axis=0).max()) <= _PLAIN_BORDER_MAX_STD:
        red, green, blue = (int(value) for value in np.round(median))
        return Cutout("light-background", (red, green, blue))
    return Cutout("opaque")
