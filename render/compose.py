"""Compositing: a shot plan's layers drawn into frames, with sub-pixel motion.

Each frame is the shot's background keyframe seen through the camera, the image layers (product
with its contact shadow, mascot) seen through the same camera, and the text layers in screen space;
then each layer's entrance and exit move it on screen. Every layer is resampled straight into its
fractional rectangle (bilinear, alpha premultiplied), so slow moves glide instead of stepping whole
pixels. A product or mascot is resampled from its reference in one step in every frame: its pixels
are the reference under the plan's transform, whatever the keyframe under it holds.

Directions. A slide entrance or exit names where the layer travels: ``slide-right`` enters from
the left edge, and as an exit leaves off the right edge. A pan or parallax names where the camera
turns or travels, so the picture moves the other way on screen: under ``pan-left`` the background
travels right; ``pan-up`` moves it down. Under parallax, products and mascots travel ``depth``
times as far as the background. A slide or wipe transition names where it travels: a ``left``
slide brings the incoming shot in from the right edge over the outgoing one, a ``left`` wipe's edge
sweeps from right to left with the incoming shot on its right.

Image layers resting through a whole shot (not under parallax) are pinned into its keyframe when
the backend can: the scene is generated around them, and they are drawn without synthetic shadow.

Frames are produced in order, a few at a time in threads. When nothing moves between two frames
the previous frame object is yielded again, so the encoder can reuse its bytes.
"""

from __future__ import annotations

import collections
import concurrent.futures
import copy
import functools
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from generator.core.errors import RenderError
from generator.core.identity import stable_seed
from generator.planning.assets import AssetResolver, Cutout
from generator.planning.plan import ImagePlacement, Motion, PlannedShot, ShotPlan, TextPlacement
from render.backends import KeyframeRequest, Reference, Renderer
from render.text import TextLayout, draw_text

_PAD = 4  # transparent border around sprites, so resampling boxes never leave the image
_POP_FROM = 0.6  # a popping layer starts (or, leaving, ends) at this fraction of its size
SHADOW_MARGIN = 0.06  # contact shadow below a product, as a fraction of its height
_WIPE_FEATHER = 2.5  # pixels over which a wipe's edge goes from the outgoing shot to the incoming one
_ZOOM_TRANSITION = 0.15  # a zoom transition enlarges the outgoing shot by this fraction

Rect = tuple[float, float, float, float]

EASINGS: Mapping[str, Callable[[float], float]] = MappingProxyType({
    "linear": lambda t: t,
    "ease-in": lambda t: 1 - math.cos(math.pi * t / 2),
    "ease-out": lambda t: math.sin(math.pi * t / 2),
    "ease-in-out": lambda t: 0.5 - 0.5 * math.cos(math.pi * t),
    "ease-in-cubic": lambda t: t**3,
    "ease-out-cubic": lambda t: 1 - (1 - t) ** 3,
    "ease-in-out-cubic": lambda t: 4 * t**3 if t < 0.5 else 1 - (2 - 2 * t) ** 3 / 2,
    "ease-out-back": lambda t: 1 + 2.70158 * (t - 1) ** 3 + 1.70158 * (t - 1) ** 2,
})  # fmt: skip
_SLIDES: Mapping[str, str] = MappingProxyType({f"slide-{side}": side for side in ("left", "right", "up", "down")})
_OPPOSITE: Mapping[str, str] = MappingProxyType({"left": "right", "right": "left", "up": "down", "down": "up"})
# Which way the picture travels on screen under each pan: the opposite of where the camera turns.
_PANS: Mapping[str, tuple[int, int]] = MappingProxyType({
    "pan-left": (1, 0), "pan-right": (-1, 0), "pan-up": (0, 1), "pan-down": (0, -1),
    "parallax-left": (1, 0), "parallax-right": (-1, 0),
})  # fmt: skip
# Transposes that turn a transition travelling in each direction into one travelling left.
_TO_LEFT: Mapping[str, tuple[Image.Transpose, ...]] = MappingProxyType({
    "left": (), "right": (Image.Transpose.FLIP_LEFT_RIGHT,), "up": (Image.Transpose.TRANSPOSE,),
    "down": (Image.Transpose.TRANSPOSE, Image.Transpose.FLIP_LEFT_RIGHT),
})  # fmt: skip
_CAMERA_MOVES = frozenset({"none", "push-in", "pull-out", *_PANS})
_LAYER_MOTIONS = frozenset({"none", "fade", "pop", *_SLIDES})
_TRANSITIONS = frozenset({"crossfade", "slide", "wipe", "zoom"})


def ease(name: str, t: float) -> float:
    """``t`` clamped to [0, 1] through the easing curve ``name``; exactly 0 at 0 and 1 at 1."""
    if t <= 0.0:
        return 0.0
    if t >= 1.0:
        return 1.0
    return EASINGS[name](t)


@dataclass(frozen=True)
class CameraView:
    """The camera in one frame: a world point ``p`` (keyframe pixels) is seen at
    ``c + (p - c) * scale + depth * (dx, dy)``, ``c`` the canvas centre and ``depth`` 1 but for
    image layers under parallax. Never rounded: slow moves stay sub-pixel."""

    scale: float = 1.0
    dx: float = 0.0
    dy: float = 0.0

    @property
    def at_rest(self) -> bool:
        return self.scale == 1.0 and self.dx == 0.0 and self.dy == 0.0

    def rect(self, rect: Rect, canvas: tuple[int, int], depth: float = 1.0) -> Rect:
        """``rect`` (world pixels) as seen on the canvas; unchanged, bit for bit, while at rest."""
        if self.at_rest:
            return rect
        cx, cy = canvas[0] / 2, canvas[1] / 2
        x, y, w, h = rect
        s = self.scale
        return (cx + (x - cx) * s + depth * self.dx, cy + (y - cy) * s + depth * self.dy, w * s, h * s)

    def box(self, canvas: tuple[int, int]) -> Rect:
        """The part of the world (at depth 1) the canvas shows, as a (left, top, right, bottom) crop
        box; kept inside the canvas against rounding (Pillow refuses a box a hair outside)."""
        width, height = canvas
        left = width / 2 - (width / 2 + self.dx) / self.scale
        top = height / 2 - (height / 2 + self.dy) / self.scale
        return (
            max(0.0, left),
            max(0.0, top),
            min(width, left + width / self.scale),
            min(height, top + height / self.scale),
        )


def camera_view(shot: PlannedShot, frame: int, canvas: tuple[int, int]) -> CameraView:
    """The camera at shot-local ``frame``; frames past the shot's end hold the last view.

    A push or pull zooms by ``amount`` about the centre. Pans and parallax look through a view
    zoomed by ``1 + amount`` and travel across the whole margin that zoom gives, from one side to
    the other. The camera never looks past the keyframe: an easing that overshoots
    (``ease-out-back``) holds at the end of the move instead.
    """
    move, amount = shot.camera.move, shot.camera.amount
    if move == "none" or amount == 0:
        return CameraView()
    t = min(1.0, ease(shot.camera.ease, frame / max(1, shot.frames - 1)))
    if move == "push-in":
        return CameraView(1 + amount * t)
    if move == "pull-out":
        return CameraView(1 + amount * (1 - t))
    sx, sy = _PANS[move]
    travel = (2 * t - 1) * amount / 2  # from one margin to the other, as a fraction of the canvas
    return CameraView(1 + amount, sx * travel * canvas[0], sy * travel * canvas[1])


def _depth(shot: PlannedShot) -> float:
    """How many times as far as the background image layers travel under the shot's camera."""
    return shot.camera.depth if shot.camera.move.startswith("parallax") else 1.0


def _progress(elapsed: int, frames: int) -> float:
    """Linear progress after ``elapsed`` frames of a ``frames``-frame move: 1 on its last frame."""
    return 1.0 if frames <= 0 else min(1.0, (elapsed + 1) / frames)


def _moved(motion: Motion, rect: Rect, anchor: Rect, canvas: tuple[int, int], frame: int) -> tuple[Rect, float]:
    """``rect`` (screen pixels) and its opacity at shot-local ``frame`` under ``motion``'s entrance, then its exit.

    ``anchor`` is the footprint of the whole layer ``rect`` belongs to (a product with its shadow):
    a pop scales about its centre and a slide carries all of it just past the canvas edge.
    """
    if frame < motion.start:
        return rect, 0.0
    q = _progress(frame - motion.start, motion.frames)
    rect, opacity = _away(motion.enter, 1 - ease(motion.ease, q), q, rect, anchor, canvas, entering=True)
    if motion.exit != "none" and frame >= motion.exit_start:
        q = _progress(frame - motion.exit_start, motion.exit_frames)
        rect, shown = _away(motion.exit, ease(motion.exit_ease, q), 1 - q, rect, anchor, canvas, entering=False)
        opacity *= shown
    return rect, opacity


def _away(
    kind: str, away: float, shown: float, rect: Rect, anchor: Rect, canvas: tuple[int, int], *, entering: bool
) -> tuple[Rect, float]:
    """``rect`` moved ``away`` from rest (0: at rest, 1: all the way, eased) by an entrance or exit
    of ``kind``, and its opacity; ``shown`` is the linear part of the way it is in (a pop's fade)."""
    x, y, w, h = rect
    if kind == "fade":
        return rect, min(1.0, max(0.0, 1 - away))
    if kind == "pop":
        ax, ay, aw, ah = anchor
        shrink = (1 - _POP_FROM) * away
        return (
            x + (ax + aw / 2 - x) * shrink,
            y + (ay + ah / 2 - y) * shrink,
            w * (1 - shrink),
            h * (1 - shrink),
        ), min(1.0, shown * 2.5)
    if kind in _SLIDES:  # the shortest move that takes the whole anchor just past the edge
        edge = _OPPOSITE[_SLIDES[kind]] if entering else _SLIDES[kind]
        ax, ay, aw, ah = anchor
        dx, dy = {
            "left": (-(ax + aw), 0.0),
            "right": (canvas[0] - ax, 0.0),
            "up": (0.0, -(ay + ah)),
            "down": (0.0, canvas[1] - ay),
        }[edge]
        return (x + dx * away, y + dy * away, w, h), 1.0
    return rect, 1.0


def _footprint(layer: ImagePlacement | TextPlacement) -> Rect:
    """A layer's box, down to the foot of its contact shadow's band when it has one (see ``_image_sprites``)."""
    x, y, w, h = layer.box
    return (x, y, w, h * (1 + SHADOW_MARGIN)) if isinstance(layer, ImagePlacement) and layer.shadow else layer.box


def layer_rect(
    shot: PlannedShot, layer: ImagePlacement | TextPlacement, frame: int, canvas: tuple[int, int]
) -> tuple[Rect, float]:
    """Where a layer is drawn at shot-local ``frame`` (canvas pixels, fractional), and its opacity.

    An image layer is seen through the camera (travelling ``depth`` times as far under parallax),
    text stays in screen space; then the entrance and exit move it on screen.
    """
    anchor = _footprint(layer)
    if isinstance(layer, TextPlacement):
        return _moved(layer.motion, layer.box, anchor, canvas, frame)
    view, depth = camera_view(shot, frame, canvas), _depth(shot)
    return _moved(layer.motion, view.rect(layer.box, canvas, depth), view.rect(anchor, canvas, depth), canvas, frame)


def settled_frame(shot: PlannedShot) -> int:
    """Shot-local frame where every layer has finished entering (or the last frame), past any blend.

    The frame a storyboard shows for the shot and where text legibility is measured.
    """
    blend = shot.transition_in.frames if shot.transition_in is not None else 0
    entered = max((layer.motion.start + layer.motion.frames for layer in shot.layers), default=0)
    return min(shot.frames - 1, max(blend, entered))


@dataclass(frozen=True)
class _Sprite:
    """A layer's pixels (RGBa, padded by ``_PAD``) and where they sit at rest, in canvas pixels.

    ``anchor`` is the footprint of the layer the sprite is part of (None: the sprite's own rect).
    """

    image: Image.Image
    rect: Rect
    motion: Motion
    follows_camera: bool
    anchor: Rect | None = None


@dataclass(frozen=True)
class _State:
    """Everything that decides the pixels of one frame of one shot."""

    renderer: int  # id() of the _ShotRenderer
    view: CameraView
    baked: int  # bottom layers drawn into the world image
    layers: tuple[tuple[Rect, float], ...]  # (screen rect, opacity) of every other layer


@dataclass(frozen=True)
class _Blend:
    """A frame of a transition: both shots' states and how far it has gone (eased, 0..1)."""

    type: str
    direction: str
    progress: float
    outgoing: _State
    incoming: _State


class _ShotRenderer:
    """Draws one shot's frames.

    While the camera is at rest, image layers that rest in place are baked, in z-order from the
    bottom, into a "world" image with the background, so frames reuse it. Under a camera move every
    image layer is resampled on its own, never twice. The world for each number of baked layers and
    the last resampled piece of each moving layer are kept for reuse.
    """

    def __init__(self, plan: ShotPlan, shot: PlannedShot, background: Image.Image, sprites: list[_Sprite]) -> None:
        self.size = plan.size
        self.shot = shot
        self.depth = _depth(shot)
        self.background = background
        self.sprites = sprites
        self._worlds: dict[int, Image.Image] = {}
        self._pieces: dict[int, tuple[tuple[int, ...], _Piece | None]] = {}

    def state(self, frame: int) -> _State:
        """What shot-local ``frame`` shows."""
        view = camera_view(self.shot, frame, self.size)
        baked = 0
        layers: list[tuple[Rect, float]] = []
        for sprite in self.sprites:
            rect, anchor = sprite.rect, sprite.anchor or sprite.rect
            if sprite.follows_camera:
                rect, anchor = view.rect(rect, self.size, self.depth), view.rect(anchor, self.size, self.depth)
            rect, opacity = _moved(sprite.motion, rect, anchor, self.size, frame)
            if (
                baked == len(layers)
                and view.at_rest
                and sprite.follows_camera
                and opacity == 1.0
                and rect == sprite.rect
            ):
                baked += 1  # at rest under every moving layer: part of the world image
                continue
            layers.append((rect, opacity))
        return _State(id(self), view, baked, tuple(layers))

    def draw(self, state: _State) -> Image.Image:
        world = self._world(state.baked)
        view = state.view
        frame = (
            world.copy()
            if view.at_rest
            else world.resize(self.size, Image.Resampling.BILINEAR, box=view.box(self.size))
        )
        for index, (rect, opacity) in enumerate(state.layers, start=state.baked):
            piece = self._cached_piece(index, rect, opacity)
            if piece is not None:
                frame.paste(piece.image, piece.origin, piece.mask)
        return frame

    def draw_area(self, state: _State, area: tuple[int, int, int, int]) -> Image.Image:
        """The part ``area`` (left, top, right, bottom; canvas pixels) of what ``draw`` gives, drawn alone."""
        left, top, right, bottom = area
        world, view = self._world(state.baked), state.view
        if view.at_rest:
            frame = world.crop(area)
        else:  # the same sampling positions as the whole frame's resize
            x0, y0, x1, y1 = view.box(self.size)
            sx, sy = (x1 - x0) / self.size[0], (y1 - y0) / self.size[1]
            box = (x0 + left * sx, y0 + top * sy, x0 + right * sx, y0 + bottom * sy)
            frame = world.resize((right - left, bottom - top), Image.Resampling.BILINEAR, box=box)
        for index, (rect, opacity) in enumerate(state.layers, start=state.baked):
            piece = _resample(self.sprites[index], rect, opacity, self.size)
            if piece is not None:
                frame.paste(piece.image, (piece.origin[0] - left, piece.origin[1] - top), piece.mask)
        return frame

    def _world(self, baked: int) -> Image.Image:
        if baked not in self._worlds:
            world = self.background.copy()
            for sprite in self.sprites[:baked]:
                piece = _resample(sprite, sprite.rect, 1.0, self.size)
                if piece is not None:
                    world.paste(piece.image, piece.origin, piece.mask)
            self._worlds[baked] = world
        return self._worlds[baked]

    def _cached_piece(self, index: int, rect: Rect, opacity: float) -> _Piece | None:
        key = (*(round(v * 1e4) for v in rect), round(opacity * 1e4))
        cached = self._pieces.get(index)
        if cached is None or cached[0] != key:
            cached = (key, _resample(self.sprites[index], rect, opacity, self.size))
            self._pieces[index] = cached
        return cached[1]


@dataclass(frozen=True)
class _Piece:
    """A sprite resampled for one placement: straight-alpha pixels, the mask to paste with, and where."""

    image: Image.Image
    mask: Image.Image
    origin: tuple[int, int]


def _resample(sprite: _Sprite, rect: Rect, opacity: float, canvas: tuple[int, int]) -> _Piece | None:
    """``sprite`` resampled into ``rect`` (canvas pixels, fractional), clipped to the canvas."""
    x, y, w, h = rect
    width, height = canvas
    x0, y0 = max(0, math.floor(x)), max(0, math.floor(y))
    x1, y1 = min(width, math.ceil(x + w)), min(height, math.ceil(y + h))
    if x1 <= x0 or y1 <= y0 or w <= 0 or h <= 0 or opacity <= 0.0:
        return None
    source = sprite.image
    inner_w, inner_h = source.width - 2 * _PAD, source.height - 2 * _PAD
    rx, ry = inner_w / w, inner_h / h
    box = (
        min(max(0.0, _PAD + (x0 - x) * rx), source.width),
        min(max(0.0, _PAD + (y0 - y) * ry), source.height),
        min(max(0.0, _PAD + (x1 - x) * rx), source.width),
        min(max(0.0, _PAD + (y1 - y) * ry), source.height),
    )
    image = source.resize((x1 - x0, y1 - y0), Image.Resampling.BILINEAR, box=box).convert("RGBA")
    mask = image.getchannel("A")
    if opacity < 1.0:
        mask = mask.point(_opacity_lut(opacity))
    return _Piece(image, mask, (x0, y0))


def _opacity_lut(opacity: float) -> list[int]:
    return [round(v * opacity) for v in range(256)]


def _pad(image: Image.Image) -> Image.Image:
    padded = Image.new("RGBa", (image.width + 2 * _PAD, image.height + 2 * _PAD), (0, 0, 0, 0))
    padded.paste(image.convert("RGBa"), (_PAD, _PAD))
    return padded


def _image_sprites(layer: ImagePlacement, source: Image.Image, shadow: bool) -> list[_Sprite]:
    """A product or mascot at the reference's own resolution, after its contact shadow if ``shadow``."""
    sprites = []
    anchor = _footprint(layer)
    x, y, w, h = layer.box
    if shadow:
        # The shadow is a blurred ellipse in a band around the layer's foot, drawn at rest size.
        margin = h * SHADOW_MARGIN
        band = Image.new("RGBA", (max(1, math.ceil(w)), max(1, math.ceil(3 * margin))), (0, 0, 0, 0))
        ImageDraw.Draw(band).ellipse((w * 0.14, margin * 1.4, w * 0.86, margin * 2.5), fill=(20, 14, 10, 120))
        band = band.filter(ImageFilter.GaussianBlur(margin * 0.45))
        sprites.append(_Sprite(_pad(band), (x, y + h - 2 * margin, w, 3 * margin), layer.motion, True, anchor))
    sprites.append(_Sprite(_pad(source.crop(layer.crop)), layer.box, layer.motion, True, anchor))
    return sprites


def layer_pixels(
    layer: ImagePlacement, source: Image.Image, rect: Rect, canvas: tuple[int, int]
) -> tuple[Image.Image, tuple[int, int]] | None:
    """The layer's reference resampled into ``rect`` as the compositor draws it: RGBA pixels and their origin."""
    (sprite,) = _image_sprites(layer, source, shadow=False)
    piece = _resample(sprite, rect, 1.0, canvas)
    return None if piece is None else (piece.image, piece.origin)


def is_pinnable(shot: PlannedShot, layer: ImagePlacement) -> bool:
    """Whether ``layer`` stays where the keyframe would show it for its whole shot, so it can be part of it.

    It must rest from the first frame and never exit, and the shot must not be a parallax move
    (the layer would slide off its pinned copy).
    """
    motion = layer.motion
    resting = motion.start == 0 and (motion.enter == "none" or motion.frames == 0) and motion.exit == "none"
    return resting and not shot.camera.move.startswith("parallax")


def layer_at_rest(layer: ImagePlacement, source: Image.Image, canvas: tuple[int, int]) -> Image.Image:
    """``layer`` alone where it rests, on a transparent RGBA image of the canvas size."""
    (sprite,) = _image_sprites(layer, source, shadow=False)
    image = Image.new("RGBA", canvas, (0, 0, 0, 0))
    piece = _resample(sprite, sprite.rect, 1.0, canvas)
    if piece is not None:
        image.paste(piece.image, piece.origin)
    return image


def text_box(layer: TextPlacement) -> tuple[int, int, int, int]:
    """Where a text is drawn at rest: its box snapped to whole pixels (x, y, w, h), so glyphs stay crisp."""
    x, y, w, h = layer.box
    return round(x), round(y), max(1, round(w)), max(1, round(h))


def _text_sprite(layer: TextPlacement) -> _Sprite:
    x, y, w, h = text_box(layer)
    layout = TextLayout(layer.lines, layer.font_size, layer.line_height)
    image = draw_text(
        layout, layer.fonts, layer.weight, (w, h), color=layer.color, align=layer.align, stroke=layer.stroke,
        shadow=layer.shadow, plate=layer.plate, lang=layer.lang,
    )  # fmt: skip
    return _Sprite(_pad(image), (float(x), float(y), float(w), float(h)), layer.motion, False)


def _sprites(shot: PlannedShot, source: Callable[[ImagePlacement], Image.Image | None], pinning: bool) -> list[_Sprite]:
    """Every layer of ``shot`` as sprites, bottom first; an image layer whose ``source`` is None is left out."""
    sprites = []
    for layer in shot.layers:
        if isinstance(layer, TextPlacement):
            sprites.append(_text_sprite(layer))
            continue
        reference = source(layer)
        if reference is not None:
            # A pinned layer stands in a scene generated around it: no synthetic shadow.
            shadow = layer.shadow and not (pinning and is_pinnable(shot, layer))
            sprites.extend(_image_sprites(layer, reference, shadow))
    return sprites


def shot_still(
    plan: ShotPlan,
    shot: PlannedShot,
    frame: int,
    background: Image.Image,
    source: Callable[[ImagePlacement], Image.Image | None],
    pinning: bool = False,
    area: tuple[int, int, int, int] | None = None,
) -> Image.Image:
    """Shot-local ``frame`` of ``shot`` alone (no transition blend), drawn over ``background``, its keyframe.

    ``source`` gives each image layer's reference (RGBA, cutout applied), or None to leave the layer
    out; ``pinning`` says whether resting layers were pinned into ``background``; ``area`` (left,
    top, right, bottom; inside the canvas) draws only that part. Pixels equal the compositor's for
    the same frame outside transitions.
    """
    renderer = _ShotRenderer(plan, shot, background.convert("RGB"), _sprites(shot, source, pinning))
    state = renderer.state(frame)
    return renderer.draw(state) if area is None else renderer.draw_area(state, area)


def keyframe_requests(plan: ShotPlan, assets: AssetResolver, roles: frozenset[str]) -> list[KeyframeRequest]:
    """The keyframe each shot of ``plan`` needs, in shot order, using only the backend's ``roles``.

    A scene is made at the plan's ``scene_size``; at another size it is extended to the plan's
    canvas. Layers that rest through the whole shot are then pinned into it, and a backend that can
    condition on a subject is given the mascot's reference in shots that show the mascot.
    """
    requests = []
    for shot in plan.shots:
        background = shot.background
        images = [layer for layer in shot.layers if isinstance(layer, ImagePlacement)]
        subject = None
        mascot = next((layer for layer in images if layer.kind == "mascot"), None)
        if "subject" in roles and mascot is not None:
            load = functools.partial(_reference, mascot, assets)
            subject = Reference("mascot", f"{mascot.ref.sha256}:{mascot.crop}:{mascot.ref.cutout}", load)
        scene_size = background.scene_size if "extend" in roles else plan.size
        request = KeyframeRequest(
            prompt=background.prompt, negative=background.negative, size=scene_size, seed=background.seed,
            palette=background.palette, accent=background.accent, subject=subject,
        )  # fmt: skip
        if request.size != plan.size:
            request = replace(request, size=plan.size, seed=stable_seed(background.seed, "extend"), base=request)
        pinned = tuple(
            Reference(
                layer.kind,
                f"{layer.ref.sha256}:{layer.crop}:{layer.ref.cutout}:{layer.box}",
                functools.partial(_pinned, layer, assets, plan.size),
            )  # fmt: skip
            for layer in images
            if "pin" in roles and is_pinnable(shot, layer)
        )
        if pinned:
            request = replace(request, seed=stable_seed(background.seed, "pin"), base=request, pinned=pinned)
        requests.append(request)
    return requests


def _pinned(layer: ImagePlacement, assets: AssetResolver, canvas: tuple[int, int]) -> Image.Image:
    return layer_at_rest(layer, layer_source(layer, assets), canvas)


def _reference(layer: ImagePlacement, assets: AssetResolver) -> Image.Image:
    return layer_source(layer, assets).crop(layer.crop)


def layer_source(layer: ImagePlacement, assets: AssetResolver) -> Image.Image:
    """The reference image of an image layer, its cutout applied (RGBA)."""
    return assets.image(layer.ref.source, layer.ref.sha256, Cutout(layer.ref.cutout, layer.ref.cutout_background))


class Compositor:
    """Produces a plan's frames in order.

    Args:
        plan: what to draw.
        renderer: backend for the background keyframes (all requested in one batch).
        assets: resolves the plan's image references.

    Attributes:
        backgrounds: each shot's keyframe (RGB), as the renderer made it.
        pinning: whether resting layers were pinned into the keyframes.

    Raises:
        RenderError: the plan names a camera move, entrance, exit, easing or transition this
            compositor does not know.
    """

    def __init__(self, plan: ShotPlan, renderer: Renderer, assets: AssetResolver) -> None:
        _check_names(plan)
        self.plan = plan
        self.assets = assets
        self.pinning = "pin" in renderer.roles
        self.backgrounds = tuple(
            image.convert("RGB") for image in renderer.render(keyframe_requests(plan, assets, renderer.roles))
        )
        self._shots = self._renderers()

    def _renderers(self) -> list[_ShotRenderer]:
        def source(layer: ImagePlacement) -> Image.Image:
            return layer_source(layer, self.assets)

        return [
            _ShotRenderer(self.plan, shot, background, _sprites(shot, source, self.pinning))
            for shot, background in zip(self.plan.shots, self.backgrounds)
        ]

    def restyled(self, plan: ShotPlan) -> Compositor:
        """This compositor drawing ``plan`` on the same keyframes; ``plan`` differs only in how its texts look.

        Raises:
            RenderError: ``plan`` has other shots or backgrounds than this compositor's.
        """
        if [(s.id, s.background) for s in plan.shots] != [(s.id, s.background) for s in self.plan.shots]:
            raise RenderError("a restyled plan must keep the shots and backgrounds of the original")
        twin = copy.copy(self)
        twin.plan = plan
        twin._shots = twin._renderers()
        return twin

    def _jobs(self) -> Iterator[tuple[object, Callable[[], Image.Image]]]:
        """(state, draw) for every frame in order; ``draw`` makes the frame of ``state``.

        A transition covers the first frames of the incoming shot; the outgoing shot goes on past
        its end meanwhile (its camera holding, its exits done).
        """
        previous: _ShotRenderer | None = None
        for shot, current in zip(self.plan.shots, self._shots):
            transition = shot.transition_in if previous is not None else None
            blend_frames = min(transition.frames, shot.frames) if transition is not None else 0
            for local in range(shot.frames):
                state = current.state(local)
                if transition is not None and previous is not None and local < blend_frames:
                    progress = min(1.0, max(0.0, ease(transition.ease, (local + 1) / (blend_frames + 1))))
                    outgoing = previous.state(previous.shot.frames + local)
                    blend = _Blend(transition.type, transition.direction, progress, outgoing, state)
                    yield blend, functools.partial(_draw_blend, previous, current, blend)
                else:
                    yield state, functools.partial(current.draw, state)
            previous = current

    def frames(self, workers: int = 2) -> Iterator[Image.Image]:
        """Every frame of the plan, in order; an unchanged frame is the previous object again.

        Up to ``workers`` frames are drawn at once in threads (Pillow releases the GIL while it
        resamples), a few frames ahead of the consumer.
        """
        ahead: collections.deque[concurrent.futures.Future[Image.Image]] = collections.deque()
        last_state: object = None
        last: concurrent.futures.Future[Image.Image] | None = None
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="compose") as pool:
            for state, draw in self._jobs():
                if last is None or state != last_state:
                    last, last_state = pool.submit(draw), state
                ahead.append(last)
                if len(ahead) > 2 * workers:
                    yield ahead.popleft().result()
            while ahead:
                yield ahead.popleft().result()


def _check_names(plan: ShotPlan) -> None:
    """Raise RenderError for a camera move, entrance, exit, easing or transition the compositor lacks."""
    for shot in plan.shots:
        names = [("camera move", shot.camera.move, _CAMERA_MOVES), ("easing", shot.camera.ease, EASINGS)]
        for motion in (layer.motion for layer in shot.layers):
            names += [("entrance", motion.enter, _LAYER_MOTIONS), ("exit", motion.exit, _LAYER_MOTIONS),
                      ("easing", motion.ease, EASINGS), ("easing", motion.exit_ease, EASINGS)]  # fmt: skip
        if (transition := shot.transition_in) is not None:
            names += [("transition", transition.type, _TRANSITIONS), ("easing", transition.ease, EASINGS),
                      ("transition direction", transition.direction, _TO_LEFT)]  # fmt: skip
        for what, name, known in names:
            if name not in known:
                raise RenderError(f"unknown {what} {name!r}; known: {', '.join(sorted(known))}", shot=shot.id)


def _draw_blend(outgoing: _ShotRenderer, incoming: _ShotRenderer, blend: _Blend) -> Image.Image:
    before, after = outgoing.draw(blend.outgoing), incoming.draw(blend.incoming)
    if blend.type == "crossfade":
        return Image.blend(before, after, blend.progress)
    if blend.type == "zoom":  # the outgoing shot zooms in about the centre as it fades out
        box = CameraView(1 + _ZOOM_TRANSITION * blend.progress).box(before.size)
        return Image.blend(before.resize(before.size, Image.Resampling.BILINEAR, box=box), after, blend.progress)
    if blend.type == "slide":
        return _slide(before, after, blend.direction, blend.progress)
    return Image.composite(after, before, _wipe_mask(before.size, blend.direction, blend.progress))


def _turned(image: Image.Image, direction: str, *, back: bool = False) -> Image.Image:
    """``image`` transposed so that travelling ``direction`` becomes travelling left (``back``: undone)."""
    steps = _TO_LEFT[direction]
    for step in reversed(steps) if back else steps:
        image = image.transpose(step)
    return image


def _slide(outgoing: Image.Image, incoming: Image.Image, direction: str, progress: float) -> Image.Image:
    """``incoming`` slid ``progress`` of the way in over ``outgoing``, travelling ``direction``.

    Turned to travel left, the incoming shot's left edge is at ``width * (1 - progress)``: a
    fractional column, covered in part, and whole columns resampled at the fractional offset.
    ``outgoing`` is drawn on.
    """
    below, above = _turned(outgoing, direction), _turned(incoming, direction)
    width, height = below.size
    left = width * (1 - progress)
    edge = math.floor(left)
    if edge < width:
        if edge + 1 < width:
            box = (edge + 1 - left, 0.0, width - left, float(height))
            below.paste(above.resize((width - edge - 1, height), Image.Resampling.BILINEAR, box=box), (edge + 1, 0))
        cover = Image.new("L", (1, height), round(255 * (edge + 1 - left)))
        below.paste(above.crop((0, 0, 1, height)), (edge, 0), cover)
    return _turned(below, direction, back=True)


def _wipe_mask(size: tuple[int, int], direction: str, progress: float) -> Image.Image:
    """How much of the incoming shot a wipe shows (L, 255: all), its edge ``progress`` of the way across.

    Turned to travel left, the edge starts just past the right side and ends just past the left
    one; columns right of it show the incoming shot, with a ``_WIPE_FEATHER``-pixel soft edge at
    its fractional position.
    """
    width, height = size[::-1] if Image.Transpose.TRANSPOSE in _TO_LEFT[direction] else size
    edge = (width + _WIPE_FEATHER) * (1 - progress) - _WIPE_FEATHER / 2
    cover = np.clip((np.arange(width) + 0.5 - edge) / _WIPE_FEATHER + 0.5, 0.0, 1.0)
    row = np.round(cover * 255).astype(np.uint8)
    return _turned(Image.fromarray(np.ascontiguousarray(np.broadcast_to(row, (height, width)))), direction, back=True)
