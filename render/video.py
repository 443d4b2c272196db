"""One plan to one checked MP4 and poster: composite, stream into ffmpeg, verify.

``encode_plan`` is the pipeline every video of a plan goes through, full renders and draft
previews (``render.preview``) alike: a compositor's frames, in order, streamed into ffmpeg with the
plan's sound (``render.audio``: music ducked under the voice, at the plan's loudness). The two differ
only in the plan's scale, the backend and the encode settings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from PIL import Image

from generator.core.errors import RenderError
from generator.core.images import AssetResolver
from generator.planning.plan.types import ShotPlan
from render.audio.measure import AudioExpectations, AudioReport, check_audio, measure_audio
from render.audio.mix import Mix, MusicBed, VoiceClip, mix, write_wav
from render.backends import Renderer
from render.backends.draft import DraftRenderer
from render.colour import VideoFrame, to_rgb
from render.compose import Compositor, keyframe_requests, layer_source
from render.encode import EncodeSettings, encode_argv, encode_video, ffmpeg_executable
from render.legibility import Remedied, remedy_on_keyframes
from render.motion.service import MotionReport, MotionService
from render.qc import LayerCheck, check_pictures, check_video
from render.speech.clips import ClipSource

FrameTap = Callable[[Image.Image], None]  # sees one frame (RGB) on its way to the encoder
FULL_SETTINGS = EncodeSettings()  # x264's own balance of speed and size at high quality
TRUE_PEAK = -1.0  # dBTP: the ceiling of every master
_SILENCE_SLACK = 0.25  # s


@dataclass(frozen=True)
class VideoChecks:
    """What was checked on a rendered video: products and mascots against their references, and the
    legibility remedies applied to texts on its keyframes (not in its plan)."""

    layers: tuple[LayerCheck, ...]
    legibility: tuple[Remedied, ...] = ()
    sound: AudioReport | None = None
    motion: tuple[MotionReport, ...] = ()  # what became of each shot whose background moves


def master_audio(plan: ShotPlan, assets: AssetResolver, clips: ClipSource, executable: str) -> Mix | None:
    """The plan's sound: its music bed ducked under its voice lines, at its loudness (None when it has neither).

    Raises:
        AssetError: the music file is missing or changed since planning.
        RenderError: a voice clip is not the one the plan recorded.
    """
    music = None
    if plan.audio is not None:  # checked against the plan's hash
        path = assets.path(plan.audio.ref.source, plan.audio.ref.sha256)
        music = MusicBed(path, plan.audio.volume, plan.audio.fade_out)
    voices = []
    if plan.voice is not None:
        for shot, line in plan.lines():
            speech = clips.speech(plan.voice.engine, plan.voice.voice, line.spoken, line.speed, sha256=line.clip)
            voices.append(VoiceClip((shot.start + line.start) / plan.fps, speech))
    if music is None and not voices:
        return None
    return mix(plan.duration, music, voices, loudness=float(plan.loudness), executable=executable)


def encode_plan(
    compositor: Compositor,
    assets: AssetResolver,
    video_path: Path,
    settings: EncodeSettings,
    executable: str,
    taps: Mapping[int, FrameTap] = MappingProxyType({}),
    clips: ClipSource | None = None,
) -> Mix | None:
    """Stream ``compositor``'s frames (in video colour) into ``video_path`` (H.264 MP4) with its plan's sound
    (``master_audio``, its voice clips from ``clips``); returns that sound's mix.

    ``taps`` maps frame numbers to what sees that frame, in RGB, on the way (a poster, a storyboard still).

    Raises:
        EncodeError: ffmpeg failed.
        RenderError: the compositor draws RGB frames, or on a device torch cannot use; a voice clip differs.
        AssetError: the audio file is missing or changed since planning.
    """
    plan = compositor.plan
    master = master_audio(plan, assets, clips or ClipSource(), executable)
    wav = video_path.with_name(video_path.name + ".wav")
    try:
        if master is not None:
            write_wav(wav, master)
        argv = encode_argv(
            video_path, size=plan.size, fps=plan.fps, frames=plan.frames, audio=wav if master else None,
            settings=settings, executable=executable,
        )  # fmt: skip
        encode_video(_tapped(compositor.video_frames(), taps), argv, size=plan.size)
    finally:
        wav.unlink(missing_ok=True)
    return master


def render_video(
    plan: ShotPlan,
    renderer: Renderer,
    assets: AssetResolver,
    video_path: Path,
    poster_path: Path,
    settings: EncodeSettings = FULL_SETTINGS,
    clips: ClipSource | None = None,
    motion: MotionService | None = None,
) -> VideoChecks:
    """Render ``plan`` to ``video_path`` (H.264 MP4) and its poster frame to ``poster_path`` (JPEG).

    Returns the product and mascot checks made on the decoded video, the legibility remedies, and what
    became of each moving shot (``motion`` makes their clips; without it they keep their camera move).

    Raises:
        RenderError: compositing, encoding (EncodeError) or a QC check failed, or a text lacks
            contrast on a model's keyframes and its style asks for no remedy, or ``settings`` composite
            on a device torch cannot use.
        AssetError: a referenced file is missing or changed since planning.
    """
    # 1. Keyframes and sprites, once per plan.
    compositor = Compositor.render(plan, renderer, assets, colour="video")
    service = motion or MotionService(None, None)
    plates, moved = service.plates(plan, scenes(plan, renderer, assets)) if plan.moving else ({}, ())
    compositor = compositor.with_clips(plates)
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

    master = encode_plan(compositor, assets, video_path, settings, executable, {plan.poster_frame: poster}, clips)
    # 4. Verify what was written before anyone stores it: the file, its sound, then the pictures in it.
    check_video(video_path, plan)
    sound = check_sound(video_path, plan, master, executable) if master is not None else None
    layers = check_pictures(
        video_path, compositor.plan, lambda layer: layer_source(layer, assets), executable, frozenset(plates)
    )
    return VideoChecks(tuple(layers), remedies, sound, moved)


def scenes(plan: ShotPlan, renderer: Renderer, assets: AssetResolver) -> Callable[[int], Image.Image]:
    """Shot ``index``'s still scene, as ``renderer``'s keyframe without the layers pinned into it: what a
    moving shot's clip starts (or ends) from."""
    requests = keyframe_requests(plan, assets, renderer.roles)

    def scene(index: int) -> Image.Image:
        request = requests[index]
        return renderer.render([request.base if request.role == "pin" and request.base else request])[0]

    return scene


def check_sound(path: Path, plan: ShotPlan, master: Mix, executable: str) -> AudioReport:
    """Decode ``path``'s audio and check it against what its plan asks: loudness, peaks, silence, the voice.

    Raises:
        RenderError: a check failed (``qc: ...``), each broken rule with its measured figure.
    """
    report = measure_audio(path, executable, master.voice_spans)
    failures = check_audio(
        report, AudioExpectations(float(plan.loudness), TRUE_PEAK, allowed_silence(plan), master.voice_spans)
    )
    if failures:
        raise RenderError("qc: " + "; ".join(failures))
    return report


def allowed_silence(plan: ShotPlan) -> float:
    """The longest silence the plan's sound may hold (s): under music, the tail of its fade-out; without
    music, the longest stretch between (or before or after) its voice lines; and a quarter second of slack."""
    if plan.audio is not None:
        return min(plan.audio.fade_out, plan.duration) / 2 + _SILENCE_SLACK
    edges = [0.0]
    for shot, line in plan.lines():
        start = (shot.start + line.start) / plan.fps
        edges += [start, start + line.duration]
    edges.append(plan.duration)
    return max(b - a for a, b in zip(edges[::2], edges[1::2])) + _SILENCE_SLACK


def _tapped(frames: Iterator[VideoFrame], taps: Mapping[int, FrameTap]) -> Iterator[VideoFrame]:
    for number, frame in enumerate(frames):
        if number in taps:
            taps[number](to_rgb(frame if isinstance(frame, Image.Image) else frame.image()))
        yield frame
