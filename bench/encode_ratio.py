"""adgen's wall time per video over ffmpeg's time to encode the same frames alone, measured in one run.

1. Render the catalog with adgen into a fresh folder (plan, keyframes, compositing, encoding, QC,
   storage: everything the user waits for), timing the whole batch.
2. For each video, decode its frames to a raw RGB file, then time ffmpeg encoding that file with
   exactly the settings adgen used (same argv builder, same audio bed).
3. Print per-video times and the ratio of the totals.

Usage: ``python bench/encode_ratio.py [CATALOG] [--limit N]`` (default: the bundled sample catalog).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator.core.images import AssetResolver
from generator.orchestration.batch import DEFAULT_TEMPLATES, RunOptions, run_batch
from generator.orchestration.jobs import RenderJob
from generator.orchestration.store import LocalStore
from generator.planning.plan.types import ShotPlan
from render.encode import AudioBed, encode_argv, ffmpeg_executable

REPO = Path(__file__).resolve().parent.parent


def encode_only_seconds(video: Path, plan: ShotPlan, assets: AssetResolver, scratch: Path) -> float:
    """Seconds ffmpeg alone needs to encode ``video``'s decoded frames with adgen's settings."""
    raw = scratch / "frames.rgb"
    ffmpeg = ffmpeg_executable()
    subprocess.run(
        [ffmpeg, "-v", "error", "-i", str(video), "-map", "0:v", "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", str(raw)],
        check=True,
    )
    audio = None
    if plan.audio is not None:
        audio = AudioBed(
            assets.path(plan.audio.ref.source, plan.audio.ref.sha256), plan.audio.volume, plan.audio.fade_out
        )
    argv = encode_argv(
        scratch / "encode-only.mp4", size=plan.size, fps=plan.fps, frames=plan.frames, audio=audio,
        executable=ffmpeg, source=str(raw),
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
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="adgen-bench-") as folder:
        scratch = Path(folder)
        store = LocalStore(scratch / "out")
        started = time.perf_counter()
        report = run_batch(args.catalog, store, RunOptions(limit=args.limit))
        adgen_total = time.perf_counter() - started
        rendered = [r for r in report.results if r.status == "rendered"]
        if not rendered:
            print("nothing rendered", file=sys.stderr)
            return 1
        assets = AssetResolver({"catalog": args.catalog.parent, "templates": DEFAULT_TEMPLATES})
        encode_total = 0.0
        print(f"{'sku':<10} {'frames':>6} {'adgen s':>8} {'encode s':>9} {'ratio':>6}")
        for result in rendered:
            plan = RenderJob.from_json(Path(str(result.job)).read_text(encoding="utf-8"), str(result.job)).plan
            seconds = encode_only_seconds(Path(str(result.video)), plan, assets, scratch)
            encode_total += seconds
            print(
                f"{result.sku:<10} {plan.frames:>6} {result.seconds:>8.2f} {seconds:>9.2f} {(result.seconds or 0) / seconds:>6.2f}"
            )
        per_video = adgen_total / len(rendered)
        summary = {
            "videos": len(rendered),
            "adgen_seconds_per_video": round(per_video, 3),
            "encode_only_seconds_per_video": round(encode_total / len(rendered), 3),
            "ratio": round(adgen_total / encode_total, 3),
        }
        print(f"adgen {per_video:.2f} s/video (whole batch incl. planning) vs ffmpeg encode-only "
              f"{encode_total / len(rendered):.2f} s/video: ratio {adgen_total / encode_total:.2f}")  # fmt: skip
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
