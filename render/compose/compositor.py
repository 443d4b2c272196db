"""Compositing: a shot plan's layers drawn into frames, with sub-pixel motion.

Each frame is the shot's background keyframe seen through the camera, the image layers (product
with its contact shadow, mascot) seen through the same camera, and the text layers in screen space;
then each layer's entrance and exit move it on screen (``generator.planning.plan.timeline``). Every
layer is resampled straight into its fractional rectangle, so slow moves glide instead of stepping
whole pixels. A transition blends the outgoing shot, going on past its end, into the incoming one.

Image layers resting through a whole shot (not under parallax) are pinned into its keyframe when
the backend can: the scene is generated around them, and they are drawn without synthetic shadow.

Frames are produced in order, a few at a time in threads. When nothing moves between two frames
the previous frame object is yielded again, so the encoder can reuse its bytes. A compositor for a
video works in the video's colour (``render.colour``): keyframes and sprites are converted once, and
every frame is ready for the encoder as it is drawn.
"""

from __future__ import annotations

import collections
import concurrent.futures
import copy
import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from PIL import Image

from generator.core.errors import RenderError
from generator.core.images import AssetResolver
from generator.planning.plan.transitions import Transition
from generator.planning.plan.types import ImagePlacement, PlannedShot, ShotPlan
from render.backends import Renderer
from render.colour import Colour, VideoFrame, as_is, to_video
from render.compose.requests import keyframe_requests, layer_source
from render.compose.shot import ShotRenderer, State
from render.compose.sprites import shot_sprites

F = TypeVar("F")
F_co = TypeVar("F_co", covariant=True)


@dataclass(frozen=True)
class Blend:
    """A frame of a transition: both shots' states and how far it has gone (eased, 0..1)."""

    transition: Transition
    progress: float
    outgoing: State
    incoming: State


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
    renderer = ShotRenderer(plan, shot, background.convert("RGB"), shot_sprites(shot, source, pinning))
    state = renderer.state(frame)
    return renderer.draw(state) if area is None else renderer.draw_area(state, area)


class Compositor:
    """Produces a plan's frames in order, on keyframes already rendered (``Compositor.render`` asks a backend).

    Args:
        plan: what to draw.
        backgrounds: each shot's keyframe, as the renderer made it.
        assets: resolves the plan's image references.
        pinning: whether resting layers were pinned into the keyframes.
        colour: the colour of the frames: ``rgb``, or ``video`` for the encoder (``render.colour``).
        clips: generated backgrounds by shot id (``render.motion``): such a shot shows its clip instead
            of its keyframe under the camera, and its layers are drawn whole on every frame (not pinned).
    """

    def __init__(
        self,
        plan: ShotPlan,
        backgrounds: Sequence[Image.Image],
        assets: AssetResolver,
        *,
        pinning: bool,
        colour: Literal["rgb", "video"] = "rgb",
        clips: Mapping[str, Sequence[Image.Image]] | None = None,
    ) -> None:
        self.plan = plan
        self.assets = assets
        self.pinning = pinning
        self.colour = colour
        self.clips = dict(clips or {})
        self.backgrounds = tuple(image.convert("RGB") for image in backgrounds)
        self._shots = self._renderers()

    @classmethod
    def render(
        cls, plan: ShotPlan, renderer: Renderer, assets: AssetResolver, colour: Literal["rgb", "video"] = "rgb"
    ) -> Compositor:
        """A compositor for ``plan`` on the keyframes ``renderer`` makes for it (requested in one batch)."""
        backgrounds = renderer.render(keyframe_requests(plan, assets, renderer.roles))
        return cls(plan, backgrounds, assets, pinning="pin" in renderer.roles, colour=colour)

    def _renderers(self) -> list[ShotRenderer]:
        def source(layer: ImagePlacement) -> Image.Image:
            return layer_source(layer, self.assets)

        convert: Colour = to_video if self.colour == "video" else as_is
        renderers = []
        for shot, background in zip(self.plan.shots, self.backgrounds):
            clip = self.clips.get(shot.id)
            sprites = shot_sprites(shot, source, self.pinning and clip is None, convert)
            renderers.append(ShotRenderer(self.plan, shot, background, sprites, convert, clip))
        return renderers

    def with_clips(self, clips: Mapping[str, Sequence[Image.Image]]) -> Compositor:
        """This compositor with ``clips`` (generated backgrounds by shot id) under their shots."""
        if not clips:
            return self
        twin = copy.copy(self)
        twin.clips = {**self.clips, **clips}
        twin._shots = twin._renderers()
        return twin

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

    def frames(self, workers: int = 2) -> Iterator[Image.Image]:
        """Every frame of the plan, in order; an unchanged frame is the previous object again.

        Up to ``workers`` frames are drawn at once in threads (Pillow and OpenCV release the GIL while
        they resample), a few frames ahead of the consumer. A shot's kept worlds are let go once every
        frame drawing on it has been given, so at most two shots' are held.
        """
        return self._drawn(self._shots, workers, _draw_blend)

    def video_frames(self, workers: int = 2) -> Iterator[VideoFrame]:
        """The frames for the encoder: ``frames`` here; drawn elsewhere and packed there by a subclass."""
        if self.colour != "video":
            raise RenderError("frames for the encoder are composited in video colour")
        return self.frames(workers)

    def _drawn(self, shots: Sequence[Drawer[F]], workers: int, blend: _Blender[F]) -> Iterator[F | Image.Image]:
        """The frames ``shots`` draw, in order, as ``frames`` describes; ``blend`` draws a transition's."""
        ahead: collections.deque[concurrent.futures.Future[F | Image.Image] | Drawer[F]] = collections.deque()
        last_state: object = None
        last: concurrent.futures.Future[F | Image.Image] | None = None
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="compose") as pool:
            for job in _jobs(shots, blend):
                if not isinstance(job, tuple):
                    ahead.append(job)
                    continue
                state, draw = job
                if last is None or state != last_state:
                    last, last_state = pool.submit(draw), state
                ahead.append(last)
                while len(ahead) > 2 * workers or (ahead and not isinstance(ahead[0], concurrent.futures.Future)):
                    if (frame := _given(ahead.popleft())) is not None:
                        yield frame
            while ahead:
                if (frame := _given(ahead.popleft())) is not None:
                    yield frame


class Drawer(Protocol[F_co]):
    """What draws one shot's frames: ``ShotRenderer`` on the CPU, or one on a device."""

    shot: PlannedShot

    def state(self, frame: int) -> State: ...

    def draw(self, state: State) -> F_co: ...

    def release(self) -> None: ...


_Blender = Callable[[Drawer[F], Drawer[F], "Blend"], F | Image.Image]  # draws a transition's frame


def _jobs(
    shots: Sequence[Drawer[F]], blend: _Blender[F]
) -> Iterator[tuple[object, Callable[[], F | Image.Image]] | Drawer[F]]:
    """(state, draw) for every frame in order, ``draw`` making the frame of ``state``; and each shot's
    drawer once no later frame needs it.

    A transition covers the first frames of the incoming shot; the outgoing shot goes on past
    its end meanwhile (its camera holding, its exits done).
    """
    previous: Drawer[F] | None = None
    for current in shots:
        shot = current.shot
        transition = shot.transition_in if previous is not None else None
        blend_frames = min(transition.frames, shot.frames) if transition is not None else 0
        for local in range(shot.frames):
            state = current.state(local)
            if transition is not None and previous is not None and local < blend_frames:
                outgoing = previous.state(previous.shot.frames + local)
                mix = Blend(transition, transition.progress(local, blend_frames), outgoing, state)
                yield mix, functools.partial(blend, previous, current, mix)
            else:
                yield state, functools.partial(current.draw, state)
        if previous is not None:
            yield previous
        previous = current


def _given(entry: concurrent.futures.Future[F] | Drawer[object]) -> F | None:
    """A drawn frame, or None for a shot no frame still to come draws on (its worlds let go)."""
    if isinstance(entry, concurrent.futures.Future):
        return entry.result()
    entry.release()
    return None


def _draw_blend(outgoing: Drawer[Image.Image], incoming: Drawer[Image.Image], blend: Blend) -> Image.Image:
    return blend.transition.apply(outgoing.draw(blend.outgoing), incoming.draw(blend.incoming), blend.progress)
