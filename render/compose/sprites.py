"""Sprites: a layer's pixels at its own resolution, resampled straight into its fractional rectangle.

A product or mascot is resampled from its reference in one step (bilinear, alpha premultiplied),
so its pixels are the reference under the plan's transform; text is drawn once at rest, snapped to
whole pixels so glyphs stay crisp, and moved like any other sprite.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from generator.core.geometry import Rect
from generator.core.shaping import TextLayout
from generator.planning.plan.camera import CameraView
from generator.planning.plan.effects import Moves
from generator.planning.plan.shapes import ShapePlacement
from generator.planning.plan.timeline import SHADOW_MARGIN, footprint, is_pinnable
from generator.planning.plan.types import ImagePlacement, PlannedShot, TextPlacement
from render.colour import Colour, as_is
from render.compose.captions import caption_images
from render.compose.kinetic import kinetic_images
from render.compose.shapes import shape_images
from render.compose.treatments import (
    Track,
    product_track,
    reflection_image,
    reflection_rest,
    reflection_track,
    shadow_track,
)
from render.compose.warp import bilinear
from render.text import draw_text

_PAD = 4  # transparent border around sprites, so resampling boxes never leave the image


@dataclass(frozen=True)
class Sprite:
    """A layer's pixels (RGBa, padded by ``_PAD``) and where they sit at rest, in canvas pixels.

    ``anchor`` is the footprint of the layer the sprite is part of (None: the sprite's own rect);
    ``track``, where a treatment moves it (``render.compose.treatments``), its rect and window at each frame.
    """

    image: Image.Image
    rect: Rect
    motion: Moves
    follows_camera: bool
    anchor: Rect | None = None
    track: Track | None = None

    @functools.cached_property
    def pixels(self) -> np.ndarray:
        """The image's premultiplied pixels, four bytes each."""
        return np.frombuffer(self.image.tobytes(), np.uint8).reshape(self.image.height, self.image.width, 4)


@dataclass(frozen=True)
class Piece:
    """A sprite resampled for one placement: straight-alpha pixels, the mask to paste with, and where."""

    image: Image.Image
    mask: Image.Image
    origin: tuple[int, int]


@dataclass(frozen=True)
class Placement:
    """Where a sprite lands in a rect, clipped to the canvas: the ``box`` of its image to sample, the
    whole-pixel ``origin`` and ``size`` it fills, and whether it is ``reduced`` (shown below its own size)."""

    box: tuple[float, float, float, float]
    origin: tuple[int, int]
    size: tuple[int, int]
    reduced: bool


def placement(sprite: Sprite, rect: Rect, canvas: tuple[int, int], window: Rect | None = None) -> Placement | None:
    """Where ``sprite`` resampled into ``rect`` (canvas pixels, fractional) lands; None when off the canvas.

    ``window`` (canvas pixels, its edges rounded to whole pixels) clips it further: a zoom's view."""
    x, y, w, h = rect
    width, height = canvas
    x0, y0 = max(0, math.floor(x)), max(0, math.floor(y))
    x1, y1 = min(width, math.ceil(x + w)), min(height, math.ceil(y + h))
    if window is not None:
        wx, wy, ww, wh = window
        x0, y0, x1, y1 = max(x0, round(wx)), max(y0, round(wy)), min(x1, round(wx + ww)), min(y1, round(wy + wh))
    if x1 <= x0 or y1 <= y0 or w <= 0 or h <= 0:
        return None
    source = sprite.image
    rx, ry = (source.width - 2 * _PAD) / w, (source.height - 2 * _PAD) / h
    box = (
        min(max(0.0, _PAD + (x0 - x) * rx), source.width),
        min(max(0.0, _PAD + (y0 - y) * ry), source.height),
        min(max(0.0, _PAD + (x1 - x) * rx), source.width),
        min(max(0.0, _PAD + (y1 - y) * ry), source.height),
    )
    return Placement(box, (x0, y0), (x1 - x0, y1 - y0), rx > 1.0 or ry > 1.0)


def resample(
    sprite: Sprite, rect: Rect, opacity: float, canvas: tuple[int, int], window: Rect | None = None
) -> Piece | None:
    """``sprite`` resampled into ``rect`` (canvas pixels, fractional), clipped to the canvas (and ``window``)."""
    placed = placement(sprite, rect, canvas, window)
    if placed is None or opacity <= 0.0:
        return None
    box, size = placed.box, placed.size
    if not placed.reduced:  # Pillow's filter is plain bilinear, which OpenCV does 5x faster
        step = ((box[2] - box[0]) / size[0], (box[3] - box[1]) / size[1])
        pixels = bilinear(sprite.pixels, box[:2], step, size, transparent_edge=True)
        image = Image.frombytes("RGBa", size, pixels).convert("RGBA")
    else:
        image = sprite.image.resize(size, Image.Resampling.BILINEAR, box=box).convert("RGBA")
    mask = image.getchannel("A")
    if opacity < 1.0:
        mask = mask.point(_opacity_lut(opacity))
    return Piece(image, mask, placed.origin)


def _opacity_lut(opacity: float) -> list[int]:
    return [round(v * opacity) for v in range(256)]


def _pad(image: Image.Image) -> Image.Image:
    padded = Image.new("RGBa", (image.width + 2 * _PAD, image.height + 2 * _PAD), (0, 0, 0, 0))
    padded.paste(image.convert("RGBa"), (_PAD, _PAD))
    return padded


def _image_sprites(
    layer: ImagePlacement,
    source: Image.Image,
    shadow: bool,
    colour: Colour = as_is,
    frames: int | None = None,
    reflection: bool = True,
) -> list[Sprite]:
    """A product or mascot at the reference's own resolution, after its contact shadow if ``shadow`` and its
    reflection if it has one and ``reflection``. With ``frames`` (the shot's length), a zoom or turn moves them."""
    sprites = []
    anchor = footprint(layer)
    x, y, w, h = layer.box
    moving = frames is not None and layer.treatment is not None and layer.treatment.moves
    if shadow:
        # The shadow is a blurred ellipse in a band around the layer's foot, drawn at rest size.
        margin = h * SHADOW_MARGIN
        band = Image.new("RGBA", (max(1, math.ceil(w)), max(1, math.ceil(3 * margin))), (0, 0, 0, 0))
        ImageDraw.Draw(band).ellipse((w * 0.14, margin * 1.4, w * 0.86, margin * 2.5), fill=(20, 14, 10, 120))
        band = band.filter(ImageFilter.GaussianBlur(margin * 0.45))
        rect = (x, y + h - 2 * margin, w, 3 * margin)
        track = shadow_track(layer, rect, frames) if moving and frames is not None else None
        sprites.append(Sprite(_pad(colour(band)), rect, layer.motion, True, anchor, track))
    crop = source.crop(layer.crop)
    if reflection and layer.treatment is not None and layer.treatment.reflection is not None:
        mirrored, share = reflection_image(crop, layer.treatment.reflection)
        track = reflection_track(layer, frames, share) if moving and frames is not None else None
        sprites.append(Sprite(_pad(colour(mirrored)), reflection_rest(layer, share), layer.motion, True, anchor, track))
    track = product_track(layer, frames) if moving and frames is not None else None
    sprites.append(Sprite(_pad(colour(crop)), layer.box, layer.motion, True, anchor, track))
    return sprites


def sprite_at(
    sprite: Sprite, view: CameraView, depth: float, canvas: tuple[int, int], frame: int
) -> tuple[Rect, float, Rect | None]:
    """Where ``sprite`` is drawn at shot-local ``frame``, seen through ``view`` (``depth`` for image layers):
    its rect, its opacity and the window it is seen through (None: all of it)."""
    (rect, window), anchor = sprite.track(frame) if sprite.track else (sprite.rect, None), sprite.anchor or sprite.rect
    if sprite.follows_camera:
        rect, anchor = view.rect(rect, canvas, depth), view.rect(anchor, canvas, depth)
        window = view.rect(window, canvas, depth) if window is not None else None
    if window is not None:
        window = sprite.motion.apply(window, anchor, canvas, frame)[0]
    rect, opacity = sprite.motion.apply(rect, anchor, canvas, frame)
    return rect, opacity, window


def layer_pixels(
    layer: ImagePlacement, source: Image.Image, rect: Rect, canvas: tuple[int, int]
) -> tuple[Image.Image, tuple[int, int]] | None:
    """The layer's reference resampled into ``rect`` as the compositor draws it: RGBA pixels and their origin."""
    (sprite,) = _image_sprites(layer, source, shadow=False, reflection=False)
    piece = resample(sprite, rect, 1.0, canvas)
    return None if piece is None else (piece.image, piece.origin)


def layer_pixels_at(
    shot: PlannedShot, layer: ImagePlacement, source: Image.Image, frame: int, canvas: tuple[int, int]
) -> tuple[Image.Image, tuple[int, int]] | None:
    """The layer's reference as the compositor draws it at shot-local ``frame`` (its treatment, the camera,
    its entrance and exit; opacity aside): RGBA pixels and their origin."""
    (sprite,) = _image_sprites(layer, source, shadow=False, frames=shot.frames, reflection=False)
    view = shot.camera.view(frame, shot.frames, canvas)
    rect, _, window = sprite_at(sprite, view, shot.camera.layer_depth, canvas, frame)
    piece = resample(sprite, rect, 1.0, canvas, window)
    return None if piece is None else (piece.image, piece.origin)


def layer_at_rest(layer: ImagePlacement, source: Image.Image, canvas: tuple[int, int]) -> Image.Image:
    """``layer`` where it rests, with its reflection, on a transparent RGBA image of the canvas size."""
    image = Image.new("RGBA", canvas, (0, 0, 0, 0))
    for index, sprite in enumerate(_image_sprites(layer, source, shadow=False)):
        piece = resample(sprite, sprite.rect, 1.0, canvas)
        if piece is not None and index == 0:
            image.paste(piece.image, piece.origin)
        elif piece is not None:  # the product over its reflection
            image.alpha_composite(piece.image, piece.origin)
    return image


def text_box(layer: TextPlacement) -> tuple[int, int, int, int]:
    """Where a text is drawn at rest: its box snapped to whole pixels (x, y, w, h), so glyphs stay crisp."""
    x, y, w, h = layer.box
    return round(x), round(y), max(1, round(w)), max(1, round(h))


def _text_sprite(layer: TextPlacement, colour: Colour) -> Sprite:
    x, y, w, h = text_box(layer)
    layout = TextLayout(layer.lines, layer.font_size, layer.line_height)
    image = draw_text(
        layout, layer.fonts, layer.weight, (w, h), color=layer.color, align=layer.align, stroke=layer.stroke,
        shadow=layer.shadow, plate=layer.plate, lang=layer.lang,
    )  # fmt: skip
    return Sprite(_pad(colour(image)), (float(x), float(y), float(w), float(h)), layer.motion, False)


def _piece_sprites(layer: TextPlacement, colour: Colour) -> list[Sprite]:
    """A caption's or a kinetic text's pieces; a kinetic text's move about the whole text when it leaves."""
    x, y, w, h = text_box(layer)
    kinetic = layer.kinetic is not None
    pieces = kinetic_images(layer, (w, h)) if kinetic else caption_images(layer, (w, h))
    anchor = (float(x), float(y), float(w), float(h)) if kinetic else None
    return [
        Sprite(
            _pad(colour(image)),
            (float(x + dx), float(y + dy), float(image.width), float(image.height)),
            motion,
            False,
            anchor,
        )
        for image, (dx, dy), motion in pieces
    ]


def shot_sprites(
    shot: PlannedShot,
    source: Callable[[ImagePlacement], Image.Image | None],
    pinning: bool,
    colour: Colour = as_is,
) -> list[Sprite]:
    """Every layer of ``shot`` as sprites, bottom first; an image layer whose ``source`` is None is left out.

    ``colour`` converts each sprite's pixels (RGBA) once, before they are padded and premultiplied.
    """
    sprites = []
    for layer in shot.layers:
        if isinstance(layer, TextPlacement) and (layer.caption is not None or layer.kinetic is not None):
            sprites.extend(_piece_sprites(layer, colour))
            continue
        if isinstance(layer, TextPlacement):
            sprites.append(_text_sprite(layer, colour))
            continue
        if isinstance(layer, ShapePlacement):  # screen space, like text; never pinned
            drawn = shape_images(layer, shot.frames)
            sprites.extend(Sprite(_pad(colour(image)), rect, moves, False) for image, rect, moves in drawn)
            continue
        reference = source(layer)
        if reference is not None:
            # A pinned layer stands in a scene generated around it, its reflection pinned with it: no synthetic shadow.
            pinned = pinning and is_pinnable(shot, layer)
            sprites.extend(
                _image_sprites(layer, reference, layer.shadow and not pinned, colour, shot.frames, not pinned)
            )
    return sprites
