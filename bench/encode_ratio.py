"""adgen's wall time per video over ffmpeg's time to encode the same frames alone, measured in one run.

1. Render the catalog with adgen into a fresh folder (plan, keyframes, compositing, encoding, QC,
   storage: everything the user waits for), timing the whole batch.
2. For each video, decode its frames to a raw file, then time ffmpeg encoding that file with
   exactly the settings adgen used (same argv builder, same audio bed): once as planar ``yuv420p``,
   the frames as adgen sends them (x264 alone, the floor), and once as ``rgb24`` (ffmpeg converting
   RGB frames to BT.709 first, the floor of a compositor that hands over RGB).
3. Print per-video times and the ratio of the totals to each floor.

With ``--gpu``, adgen composites on CUDA and encodes with NVENC where the machine has them
(``render.gpu.on_gpu``), and the floors encode with the same codec.

Usage: ``python bench/encode_ratio.py [CATALOG] [--limit N] [--gpu]`` (default: the bundled sample catalog).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Literal

from generator.core.images import AssetResolver
from generator.orchestration.runs.jobs import RenderJob
from generator.orchestration.runs.rows import DEFAULT_TEMPLATES, RunOptions
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.store import LocalStore
from generator.planning.plan.types import ShotPlan
from render.audio.mix import write_wav
from render.encode import EncodeSettings, encode_argv, ffmpeg_executable
from render.gpu import on_gpu
from render.speech.clips import ClipSource
from render.video import master_audio

REPO = Path(__file__).resolve().parent.parent


def encode_only_seconds(
    video: Path,
    plan: ShotPlan,
    assets: AssetResolver,
    scratch: Path,
    source_format: Literal["yuv420p", "rgb24"],
    settings: EncodeSettings,
) -> float:
    """Seconds ffmpeg alone needs to encode ``video``'s decoded frames, as ``source_format``, with adgen's settings."""
    raw = scratch / "frames.raw"
    ffmpeg = ffmpeg_executable()
    subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(video), "-map", "0:v", "-f", "rawvideo", "-pix_fmt", source_format, "-y",
         str(raw)],
        check=True,
    )  # fmt: skip
    audio = None
    master = master_audio(plan, assets, ClipSource(), ffmpeg)
    if master is not None:
        audio = scratch / "master.wav"
        write_wav(audio, master)
    argv = encode_argv(
        scratch / "encode-only.mp4", size=plan.size, fps=plan.fps, frames=plan.frames, audio=audio,
        settings=settings, executable=ffmpeg, source=str(raw), source_format=source_format,
    )  # fmt: skip
    started = time.perf_counter()
    subprocess.run(argv, check=True)
    elapsed = time.perf_counter() - started
    raw.unlink()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("catalog", nargs="?", type=Path, default=REPO / "catalogs" / "sample.csv")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--gpu", action="store_true", help="composite on CUDA, encode with NVENC, where present")
    args = parser.parse_args()
    settings = EncodeSettings()
    if args.gpu:
        settings, notes = on_gpu(settings)
        for note in notes:
            print(f"--gpu: {note}", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="adgen-bench-") as folder:
        scratch = Path(folder)
        store = LocalStore(scratch / "out")
        started = time.perf_counter()
        report = run_batch(args.catalog, store, RunOptions(limit=args.limit, encode=settings))
        adgen_total = time.perf_counter() - started
        rendered = [r for r in report.results if r.status == "rendered"]
        if not rendered:
            print("nothing rendered", file=sys.stderr)
            return 1
        assets = AssetResolver({"catalog": args.catalog.parent, "templates": DEFAULT_TEMPLATES})
        yuv_total = rgb_total = 0.0
        print(f"{'sku':<10} {'frames':>6} {'adgen s':>8} {'x264 s':>7} {'ratio':>6} {'rgb s':>6}")
        for result in rendered:
            plan = RenderJob.from_json(Path(str(result.job)).read_text(encoding="utf-8"), str(result.job)).plan
            yuv = encode_only_seconds(Path(str(result.video)), plan, assets, scratch, "yuv420p", settings)
            rgb = encode_only_seconds(Path(str(result.video)), plan, assets, scratch, "rgb24", settings)
            yuv_total, rgb_total = yuv_total + yuv, rgb_total + rgb
            print(
                f"{result.sku:<10} {plan.frames:>6} {result.seconds:>8.2f} {yuv:>7.2f} "
                f"{(result.seconds or 0) / yuv:>6.2f} {rgb:>6.2f}"
            )
        per_video, count = adgen_total / len(rendered), len(rendered)
        summary = {
            "compositing": settings.compositing,
            "codec": settings.codec,
            "videos": count,
            "adgen_seconds_per_video": round(per_video, 3),
            "encode_only_seconds_per_video": round(yuv_total / count, 3),
            "ratio": round(adgen_total / yuv_total, 3),
            "encode_only_from_rgb_seconds_per_video": round(rgb_total / count, 3),
            "ratio_to_rgb_floor": round(adgen_total / rgb_total, 3),
        }
        print(f"adgen {per_video:.2f} s/video (whole batch incl. planning) vs x264 alone {yuv_total / count:.2f} "
              f"s/video: ratio {adgen_total / yuv_total:.2f} (vs ffmpeg from RGB frames {rgb_total / count:.2f} "
              f"s/video: {adgen_total / rgb_total:.2f})")  # fmt: skip
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
