"""Seconds of generation per second of generated video, and peak memory, for each image-to-video family.

1. Load each model (``--model FOLDER``, repeatable; default: the tiny LTX-Video and Wan pipelines the tests
   build, written to a temporary folder) through ``DiffusersVideoModel.load``, as ``--video-model`` does.
2. Make ``--clips`` clips of ``--seconds`` seconds at ``--fps`` for a ``--size`` canvas from a keyframe, each
   with its own seed, timing each call (retime and fit to the canvas included).
3. Print, per model: seconds per generated second of video (best and median over the clips), the frames the
   model made per clip, and the peak memory: the process's resident set, and on CUDA the device's.

Usage: ``python bench/motion.py [--model FOLDER ...] [--device cpu|cuda] [--size WxH] [--seconds S] [--steps N]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from render.motion import ClipRequest  # noqa: E402
from render.motion.diffusion import DiffusersVideoModel, VideoSettings  # noqa: E402
from render.motion.timing import Clip  # noqa: E402


def _size(value: str) -> tuple[int, int]:
    width, _, height = value.lower().partition("x")
    return int(width), int(height)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", help="an image-to-video checkpoint folder or hub id")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=_size, default=(256, 256), help="the canvas, WxH")
    parser.add_argument("--video-size", type=_size, help="the generation size (default: the model's native area)")
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--clips", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="adgen-motion-") as folder:
        models = args.model
        if not models:
            from tests.tiny_video_models import build_tiny_ltx, build_tiny_wan

            models = [str(build_tiny_ltx(Path(folder) / "tiny-ltx")), str(build_tiny_wan(Path(folder) / "tiny-wan"))]
            args.video_size = args.video_size or (64, 64)
        keyframe = Image.linear_gradient("L").convert("RGB").resize(args.size)
        frames = round(args.seconds * args.fps)
        print(
            f"{'model':<40} {'s per video s (best/median)':>28} {'model frames':>12} {'peak RSS MB':>11} {'GPU MB':>7}"
        )
        for model in models:
            settings = VideoSettings(model=model, size=args.video_size, steps=args.steps, device=args.device)
            video = DiffusersVideoModel.load(settings)
            cuda = video.device.startswith("cuda")
            if cuda:
                import torch

                torch.cuda.reset_peak_memory_stats()
            seconds = []
            for seed in range(args.clips):
                request = ClipRequest(prompt="steam rises, light shifts slowly", negative="", size=args.size,
                                      frames=frames, fps=args.fps, seed=seed, strength=0.5, first=keyframe)  # fmt: skip
                started = time.perf_counter()
                (clip,) = video.generate([request])
                shown = Clip([np.asarray(frame) for frame in clip], frames, args.size)
                assert (
                    len([frame.size for frame in shown]) == frames
                )  # each frame retimed and fitted, as rendering does
                seconds.append((time.perf_counter() - started) / args.seconds)
            made = video.generation_frames(request)
            gpu = f"{torch.cuda.max_memory_allocated() / 2**20:7.0f}" if cuda else f"{'-':>7}"
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{Path(model).name:<40} {min(seconds):>13.3f} / {statistics.median(seconds):<12.3f} {made:>12} "
                  f"{rss:>11.0f} {gpu}")  # fmt: skip
            video.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
