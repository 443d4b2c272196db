"""One shot's frames: its keyframe seen through the camera (or its generated clip), its sprites moved by their effects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image

from generator.core.geometry import Rect
from generator.planning.plan.camera import CameraView
from generator.planning.plan.types import PlannedShot, ShotPlan
from render.colour import Colour, as_is, image_of, pixels_of
from render.compose.sprites import Piece, Sprite, resample, sprite_at
from render.compose.warp import bilinear


def through_camera(
    world: np.ndarray, box: tuple[float, float, float, float], canvas: tuple[int, int], area: tuple[int, int, int, int]
) -> Image.Image:
    """The part ``area`` (left, top, right, bottom) of the canvas showing ``box`` of ``world`` (RGBX pixels).

    Bilinear, sampling where Pillow's ``resize(canvas, BILINEAR, box=box)`` does (pixel centres), by
    ``warp.bilinear``: within one level of Pillow's pixels.
    """
    x0, y0, x1, y1 = box
    sx, sy = (x1 - x0) / canvas[0], (y1 - y0) / canvas[1]
    left, top, right, bottom = area
    return image_of(bilinear(world, (x0 + left * sx, y0 + top * sy), (sx, sy), (right - left, bottom - top)))


@dataclass(frozen=True)
class State:
    """Everything that decides the pixels of one frame of one shot."""

    renderer: int  # id() of the ShotRenderer
    view: CameraView
    baked: int  # bottom layers drawn into the world image
    layers: tuple[tuple[Rect, float, Rect | None], ...]  # (screen rect, opacity, window) of every other layer
    plate: int | None = None  # the frame of the generated clip under it (None: the keyframe)


class ShotRenderer:
    """Draws one shot's frames.

    While the camera is at rest, image layers that rest in place are baked, in z-order from the
    bottom, into a "world" image with the background, so frames reuse it. Under a camera move every
    image layer is resampled on its own, never twice. The world for each number of baked layers and
    the last resampled piece of each moving layer are kept for reuse until ``release``. ``colour``
    converts the background (RGB) into the colour the sprites are in, as each world is made.

    With a ``clip`` (a generated background, one RGB image per frame), each frame's world is its own
    clip frame, seen through the same camera, and only the latest is kept.
    """

    def __init__(
        self,
        plan: ShotPlan,
        shot: PlannedShot,
        background: Image.Image,
        sprites: list[Sprite],
        colour: Colour = as_is,
        clip: Sequence[Image.Image] | None = None,
    ) -> None:
        self.size = plan.size
        self.shot = shot
        self.depth = shot.camera.layer_depth
        self.background = background
        self.sprites = sprites
        self.colour = colour
        self.clip = clip
        self._worlds: dict[tuple[int, int | None], np.ndarray] = {}
        self._pieces: dict[int, tuple[tuple[float, ...], Piece | None]] = {}

    def state(self, frame: int) -> State:
        """What shot-local ``frame`` shows."""
        plate = None if self.clip is None else min(frame, len(self.clip) - 1)
        view = self.shot.camera.view(frame, self.shot.frames, self.size)
        baked = 0
        layers: list[tuple[Rect, float, Rect | None]] = []
        for sprite in self.sprites:
            rect, opacity, window = sprite_at(sprite, view, self.depth, self.size, frame)
            if (
                not layers  # only a run of resting layers from the bottom is baked: none may move under it
                and view.at_rest
                and sprite.follows_camera
                and sprite.track is None
                and opacity == 1.0
                and rect == sprite.rect
            ):
                baked += 1  # at rest under every moving layer: part of the world image
                continue
            layers.append((rect, opacity, window))
        return State(id(self), view, baked, tuple(layers), plate)

    def draw(self, state: State) -> Image.Image:
        view = state.view
        world = self.world(state.baked, state.plate)
        if view.at_rest:
            frame = image_of(world)
        else:
            frame = through_camera(world, view.box(self.size), self.size, (0, 0, *self.size))
        for index, (rect, opacity, window) in enumerate(state.layers, start=state.baked):
            piece = self._cached_piece(index, rect, opacity, window)
            if piece is not None:
                frame.paste(piece.image, piece.origin, piece.mask)
        return frame

    def draw_area(self, state: State, area: tuple[int, int, int, int]) -> Image.Image:
        """The part ``area`` (left, top, right, bottom; canvas pixels) of what ``draw`` gives, drawn alone."""
        left, top, right, bottom = area
        view = state.view
        world = self.world(state.baked, state.plate)
        if view.at_rest:
            frame = image_of(world[top:bottom, left:right])
        else:
            frame = through_camera(world, view.box(self.size), self.size, area)
        for index, (rect, opacity, window) in enumerate(state.layers, start=state.baked):
            piece = resample(self.sprites[index], rect, opacity, self.size, window)
            if piece is not None:
                frame.paste(piece.image, (piece.origin[0] - left, piece.origin[1] - top), piece.mask)
        return frame

    def world(self, baked: int, plate: int | None = None) -> np.ndarray:
        """The background (the keyframe, or frame ``plate`` of the clip) with the bottom ``baked`` layers
        drawn in, as RGBX pixels."""
        key = (baked, plate)
        found = self._worlds.get(key)
        if found is None:
            background = self.background if plate is None or self.clip is None else self.clip[plate]
            world = self.colour(background)
            world = world.copy() if world is background else world
            for sprite in self.sprites[:baked]:
                piece = resample(sprite, sprite.rect, 1.0, self.size)
                if piece is not None:
                    world.paste(piece.image, piece.origin, piece.mask)
            found = pixels_of(world)
            if plate is not None:
                self._worlds = {k: v for k, v in self._worlds.items() if k[1] is None}  # one clip frame at a time
            self._worlds[key] = found
        return found

    def release(self) -> None:
        """Let go of the worlds and pieces kept for reuse (the shot is drawn; drawing again makes them anew)."""
        self._worlds.clear()
        self._pieces.clear()

    def _cached_piece(self, index: int, rect: Rect, opacity: float, window: Rect | None) -> Piece | None:
        """Layer ``index`` resampled into ``rect``, reused while its placement is exactly the same.

        Exactly: frames are drawn in threads, in no fixed order, so a piece reused for a placement
        merely close to its own would make a frame's pixels depend on which frame was drawn first.
        """
        key = (*rect, opacity, *(window or ()))
        cached = self._pieces.get(index)
        if cached is None or cached[0] != key:
            cached = (key, resample(self.sprites[index], rect, opacity, self.size, window))
            self._pieces[index] = cached
        return cached[1]
