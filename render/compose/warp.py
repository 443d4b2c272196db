"""Bilinear resampling by OpenCV's fixed-point SIMD affine warp, sampling where Pillow's resize does."""

from __future__ import annotations

import numpy as np

from render.colour import opencv


def bilinear(
    pixels: np.ndarray,
    origin: tuple[float, float],
    step: tuple[float, float],
    size: tuple[int, int],
    *,
    transparent_edge: bool = False,
) -> np.ndarray:
    """A ``size`` (width, height) grid whose cell (i, j) samples ``pixels`` at (origin + (i + 0.5, j + 0.5) * step).

    Coordinates are in source pixels from the top-left corner, so the samples fall where Pillow's
    ``resize(size, BILINEAR, box)`` takes them, with ``box`` starting at ``origin`` and ``step``
    source pixels a cell; where the step is at most one pixel (nothing is reduced), Pillow's filter is
    this bilinear one, and the pixels agree within a level. Beyond the edges the edge pixels repeat,
    or (``transparent_edge``) zeros are read.
    """
    cv2 = opencv()
    (ox, oy), (sx, sy) = origin, step
    matrix = np.array([[sx, 0.0, ox + 0.5 * sx - 0.5], [0.0, sy, oy + 0.5 * sy - 0.5]])
    border = cv2.BORDER_CONSTANT if transparent_edge else cv2.BORDER_REPLICATE
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(pixels, matrix, size, flags=flags, borderMode=border, borderValue=0)  # type: ignore[no-any-return]
