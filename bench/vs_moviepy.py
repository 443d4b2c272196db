"""The same ad built in MoviePy 2 and in adgen, timed in one run: seconds per second of video, and the ratio.

One sample row's plan (default HOM-002: 15 s at 1080x1920, six shots) is rendered twice from the
same inputs, at the same size, length, frame rate, x264 preset and CRF, with the same music bed:

- **adgen**: ``render.video.render_video``, as a run renders a row (draft keyframes, compositing,
  encoding, and the checks on the encoded video).
- **MoviePy**: a ``CompositeVideoClip`` per shot on the same draft keyframes, driven by the plan
  frame by frame: the background follows the plan's camera (a resize and a position per frame),
  each product, mascot and text follows the plan's layer rectangle and opacity (``layer_rect``:
  pops, slides, fades), texts are MoviePy ``TextClip`` s in DejaVu Sans Bold, each shot crossfades in
  over the one before for its transition's length, and the music is looped, scaled and faded out as
  adgen does. ``write_videofile`` encodes with libx264 and AAC.

The same run times x264 alone encoding adgen's frames at the same settings (``encode_ratio``'s
floor): the fastest any tool could be on this machine, and so the largest ratio it allows.

MoviePy 2 pins Pillow below 12, so it has an extra of its own, installed apart from the test
environment: ``pip install -e '.[bench]'`` in a fresh virtual environment, then
``python bench/vs_moviepy.py [--sku HOM-002] [--preset veryfast] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from encode_ratio import encode_only_seconds  # bench/ is on the path when this script runs
from moviepy import AudioFileClip, CompositeVideoClip, ImageClip, TextClip, afx, vfx
from PIL import Image

from generator.core.images import AssetResolver
from generator.orchestration.runs.rows import DEFAULT_TEMPLATES, PlannedRow, RunOptions, load_templates, plan_rows
from generator.planning.catalog import load_catalog
from generator.planning.plan.timeline import layer_rect
from generator.planning.plan.types import ImagePlacement, PlannedShot, ShotPlan, TextPlacement
from render.backends.draft import DraftRenderer
from render.compose import Compositor, layer_source
from render.encode import EncodeSettings
from render.video import render_video

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "catalogs" / "sample.csv"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def planned(sku: str) -> ShotPlan:
    options = RunOptions()
    for row in plan_rows(load_catalog(SAMPLE), load_templates(options), options):
        if isinstance(row, PlannedRow) and row.product.sku == sku:
            return row.plan
    raise SystemExit(f"no plannable row {sku!r} in {SAMPLE}")


def _per_frame(shot: PlannedShot, fps: int, value: Callable[[int], Any]) -> Callable[[float], Any]:
    """``value`` of the shot-local frame at clip time ``t``; past the shot's end, its last frame's."""
    return lambda t: value(min(round(t * fps), shot.frames - 1))


def _faded(clip: Any, opacity: Callable[[float], float]) -> Any:
    """``clip`` with its mask scaled by ``opacity(t)``."""
    clip = clip if clip.mask is not None else clip.with_add_mask()
    return clip.with_mask(clip.mask.transform(lambda frame, t: frame(t) * opacity(t)))


def shot_clip(plan: ShotPlan, shot: PlannedShot, background: Image.Image, assets: AssetResolver, tail: int) -> Any:
    """``shot`` as a MoviePy clip lasting its frames and ``tail`` more (the next shot's transition)."""
    fps, width = plan.fps, plan.size[0]
    duration = (shot.frames + tail) / fps

    def box(frame: int) -> tuple[float, float, float, float]:
        return shot.camera.view(frame, shot.frames, plan.size).box(plan.size)

    camera = _per_frame(shot, fps, box)

    def zoom(t: float) -> float:  # the background's scale: the camera's box fills the canvas
        left, _, right, _ = camera(t)
        return float(width / (right - left))

    def origin(t: float) -> tuple[float, float]:
        left, top, _, _ = camera(t)
        return -left * zoom(t), -top * zoom(t)

    def size(t: float) -> tuple[int, int]:  # a pixel over, so rounding never leaves a black edge
        return math.ceil(background.width * zoom(t)) + 1, math.ceil(background.height * zoom(t)) + 1

    picture = ImageClip(np.asarray(background.convert("RGB"))).with_duration(duration)
    layers = [picture.resized(size).with_position(origin)]
    for layer in shot.layers:
        if isinstance(layer, TextPlacement):
            _, _, w, h = layer.box
            source = TextClip(
                font=FONT, text="\n".join(layer.lines), font_size=layer.font_size, color=layer.color,
                size=(round(w), round(h)), method="caption", text_align=layer.align,
            )  # fmt: skip
        else:
            assert isinstance(layer, ImagePlacement)
            reference = layer_source(layer, assets)
            if reference is None:
                continue
            cut = reference.crop(layer.crop)
            source = ImageClip(np.asarray(cut.convert("RGBA")), transparent=True)
        placed = _per_frame(shot, fps, lambda frame, layer=layer: layer_rect(shot, layer, frame, plan.size))
        clip = (
            source.with_duration(duration)
            .resized(lambda t, placed=placed: (max(1, round(placed(t)[0][2])), max(1, round(placed(t)[0][3]))))
            .with_position(lambda t, placed=placed: (placed(t)[0][0], placed(t)[0][1]))
        )
        layers.append(_faded(clip, lambda t, placed=placed: placed(t)[1]))
    return CompositeVideoClip(layers, size=plan.size).with_duration(duration)


def moviepy_ad(plan: ShotPlan, backgrounds: list[Image.Image], assets: AssetResolver, video: Path, preset: str) -> None:
    clips = []
    for index, (shot, background) in enumerate(zip(plan.shots, backgrounds)):
        following = plan.shots[index + 1] if index + 1 < len(plan.shots) else None
        tail = following.transition_in.frames if following and following.transition_in else 0
        clip = shot_clip(plan, shot, background, assets, tail).with_start(shot.start / plan.fps)
        if shot.transition_in is not None:
            clip = clip.with_effects([vfx.CrossFadeIn(shot.transition_in.frames / plan.fps)])
        clips.append(clip)
    duration = plan.frames / plan.fps
    ad = CompositeVideoClip(clips, size=plan.size).with_duration(duration)
    if plan.audio is not None:
        path = assets.path(plan.audio.ref.source, plan.audio.ref.sha256)
        music = AudioFileClip(str(path)).with_effects([
            afx.AudioLoop(duration=duration), afx.MultiplyVolume(plan.audio.volume), afx.AudioFadeOut(plan.audio.fade_out),
        ])  # fmt: skip
        ad = ad.with_audio(music)
    settings = EncodeSettings(preset=preset)
    ad.write_videofile(
        str(video), fps=plan.fps, codec="libx264", preset=preset, audio_codec="aac", audio_bitrate="128k",
        ffmpeg_params=["-crf", str(settings.crf), "-pix_fmt", "yuv420p"], logger=None,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sku", default="HOM-002")
    parser.add_argument("--preset", default="veryfast")
    parser.add_argument("--keep", type=Path, help="a folder to keep both videos in, to compare them")
    args = parser.parse_args()
    plan = planned(args.sku)
    assets = AssetResolver({"catalog": SAMPLE.parent, "templates": DEFAULT_TEMPLATES})
    seconds_of_video = plan.frames / plan.fps
    with tempfile.TemporaryDirectory(prefix="adgen-vs-moviepy-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        render_video(plan, DraftRenderer(), assets, folder / "adgen.mp4", folder / "adgen.jpg",
                     EncodeSettings(preset=args.preset))  # fmt: skip
        adgen = time.perf_counter() - started
        floor = encode_only_seconds(folder / "adgen.mp4", plan, assets, folder, "yuv420p", args.preset)
        backgrounds = list(Compositor.render(plan, DraftRenderer(), assets).backgrounds)
        started = time.perf_counter()
        moviepy_ad(plan, backgrounds, assets, folder / "moviepy.mp4", args.preset)
        moviepy = time.perf_counter() - started
    report = {
        "sku": args.sku, "size": list(plan.size), "seconds_of_video": seconds_of_video, "preset": args.preset,
        "adgen_s_per_s": round(adgen / seconds_of_video, 3), "moviepy_s_per_s": round(moviepy / seconds_of_video, 3),
        "ratio": round(moviepy / adgen, 2), "x264_alone_s_per_s": round(floor / seconds_of_video, 3),
        "largest_ratio_possible": round(moviepy / floor, 2),
    }  # fmt: skip
    print(f"{args.sku}: {seconds_of_video:.1f} s of {plan.size[0]}x{plan.size[1]} video at {args.preset}")
    print(f"adgen   {adgen:7.1f} s ({adgen / seconds_of_video:.2f} s per second of video)")
    print(f"MoviePy {moviepy:7.1f} s ({moviepy / seconds_of_video:.2f} s per second of video)")
    print(f"adgen is {moviepy / adgen:.1f}x faster")
    print(f"x264 alone on adgen's frames {floor:.1f} s: no tool can be more than {moviepy / floor:.1f}x faster here")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
