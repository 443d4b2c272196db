"""Where a video's time goes: milliseconds per frame for each stage, measured in one run on one thread.

For the first ``--rows`` plannable rows of the sample catalog (first aspect, draft keyframes):

- **compositing**, frame by frame in order, the way the compositor draws them but on one thread and
  timed piece by piece: the background seen through the camera (a copy at rest, a resample while it
  moves), image and text sprites resampled and pasted, transitions blended. Frames equal to the one
  before (holds) cost nothing and are counted apart. Sprite set-up (texts drawn, references cut,
  shadows blurred) is timed once per shot.
- **packing and pipe**, and **x264**, on the first ``--sample`` drawn frames: packing them 4:2:0
  and streaming them as the encoder does into a reader, and x264 alone on those frames, at
  ``--preset`` (ffmpeg's figure is its CPU time, all its threads). Frames are composited in the
  video's colour (``render.colour``), so nothing is left for ffmpeg to convert.
- **QC**: the MP4 checks and the decode-and-compare checks on the whole encoded video.
- **start-up**: a fresh interpreter importing what a worker imports, in seconds.

Every figure is milliseconds of CPU per frame of video (holds included in the count), so the
stages add up to what one video costs; the last column is each stage's share.

Usage: ``python bench/stages.py [--rows 3] [--preset medium] [--sample 90]``.
"""

from __future__ import annotations

import argparse
import collections
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from generator.core.images import AssetResolver
from generator.orchestration.runs.rows import DEFAULT_TEMPLATES, PlannedRow, RunOptions, load_templates, plan_rows
from generator.planning.catalog import load_catalog
from generator.planning.plan.types import ShotPlan
from render.backends import RendererSettings, get_renderer
from render.colour import image_of, pack_420, to_video
from render.compose import Compositor, layer_source
from render.compose.shot import ShotRenderer, State, through_camera
from render.compose.sprites import shot_sprites
from render.encode import EncodeSettings, encode_argv, encode_video, ffmpeg_executable
from render.qc import check_pictures, check_video
from render.video import encode_plan

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "catalogs" / "sample.csv"
_IMPORTS = "import generator.orchestration.runs.run, render.video, render.backends.draft"


class Clock:
    """Seconds spent per stage."""

    def __init__(self) -> None:
        self.seconds: collections.Counter[str] = collections.Counter()

    def time(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.seconds[stage] += now - started
        return now


def draw(renderer: ShotRenderer, state: State, clock: Clock) -> Image.Image:
    """``renderer.draw(state)``, its camera and its sprites timed apart."""
    started = time.perf_counter()
    world = renderer.world(state.baked)
    started = clock.time("sprites", started)  # baking resting layers into the world image, once
    view = state.view
    if view.at_rest:
        frame = image_of(world)
        started = clock.time("background at rest (copy)", started)
    else:
        frame = through_camera(world, view.box(renderer.size), renderer.size, (0, 0, *renderer.size))
        started = clock.time("camera resample", started)
    for index, (rect, opacity, window) in enumerate(state.layers, start=state.baked):
        piece = renderer._cached_piece(index, rect, opacity, window)
        if piece is not None:
            frame.paste(piece.image, piece.origin, piece.mask)
    clock.time("sprites", started)
    return frame


def composite(compositor: Compositor, clock: Clock) -> tuple[list[Image.Image], int]:
    """Every drawn frame in order (holds left out), and the number of frames of video."""
    drawn: list[Image.Image] = []
    count = 0
    previous: ShotRenderer | None = None
    last_state: object = None
    for shot, current in zip(compositor.plan.shots, compositor._shots):
        transition = shot.transition_in if previous is not None else None
        blend_frames = min(transition.frames, shot.frames) if transition is not None else 0
        for local in range(shot.frames):
            count += 1
            state = current.state(local)
            if transition is not None and previous is not None and local < blend_frames:
                outgoing = previous.state(previous.shot.frames + local)
                progress = transition.progress(local, blend_frames)
                a, b = draw(previous, outgoing, clock), draw(current, state, clock)
                started = time.perf_counter()
                drawn.append(transition.apply(a, b, progress))
                clock.time(f"transition {transition.type}", started)
                last_state = None
            elif state != last_state:
                drawn.append(draw(current, state, clock))
                last_state = state
        previous = current
    return drawn, count


def pipe_seconds(frames: list[Image.Image], size: tuple[int, int], clock: Clock) -> None:
    """This process's CPU to stream ``frames`` as the encoder does (``encode_video``) into a reader
    that drops them (``cat``, standing in for ffmpeg): 4:2:0 packing, the queue, the pipe."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    encode_video(frames, ["cat"], size=size)
    after = resource.getrusage(resource.RUSAGE_SELF)
    stage = "frames packed 4:2:0 into the pipe"
    clock.seconds[stage] += after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def child_cpu(argv: list[str]) -> float:
    """CPU seconds (user and system, all its threads) of running ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def x264_seconds(frames: list[Image.Image], plan: ShotPlan, preset: str, folder: Path, clock: Clock) -> None:
    """x264 alone on ``frames``, packed as the encoder sends them, read from a file."""
    yuv = folder / "frames.yuv"
    with yuv.open("wb") as handle:
        for frame in frames:
            handle.write(pack_420(frame))
    argv = encode_argv(
        folder / "x264.mp4", size=plan.size, fps=plan.fps, frames=len(frames), audio=None,
        settings=EncodeSettings(preset=preset), executable=ffmpeg_executable(), source=str(yuv),
    )  # fmt: skip
    clock.seconds["x264"] += child_cpu(argv)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3)
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--sample", type=int, default=90, help="frames used for the conversion, pipe and x264")
    args = parser.parse_args()

    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", _IMPORTS], check=True, cwd=REPO)
    startup = time.perf_counter() - started

    options = RunOptions()
    planned = [
        p for p in plan_rows(load_catalog(SAMPLE), load_templates(options), options) if isinstance(p, PlannedRow)
    ]
    assets = AssetResolver({"catalog": SAMPLE.parent, "templates": DEFAULT_TEMPLATES})
    renderer = get_renderer(RendererSettings())
    clock, sampled = Clock(), Clock()
    frames_total = drawn_total = sample_total = 0
    with tempfile.TemporaryDirectory(prefix="adgen-stages-") as scratch:
        folder = Path(scratch)
        for row in planned[: args.rows]:
            plan = row.plan
            began = time.perf_counter()
            compositor = Compositor.render(plan, renderer, assets, colour="video")
            began = clock.time("keyframes (draft backdrops)", began)
            for shot in plan.shots:  # sprite set-up, as each ShotRenderer did it
                shot_sprites(shot, lambda layer: layer_source(layer, assets), compositor.pinning, to_video)
            clock.time("sprite set-up (texts drawn, references cut)", began)
            drawn, count = composite(compositor, clock)
            frames_total, drawn_total = frames_total + count, drawn_total + len(drawn)
            sample = drawn[: args.sample]
            sample_total += len(sample)
            pipe_seconds(sample, plan.size, sampled)
            x264_seconds(sample, plan, args.preset, folder, sampled)
            video = folder / f"{row.product.sku}.mp4"
            encode_plan(compositor, assets, video, EncodeSettings(preset=args.preset), ffmpeg_executable())
            began = time.perf_counter()
            check_video(video, plan)
            check_pictures(video, plan, lambda layer: layer_source(layer, assets), ffmpeg_executable())
            clock.time("QC (MP4 checks, decode, compare)", began)

    per_frame = {stage: 1000 * seconds / frames_total for stage, seconds in clock.seconds.items()}
    scale = drawn_total / sample_total  # sampled stages run once per drawn frame
    per_frame.update({stage: 1000 * seconds * scale / frames_total for stage, seconds in sampled.seconds.items()})
    per_frame["process start-up (once per worker)"] = 1000 * startup / (frames_total / args.rows)
    total = sum(per_frame.values())
    print(f"{args.rows} videos, {frames_total} frames ({drawn_total} drawn, the rest holds), preset {args.preset}")
    print(f"{'stage':<46} {'ms/frame':>9} {'share':>6}")
    for stage, ms in sorted(per_frame.items(), key=lambda item: -item[1]):
        print(f"{stage:<46} {ms:>9.2f} {ms / total:>6.1%}")
    print(f"{'total':<46} {total:>9.2f}")
    print(
        json.dumps(
            {
                "frames": frames_total,
                "drawn": drawn_total,
                "ms_per_frame": {k: round(v, 3) for k, v in per_frame.items()},
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
