"""One plan to one checked MP4 and poster: composite, stream into ffmpeg, verify.

``encode_plan`` is the pipeline every video of a plan goes through, full renders and draft
previews (``render.preview``) alike: a compositor's frames, in order, streamed into ffmpeg with the
plan's audio bed. The two differ only in the plan's scale, the backend and the encode settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from PIL import Image

from generator.core.images import AssetResolver
from generator.planning.plan.types import ShotPlan
from render.backends import Renderer
from render.backends.draft import DraftRenderer
from render.colour import VideoFrame, to_rgb
from render.compose import Compositor, layer_source
from render.encode import AudioBed, EncodeSettings, encode_argv, encode_video, ffmpeg_executable
from render.legibility import Remedied, remedy_on_keyframes
from render.qc import LayerCheck, check_pictures, check_video

FrameTap = Callable[[Image.Image], None]  # sees one frame (RGB) on its way to the encoder
FULL_SETTINGS = EncodeSettings()  # x264's own balance of speed and size at high quality


@dataclass(frozen=True)
class VideoChecks:
    """What was checked on a rendered video: products and mascots against their references, and the
    legibility remedies applied to texts on its keyframes (not in its plan)."""

    layers: tuple[LayerCheck, ...]
    legibility: tuple[Remedied, ...] = ()


def encode_plan(
    compositor: Compositor,
    assets: AssetResolver,
    video_path: Path,
    settings: EncodeSettings,
    executable: str,
    taps: Mapping[int, FrameTap] = MappingProxyType({}),
) -> None:
    """Stream ``compositor``'s frames (in video colour) into ``video_path`` (H.264 MP4) with its plan's audio bed.

    ``taps`` maps frame numbers to what sees that frame, in RGB, on the way (a poster, a storyboard still).

    Raises:
        EncodeError: ffmpeg failed.
        RenderError: the compositor draws RGB frames, or on a device torch cannot use.
        AssetError: the audio file is missing or changed since planning.
    """
    plan = compositor.plan
    audio = None
    if plan.audio is not None:  # checked against the plan's hash
        path = assets.path(plan.audio.ref.source, plan.audio.ref.sha256)
        audio = AudioBed(path, plan.audio.volume, plan.audio.fade_out)
    argv = encode_argv(
        video_path, size=plan.size, fps=plan.fps, frames=plan.frames, audio=audio, settings=settings,
        executable=executable,
    )  # fmt: skip
    encode_video(_tapped(compositor.video_frames(), taps), argv, size=plan.size)


def render_video(
    plan: ShotPlan,
    renderer: Renderer,
    assets: AssetResolver,
    video_path: Path,
    poster_path: Path,
    settings: EncodeSettings = FULL_SETTINGS,
) -> VideoChecks:
    """Render ``plan`` to ``video_path`` (H.264 MP4) and its poster frame to ``poster_path`` (JPEG).

    Returns the product and mascot checks made on the decoded video, and the legibility remedies.

    Raises:
        RenderError: compositing, encoding (EncodeError) or a QC check failed, or a text lacks
            contrast on a model's keyframes and its style asks for no remedy, or ``settings`` composite
            on a device torch cannot use.
        AssetError: a referenced file is missing or changed since planning.
    """
    # 1. Keyframes and sprites, once per plan.
    compositor = Compositor.render(plan, renderer, assets, colour="video")
    # 2. Text legibility on a model's keyframes (draft ones are those lint and planning measure on).
    remedies: tuple[Remedied, ...] = ()
    if renderer.name != DraftRenderer.name:
        drawn, remedies = remedy_on_keyframes(
            plan, compositor.backgrounds, lambda layer: layer_source(layer, assets), compositor.pinning
        )
        if remedies:
            compositor = compositor.restyled(drawn)
    # 3. Stream frames into ffmpeg, keeping the poster frame on the way; drawn on the GPU if asked.
    if settings.compositing != "cpu":
        from render.compose.device import DeviceCompositor  # torch is imported only for the GPU path

        compositor = DeviceCompositor(compositor, settings.compositing)
    executable = ffmpeg_executable()

    def poster(frame: Image.Image) -> None:
        frame.save(poster_path, "JPEG", quality=88)

    encode_plan(compositor, assets, video_path, settings, executable, {plan.poster_frame: poster})
    # 4. Verify what was written before anyone stores it: the file, then the pictures in it.
    check_video(video_path, plan)
    layers = check_pictures(video_path, compositor.plan, lambda layer: layer_source(layer, assets), executable)
    return VideoChecks(tuple(layers), remedies)


def _tapped(frames: Iterator[VideoFrame], taps: Mapping[int, FrameTap]) -> Iterator[VideoFrame]:
    for number, frame in enumerate(frames):
        if number in taps:
            taps[number](to_rgb(frame if isinstance(frame, Image.Image) else frame.image()))
        yield frame
