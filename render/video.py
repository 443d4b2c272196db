"""One plan to one checked MP4 and poster: composite, stream into ffmpeg, verify."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from generator.planning.assets import AssetResolver
from generator.planning.plan import ShotPlan
from render.backends import Renderer
from render.backends.draft import DraftRenderer
from render.compose import Compositor, layer_source
from render.encode import AudioBed, EncodeSettings, encode_argv, encode_video, ffmpeg_executable
from render.legibility import Remedied, remedy_on_keyframes
from render.qc import LayerCheck, check_pictures, check_video


@dataclass(frozen=True)
class VideoChecks:
    """What was checked on a rendered video: products and mascots against their references, and the
    legibility remedies applied to texts on its keyframes (not in its plan)."""

    layers: tuple[LayerCheck, ...]
    legibility: tuple[Remedied, ...] = ()


def render_video(
    plan: ShotPlan,
    renderer: Renderer,
    assets: AssetResolver,
    video_path: Path,
    poster_path: Path,
    settings: EncodeSettings = EncodeSettings(),
) -> VideoChecks:
    """Render ``plan`` to ``video_path`` (H.264 MP4) and its poster frame to ``poster_path`` (JPEG).

    Returns the product and mascot checks made on the decoded video, and the legibility remedies.

    Raises:
        RenderError: compositing, encoding (EncodeError) or a QC check failed, or a text lacks
            contrast on a model's keyframes and its style asks for no remedy.
        AssetError: a referenced file is missing or changed since planning.
    """
    # 1. Keyframes and sprites, once per plan.
    compositor = Compositor(plan, renderer, assets)
    # 2. Text legibility on a model's keyframes (draft ones are those lint and planning measure on).
    remedies: tuple[Remedied, ...] = ()
    if renderer.name != DraftRenderer.name:
        drawn, remedies = remedy_on_keyframes(
            plan, compositor.backgrounds, lambda layer: layer_source(layer, assets), compositor.pinning
        )
        if remedies:
            compositor = compositor.restyled(drawn)
    # 3. Audio bed, checked against the plan's hash.
    audio = None
    if plan.audio is not None:
        path = assets.path(plan.audio.ref.source, plan.audio.ref.sha256)
        audio = AudioBed(path, plan.audio.volume, plan.audio.fade_out)
    # 4. Stream frames into ffmpeg, keeping the poster frame on the way.
    executable = ffmpeg_executable()
    argv = encode_argv(
        video_path,
        size=plan.size,
        fps=plan.fps,
        frames=plan.frames,
        audio=audio,
        settings=settings,
        executable=executable,
    )
    encode_video(_with_poster(compositor.frames(), plan.poster_frame, poster_path), argv, size=plan.size)
    # 5. Verify what was written before anyone stores it: the file, then the pictures in it.
    check_video(video_path, plan)
    layers = check_pictures(video_path, compositor.plan, lambda layer: layer_source(layer, assets), executable)
    return VideoChecks(tuple(layers), remedies)


def _with_poster(frames: Iterator[Image.Image], index: int, poster_path: Path) -> Iterator[Image.Image]:
    for number, frame in enumerate(frames):
        if number == index:
            frame.save(poster_path, "JPEG", quality=88)
        yield frame
