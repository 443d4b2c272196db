"""The video's colour: BT.709 limited-range Y'CbCr, composited at full resolution and packed 4:2:0 for x264.

Videos are composited in the colour x264 encodes. Keyframes and sprites are converted once
(``to_video``); every compositing step after that (resampling, alpha blending, transitions) is a
weighted mean of pixels, so it gives the same result in Y'CbCr as in RGB, up to rounding. Frames then
go to ffmpeg as planar 4:2:0 (``pack_420``, each chroma sample the mean of its 2x2 block), with no
colour conversion left for ffmpeg to do. An image in video colour is an ``RGB`` (or ``RGBA``) image
whose channels hold Y', Cb and Cr (and alpha).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Protocol

import numpy as np
from PIL import Image

_KR, _KB = 0.2126, 0.0722  # BT.709 luma weights of red and blue
_KG = 1.0 - _KR - _KB
_MATRIX = np.array([
    [_KR, _KG, _KB],
    [-_KR / (2 - 2 * _KB), -_KG / (2 - 2 * _KB), 0.5],
    [0.5, -_KG / (2 - 2 * _KR), -_KB / (2 - 2 * _KR)],
]) * np.array([[219 / 255], [224 / 255], [224 / 255]])  # fmt: skip  # limited range: Y' 16-235, Cb and Cr 16-240
_OFFSET = np.array([16.0, 128.0, 128.0])
_TO_VIDEO = np.hstack([_MATRIX, _OFFSET[:, None]])
_TO_RGB = np.hstack([np.linalg.inv(_MATRIX), (-np.linalg.inv(_MATRIX) @ _OFFSET)[:, None]])

Colour = Callable[[Image.Image], Image.Image]  # an image's pixels in the colour frames are composited in


class Packed(Protocol):
    """A frame drawn elsewhere (on a device) and packed for the encoder there."""

    def packed(self) -> np.ndarray:
        """Planar 4:2:0 bytes, as ``pack_420`` gives."""

    def image(self) -> Image.Image:
        """The frame as an image in video colour."""


VideoFrame = Image.Image | Packed  # a frame for the encoder: an image in video colour, or one packed already


@functools.cache
def opencv() -> ModuleType:
    """OpenCV, imported on first use (planning never needs it), one thread per call."""
    import cv2

    cv2.setNumThreads(1)  # frames are already drawn a few at a time in threads
    return cv2


def _converted(image: Image.Image, matrix: np.ndarray) -> Image.Image:
    if image.mode not in ("RGB", "RGBA"):
        image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    pixels = np.asarray(image)
    colour = opencv().transform(np.ascontiguousarray(pixels[..., :3]), matrix)  # rounded, clipped to 0..255
    if image.mode == "RGBA":
        colour = np.dstack([colour, pixels[..., 3]])
    return Image.fromarray(colour)  # RGB from three channels, RGBA from four


def pixels_of(image: Image.Image) -> np.ndarray:
    """An RGB image's pixels, four bytes each as Pillow keeps them (RGBX): OpenCV warps four twice as fast as three."""
    return np.frombuffer(image.tobytes("raw", "RGBX"), np.uint8).reshape(image.height, image.width, 4)


def image_of(pixels: np.ndarray) -> Image.Image:
    """The RGB image of RGBX ``pixels`` (the fourth byte is ignored)."""
    height, width = pixels.shape[:2]
    image = Image.new("RGB", (width, height), None)  # not filled: every pixel is written next
    image.frombytes(np.ascontiguousarray(pixels), "raw", "RGBX")
    return image


def as_is(image: Image.Image) -> Image.Image:
    """``image`` unchanged: frames composited in RGB."""
    return image


def to_video(image: Image.Image) -> Image.Image:
    """``image`` (RGB, or anything with alpha as RGBA) in video colour, alpha kept; within one level of ffmpeg's conversion."""
    return _converted(image, _TO_VIDEO)


def to_rgb(image: Image.Image) -> Image.Image:
    """An image in video colour back in RGB (a poster, a storyboard still)."""
    return _converted(image, _TO_RGB)


def pack_420(frame: Image.Image) -> np.ndarray:
    """``frame`` (video colour, even width and height) as planar 4:2:0 bytes: Y', then Cb and Cr at half size.

    Each chroma sample is the mean of its 2x2 block (centre-sited), as in JPEG and MPEG-1.
    """
    cv2 = opencv()
    width, height = frame.size
    pixels = pixels_of(frame)
    packed = np.empty(width * height * 3 // 2, np.uint8)
    luma = packed[: width * height].reshape(height, width)
    quarter = width * height // 4
    cb = packed[width * height : width * height + quarter].reshape(height // 2, width // 2)
    cr = packed[width * height + quarter :].reshape(height // 2, width // 2)
    cv2.mixChannels([pixels], [luma], [0, 0])
    half = cv2.resize(pixels, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    cv2.mixChannels([half], [cb, cr], [1, 0, 2, 1])
    return packed
