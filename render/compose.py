"""Compositing: a shot plan's layers drawn into frames, with sub-pixel motion.

Each frame is the shot's background keyframe seen through the camera, the image layers (product
with its contact shadow, mascot) moved by their entrances and the camera, and the text layers in
screen space. Every layer is resampled straight into its fractional rectangle (bilinear, alpha
premultiplied), so slow moves glide instead of stepping whole pixels. A product or mascot is
resampled from its reference in one step in every frame: its pixels are the reference under the
plan's transform, whatever the keyframe under it holds.

Image layers that rest from a shot's first frame are pinned into its keyframe when the backend can
do it: the scene is generated around them, and they are drawn without the synthetic shadow.

Frames are produced in order, a few at a time in threads. When nothing moves between two frames
the previous frame object is yielded again, so the encoder can reuse its bytes.
"""

from __future__ import annotations

import collections
import concurrent.futures
import functools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from PIL import Image, ImageDraw, ImageFilter

from generator.assets import AssetResolver, Cutout
from generator.plan import ImagePlacement, Motion, PlannedShot, ShotPlan, TextPlacement, stable_seed
from render.backends import KeyframeRequest, Reference, Renderer
from render.text import TextLayout, draw_text, find_font

_PAD = 4  # transparent border around sprites, so resampling boxes never leave the image
_POP_FROM = 0.6  # a popping layer starts at this fraction of its size
_SHADOW_MARGIN = 0.06  # contact shadow below a product, as a fraction of its height

Rect = tuple[float, float, float, float]


def ease_in_out_sine(t: float) -> float:
    return 0.5 - 0.5 * math.cos(math.pi * t)


def ease_out_cubic(t: float) -> float:
    return 1 - (1 - t) ** 3


def ease_out_back(t: float) -> float:
    c1 = 1.70158
    return 1 + (c1 + 1) * (t - 1) ** 3 + c1 * (t - 1) ** 2


def camera_scale(shot: PlannedShot, frame: int) -> float:
    """Zoom factor (>= 1) at shot-local ``frame``; frames past the shot's end hold the last value."""
    move, amount = shot.camera.move, shot.camera.amount
    if move == "none" or amount == 0:
        return 1.0
    progress = ease_in_out_sine(min(1.0, frame / max(1, shot.frames - 1)))
    return 1 + amount * (progress if move == "push-in" else 1 - progress)


def entrance(motion: Motion, rect: Rect, canvas: tuple[int, int], frame: int) -> tuple[Rect, float]:
    """A layer's rectangle and opacity at shot-local ``frame`` under its entrance ``motion``.

    Slides name the direction of travel: ``slide-right`` enters from the left edge.
    """
    if frame < motion.start:
        return rect, 0.0
    q = 1.0 if motion.frames == 0 else min(1.0, (frame - motion.start + 1) / motion.frames)
    x, y, w, h = rect
    if motion.enter == "fade":
        return rect, ease_out_cubic(q)
    if motion.enter == "pop":
        k = _POP_FROM + (1 - _POP_FROM) * ease_out_back(q)
        return (x + w * (1 - k) / 2, y + h * (1 - k) / 2, w * k, h * k), min(1.0, q * 2.5)
    remaining = 1 - ease_out_cubic(q)
    width, height = canvas
    offsets = {
        "slide-right": (-(x + w) * remaining, 0.0),
        "slide-left": ((width - x) * remaining, 0.0),
        "slide-up": (0.0, (height - y) * remaining),
        "slide-down": (0.0, -(y + h) * remaining),
    }
    dx, dy = offsets.get(motion.enter, (0.0, 0.0))
    return (x + dx, y + dy, w, h), 1.0


@dataclass(frozen=True)
class _Sprite:
    """A layer's pixels (RGBa, padded by ``_PAD``) and where they sit at rest, in canvas pixels."""

    image: Image.Image
    rect: Rect
    motion: Motion
    follows_camera: bool


class _ShotRenderer:
    """Draws one shot's frames.

    While the camera is at rest, image layers that have finished their entrance are baked, in
    z-order from the bottom, into a "world" image with the background, so frames reuse it. Under a
    camera move every image layer is resampled on its own, never twice. The world for each number
    of baked layers and the last resampled piece of each moving layer are kept for reuse.
    """

    def __init__(self, plan: ShotPlan, shot: PlannedShot, background: Image.Image, sprites: list[_Sprite]) -> None:
        self.size = plan.size
        self.shot = shot
        self.background = background
        self.sprites = sprites
        self._worlds: dict[int, Image.Image] = {}
        self._pieces: dict[int, tuple[tuple[int, ...], _Piece | None]] = {}

    def state(self, frame: int) -> tuple[object, ...]:
        """Everything that decides the pixels of shot-local ``frame``: (shot, zoom, baked layers, the rest)."""
        scale = camera_scale(self.shot, frame)
        baked = 0
        layers: list[tuple[Rect, float]] = []
        for sprite in self.sprites:
            rect, opacity = entrance(sprite.motion, sprite.rect, self.size, frame)
            if baked == len(layers) and scale == 1.0 and sprite.follows_camera and opacity == 1.0 and rect == sprite.rect:
                baked += 1  # at rest under every moving layer: part of the world image
                continue
            if sprite.follows_camera:
                rect = _zoom(rect, scale, self.size)
            layers.append((rect, opacity))
        return (id(self), scale, baked, tuple(layers))

    def draw(self, state: tuple[object, ...]) -> Image.Image:
        _, scale, baked, layers = state
        assert isinstance(scale, float) and isinstance(baked, int) and isinstance(layers, tuple)
        frame = self._camera(self._world(baked), scale)
        for index, (rect, opacity) in enumerate(layers, start=baked):
            piece = self._cached_piece(index, rect, opacity)
            if piece is not None:
                frame.paste(piece.image, piece.origin, piece.mask)
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

    def _camera(self, world: Image.Image, scale: float) -> Image.Image:
        if scale == 1.0:
            return world.copy()
        width, height = self.size
        half_w, half_h = width / 2 / scale, height / 2 / scale
        box = (width / 2 - half_w, height / 2 - half_h, width / 2 + half_w, height / 2 + half_h)
        return world.resize(self.size, Image.Resampling.BILINEAR, box=box)

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
    if x1 <= x0 or y1 <= y0 or w <= 0 or h <= 0:
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


def _zoom(rect: Rect, scale: float, size: tuple[int, int]) -> Rect:
    """``rect`` as seen by a camera zoomed by ``scale`` about the canvas centre."""
    if scale == 1.0:
        return rect
    cx, cy = size[0] / 2, size[1] / 2
    x, y, w, h = rect
    return (cx + (x - cx) * scale, cy + (y - cy) * scale, w * scale, h * scale)


def _pad(image: Image.Image) -> Image.Image:
    padded = Image.new("RGBa", (image.width + 2 * _PAD, image.height + 2 * _PAD), (0, 0, 0, 0))
    padded.paste(image.convert("RGBa"), (_PAD, _PAD))
    return padded


def _image_sprites(layer: ImagePlacement, source: Image.Image, shadow: bool) -> list[_Sprite]:
    """A product or mascot at the reference's own resolution, after its contact shadow if ``shadow``."""
    sprites = []
    x, y, w, h = layer.box
    if shadow:
        # The shadow is a blurred ellipse in a band around the layer's foot, drawn at rest size.
        margin = h * _SHADOW_MARGIN
        band = Image.new("RGBA", (max(1, math.ceil(w)), max(1, math.ceil(3 * margin))), (0, 0, 0, 0))
        ImageDraw.Draw(band).ellipse((w * 0.14, margin * 1.4, w * 0.86, margin * 2.5), fill=(20, 14, 10, 120))
        band = band.filter(ImageFilter.GaussianBlur(margin * 0.45))
        sprites.append(_Sprite(_pad(band), (x, y + h - 2 * margin, w, 3 * margin), layer.motion, follows_camera=True))
    sprites.append(_Sprite(_pad(source.crop(layer.crop)), layer.box, layer.motion, follows_camera=True))
    return sprites


def layer_rect(shot: PlannedShot, layer: ImagePlacement, frame: int, canvas: tuple[int, int]) -> tuple[Rect, float]:
    """Where an image layer is drawn at shot-local ``frame``, and its opacity: entrance, then camera."""
    rect, opacity = entrance(layer.motion, layer.box, canvas, frame)
    return _zoom(rect, camera_scale(shot, frame), canvas), opacity


def layer_pixels(layer: ImagePlacement, source: Image.Image, rect: Rect, canvas: tuple[int, int]) -> tuple[Image.Image, tuple[int, int]] | None:
    """The layer's reference resampled into ``rect`` as the compositor draws it: RGBA pixels and their origin."""
    (sprite,) = _image_sprites(layer, source, shadow=False)
    piece = _resample(sprite, rect, 1.0, canvas)
    return None if piece is None else (piece.image, piece.origin)


def is_pinnable(layer: ImagePlacement) -> bool:
    """Whether ``layer`` rests in place from its shot's first frame, so it can be part of the keyframe."""
    return layer.motion.start == 0 and (layer.motion.enter == "none" or layer.motion.frames == 0)


def layer_at_rest(layer: ImagePlacement, source: Image.Image, canvas: tuple[int, int]) -> Image.Image:
    """``layer`` alone where it rests, on a transparent RGBA image of the canvas size."""
    (sprite,) = _image_sprites(layer, source, shadow=False)
    image = Image.new("RGBA", canvas, (0, 0, 0, 0))
    piece = _resample(sprite, sprite.rect, 1.0, canvas)
    if piece is not None:
        image.paste(piece.image, piece.origin)
    return image


def _text_sprite(layer: TextPlacement) -> _Sprite:
    x, y, w, h = layer.box
    layout = TextLayout(layer.lines, layer.font_size, layer.line_height)
    # Text is drawn on whole pixels: the box is snapped so glyphs stay crisp at rest.
    size = (max(1, round(w)), max(1, round(h)))
    image = draw_text(
        layout,
        find_font(layer.font, layer.weight),
        size,
        color=layer.color,
        align=layer.align,
        stroke=layer.stroke,
        shadow=layer.shadow,
        plate=layer.plate,
    )
    return _Sprite(_pad(image), (float(round(x)), float(round(y)), float(size[0]), float(size[1])), layer.motion, False)


def keyframe_requests(plan: ShotPlan, assets: AssetResolver, roles: frozenset[str]) -> list[KeyframeRequest]:
    """The keyframe each shot of ``plan`` needs, in shot order, using only the backend's ``roles``.

    A scene is made at the plan's ``scene_size``; at another size it is extended to the plan's
    canvas. Layers that rest from the first frame are then pinned into it, and a backend that can
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
            Reference(layer.kind, f"{layer.ref.sha256}:{layer.crop}:{layer.ref.cutout}:{layer.box}",
                      functools.partial(_pinned, layer, assets, plan.size))  # fmt: skip
            for layer in images
            if "pin" in roles and is_pinnable(layer)
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
    """

    def __init__(self, plan: ShotPlan, renderer: Renderer, assets: AssetResolver) -> None:
        self.plan = plan
        roles = renderer.roles
        backgrounds = renderer.render(keyframe_requests(plan, assets, roles))
        self._shots = [
            _ShotRenderer(plan, shot, background.convert("RGB"), self._sprites(shot, assets, pinning="pin" in roles))
            for shot, background in zip(plan.shots, backgrounds)
        ]

    @staticmethod
    def _sprites(shot: PlannedShot, assets: AssetResolver, pinning: bool) -> list[_Sprite]:
        sprites = []
        for layer in shot.layers:
            if isinstance(layer, TextPlacement):
                sprites.append(_text_sprite(layer))
            else:
                # A pinned layer stands in a scene generated around it: no synthetic shadow.
                shadow = layer.shadow and not (pinning and is_pinnable(layer))
                sprites.extend(_image_sprites(layer, layer_source(layer, assets), shadow))
        return sprites

    def _jobs(self) -> Iterator[tuple[object, Callable[[], Image.Image]]]:
        """(state, draw) for every frame in order; ``draw`` makes the frame of ``state``."""
        previous: _ShotRenderer | None = None
        for shot, current in zip(self.plan.shots, self._shots):
            blend_frames = shot.transition_in.frames if shot.transition_in and previous else 0
            for local in range(shot.frames):
                state = current.state(local)
                if local < blend_frames and previous is not None:
                    outgoing = previous.state(previous.shot.frames + local)
                    alpha = (local + 1) / (blend_frames + 1)
                    yield (outgoing, state, alpha), functools.partial(_blend, previous, outgoing, current, state, alpha)
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


def _blend(
    outgoing: _ShotRenderer, out_state: tuple[object, ...], incoming: _ShotRenderer, in_state: tuple[object, ...], alpha: float
) -> Image.Image:
    return Image.blend(outgoing.draw(out_state), incoming.draw(in_state), alpha)
