"""Compositing on a torch device (a CUDA GPU): the same frames as ``Compositor``'s, drawn there and packed 4:2:0.

Planning what each frame shows (``ShotRenderer.state``), the keyframes, the sprites and their
conversion to video colour stay on the CPU, made once per video. On the device, each shot's worlds
and sprites are uploaded once; the camera's resample, the sprites' resamples and their alpha
blending run there in float, and each frame is packed to planar 4:2:0 there, so only the encoder's
bytes (1.5 a pixel) come back. Resampling is separable bilinear at the sample positions of
``warp.bilinear``; sprites reduced in size keep Pillow's antialiased filter (resampled on the CPU,
uploaded). Transitions are blended on the device as well. Frames agree with the CPU compositor's
within a few levels (float against 8-bit rounding at each step).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from generator.core.errors import RenderError
from generator.core.geometry import Rect
from generator.planning.plan.camera import CameraView
from generator.planning.plan.effects import Side
from generator.planning.plan.transitions import TO_LEFT, ZOOM_TRANSITION, Crossfade, Transition, Wipe, Zoom
from render.colour import VideoFrame
from render.compose.compositor import Blend, Compositor, Drawer
from render.compose.shot import ShotRenderer, State
from render.compose.sprites import Sprite, placement


def check_device(device: str) -> None:
    """Raise RenderError unless torch can composite on ``device`` (``cpu``, ``cuda``, ``cuda:N``)."""
    try:
        kind = torch.device(device).type
    except RuntimeError as exc:
        raise RenderError(f"cannot composite on {device!r}: {exc}") from exc
    if kind == "cuda" and not torch.cuda.is_available():
        raise RenderError(f"compositing on {device!r} was asked for, but torch sees no CUDA device here")
    if kind not in ("cpu", "cuda"):
        raise RenderError(f"cannot composite on {device!r}: only cpu and cuda devices are supported")


@dataclass(frozen=True, eq=False)
class DeviceFrame:
    """A frame on the device: Y', Cb, Cr (float, 0..255, height x width x 3)."""

    pixels: torch.Tensor

    def packed(self) -> np.ndarray:
        """Planar 4:2:0 bytes, each chroma sample the mean of its 2x2 block (as ``colour.pack_420``)."""
        luma = self.pixels[..., 0]
        chroma = torch.nn.functional.avg_pool2d(self.pixels[..., 1:].permute(2, 0, 1)[None], 2)[0]
        planes = torch.cat([luma.reshape(-1), chroma.reshape(-1)])
        return planes.round_().clamp_(0, 255).to(torch.uint8).cpu().numpy()

    def image(self) -> Image.Image:
        """The frame as an image in video colour."""
        pixels = self.pixels.round().clamp(0, 255).to(torch.uint8).cpu().numpy()
        return Image.fromarray(np.ascontiguousarray(pixels))


def _taps(origin: float, step: float, count: int, size: int, device: torch.device) -> tuple[torch.Tensor, ...]:
    """Indices below and above each of ``count`` samples along an axis of ``size`` pixels, and the weight of above."""
    position = origin + (torch.arange(count, dtype=torch.float64, device=device) + 0.5) * step - 0.5
    below = position.floor()
    weight = (position - below).to(torch.float32)
    below = below.to(torch.int64)
    return below.clamp(0, size - 1), (below + 1).clamp(0, size - 1), weight


def bilinear(
    pixels: torch.Tensor, origin: tuple[float, float], step: tuple[float, float], size: tuple[int, int]
) -> torch.Tensor:
    """``warp.bilinear`` on the device, separable: cell (i, j) samples ``pixels`` (H x W x C, float) at
    origin + (i + 0.5, j + 0.5) * step. Beyond the edges the edge pixels repeat (pad with zeros first
    for a transparent edge)."""
    height, width = pixels.shape[:2]
    top, bottom, wy = _taps(origin[1], step[1], size[1], height, pixels.device)
    rows = pixels.index_select(0, top)
    rows = rows.lerp_(pixels.index_select(0, bottom), wy[:, None, None])
    left, right, wx = _taps(origin[0], step[0], size[0], width, pixels.device)
    cells = rows.index_select(1, left)
    return cells.lerp_(rows.index_select(1, right), wx[None, :, None])


@dataclass(frozen=True)
class _Piece:
    """A sprite resampled for one placement on the device: premultiplied colour (opacity applied), how
    much it covers (0..1), and its top-left canvas pixel."""

    colour: torch.Tensor
    cover: torch.Tensor
    left: int
    top: int


class DeviceShot:
    """One shot's frames drawn on ``device``: a ``ShotRenderer``'s states, worlds and sprites, uploaded."""

    def __init__(self, renderer: ShotRenderer, device: str) -> None:
        self.renderer = renderer
        self.shot = renderer.shot
        self.device = torch.device(device)
        self._worlds: dict[tuple[int, int | None], torch.Tensor] = {}
        self._sprites: dict[int, torch.Tensor] = {}
        self._pieces: dict[int, tuple[tuple[float, ...], _Piece | None]] = {}

    def state(self, frame: int) -> State:
        return self.renderer.state(frame)

    def draw(self, state: State) -> DeviceFrame:
        width, height = self.renderer.size
        world = self._world(state.baked, state.plate)
        if state.view.at_rest:
            frame = world.clone() if state.layers else world  # frames are only read
        else:
            x0, y0, x1, y1 = state.view.box(self.renderer.size)
            frame = bilinear(world, (x0, y0), ((x1 - x0) / width, (y1 - y0) / height), (width, height))
        for index, (rect, opacity, window) in enumerate(state.layers, start=state.baked):
            piece = self._piece(index, rect, opacity, window)
            if piece is not None:
                height, width = piece.colour.shape[:2]
                area = frame[piece.top : piece.top + height, piece.left : piece.left + width]
                area.mul_(1.0 - piece.cover).add_(piece.colour)
        return DeviceFrame(frame)

    def release(self) -> None:
        """Let go of what was uploaded and kept for reuse, and the CPU renderer's worlds."""
        self.renderer.release()
        self._worlds.clear()
        self._sprites.clear()
        self._pieces.clear()

    def _world(self, baked: int, plate: int | None) -> torch.Tensor:
        key = (baked, plate)
        if key not in self._worlds:
            pixels = self.renderer.world(baked, plate)[..., :3]
            if plate is not None:  # a generated clip: one frame's world at a time
                self._worlds = {k: v for k, v in self._worlds.items() if k[1] is None}
            self._worlds[key] = torch.from_numpy(np.ascontiguousarray(pixels)).to(self.device).float()
        return self._worlds[key]

    def _piece(self, index: int, rect: Rect, opacity: float, window: Rect | None) -> _Piece | None:
        """Layer ``index`` in ``rect``, kept while its placement is exactly the same (as ``ShotRenderer`` keeps its pieces)."""
        key = (*rect, opacity, *(window or ()))
        cached = self._pieces.get(index)
        if cached is None or cached[0] != key:
            cached = (key, self._resampled(self.renderer.sprites[index], index, rect, opacity, window))
            self._pieces[index] = cached
        return cached[1]

    def _resampled(self, sprite: Sprite, index: int, rect: Rect, opacity: float, window: Rect | None) -> _Piece | None:
        placed = placement(sprite, rect, self.renderer.size, window)
        if placed is None or opacity <= 0.0:
            return None
        box, size = placed.box, placed.size
        if placed.reduced:
            reduced = sprite.image.resize(size, Image.Resampling.BILINEAR, box=box)
            pixels = torch.from_numpy(np.asarray(reduced).copy()).to(self.device).float()
        else:
            if index not in self._sprites:  # zero-padded by one pixel: samples beyond the edge read transparent
                padded = np.pad(sprite.pixels, ((1, 1), (1, 1), (0, 0)))
                self._sprites[index] = torch.from_numpy(padded).to(self.device).float()
            step = ((box[2] - box[0]) / size[0], (box[3] - box[1]) / size[1])
            pixels = bilinear(self._sprites[index], (box[0] + 1, box[1] + 1), step, size)
        return _Piece(pixels[..., :3].mul_(opacity), pixels[..., 3:].mul_(opacity / 255.0), *placed.origin)


class DeviceCompositor(Compositor):
    """``compositor`` (in video colour) with its frames for the encoder drawn on a torch ``device``,
    from the same keyframes and sprites; ``frames`` still draws on the CPU.

    Raises:
        RenderError: ``compositor`` draws RGB, or torch cannot use ``device`` here.
    """

    def __init__(self, compositor: Compositor, device: str) -> None:
        if compositor.colour != "video":
            raise RenderError("frames composited on a device are in video colour")
        check_device(device)
        self.__dict__.update(compositor.__dict__)
        self.device = device

    def video_frames(self, workers: int = 2) -> Iterator[VideoFrame]:
        return self._drawn([DeviceShot(shot, self.device) for shot in self._shots], workers, _blend_on_device)


def _blend_on_device(outgoing: Drawer[DeviceFrame], incoming: Drawer[DeviceFrame], blend: Blend) -> DeviceFrame:
    """A transition's frame: both shots drawn on the device and blended there."""
    a, b = outgoing.draw(blend.outgoing).pixels, incoming.draw(blend.incoming).pixels
    return DeviceFrame(transition_on_device(blend.transition, a, b, blend.progress))


def transition_on_device(
    transition: Transition, outgoing: torch.Tensor, incoming: torch.Tensor, progress: float
) -> torch.Tensor:
    """``transition.apply`` on device frames (height x width x 3, float), which it leaves as they are."""
    height, width = outgoing.shape[:2]
    if isinstance(transition, Crossfade):
        return torch.lerp(outgoing, incoming, progress)
    if isinstance(transition, Zoom):
        x0, y0, x1, y1 = CameraView(1 + ZOOM_TRANSITION * progress).box((width, height))
        zoomed = bilinear(outgoing, (x0, y0), ((x1 - x0) / width, (y1 - y0) / height), (width, height))
        return zoomed.lerp_(incoming, progress)
    if isinstance(transition, Wipe):
        mask = np.asarray(transition.mask((width, height), progress), dtype=np.float32) / 255
        return torch.lerp(outgoing, incoming, torch.from_numpy(mask).to(outgoing.device)[..., None])
    # A slide, turned to travel left: the incoming shot's left edge at the fractional column ``left``.
    below, above = _turned(outgoing, transition.direction).clone(), _turned(incoming, transition.direction)
    rows, columns = below.shape[:2]
    left = columns * (1 - progress)
    edge = math.floor(left)
    if edge < columns:
        if edge + 1 < columns:
            below[:, edge + 1 :] = bilinear(above, (edge + 1 - left, 0.0), (1.0, 1.0), (columns - edge - 1, rows))
        cover = round(255 * (edge + 1 - left)) / 255
        below[:, edge].lerp_(above[:, 0], cover)
    return _turned(below, transition.direction, back=True)


def _turned(pixels: torch.Tensor, direction: Side, *, back: bool = False) -> torch.Tensor:
    """``pixels`` turned as ``transitions.TO_LEFT`` turns images (``back``: undone)."""
    steps = TO_LEFT[direction]
    for step in reversed(steps) if back else steps:
        pixels = pixels.transpose(0, 1) if step == Image.Transpose.TRANSPOSE else pixels.flip(1)
    return pixels
