"""Compositing on a torch device against the CPU compositor, measured in one run: wall milliseconds per
frame of video for each, frames packed 4:2:0 as the encoder takes them, and how far their bytes differ.

For the first ``--rows`` plannable rows of the sample catalog (first aspect, draft keyframes), every
frame of each video is drawn and packed twice: by ``Compositor`` (CPU: OpenCV and Pillow, in
threads) and by ``DeviceCompositor`` on ``--device`` (``cuda`` on a GPU machine; ``cpu`` runs the
same torch code here, to check it, not to be fast). Keyframes and sprites are made once, outside
the timings. The ratio is CPU milliseconds over device milliseconds.

Usage: ``python bench/device.py [--device cuda] [--rows 3]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from generator.core.images import AssetResolver
from generator.orchestration.runs.rows import DEFAULT_TEMPLATES, PlannedRow, RunOptions, load_templates, plan_rows
from generator.planning.catalog import load_catalog
from render.backends.draft import DraftRenderer
from render.colour import VideoFrame, pack_420
from render.compose import Compositor
from render.compose.device import DeviceCompositor

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "catalogs" / "sample.csv"


def packed(source: Iterator[VideoFrame]) -> tuple[list[np.ndarray], float]:
    """Every frame of ``source`` packed 4:2:0, and the wall seconds drawing and packing took."""
    started = time.perf_counter()
    out: list[np.ndarray] = []
    last: VideoFrame | None = None
    data = np.empty(0, np.uint8)
    for frame in source:
        if frame is not last:  # a held frame is sent again without packing, as encode_video does
            data = pack_420(frame) if isinstance(frame, Image.Image) else frame.packed()
            last = frame
        out.append(data)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--rows", type=int, default=3)
    args = parser.parse_args()

    options = RunOptions()
    planned = [
        p for p in plan_rows(load_catalog(SAMPLE), load_templates(options), options) if isinstance(p, PlannedRow)
    ]
    assets = AssetResolver({"catalog": SAMPLE.parent, "templates": DEFAULT_TEMPLATES})
    frames = 0
    cpu_seconds = device_seconds = 0.0
    worst, means = 0, list[float]()
    for row in planned[: args.rows]:
        compositor = Compositor.render(row.plan, DraftRenderer(), assets, colour="video")
        device = DeviceCompositor(compositor, args.device)
        list(device.video_frames())  # uploads and kernels warmed up; worlds let go again at each shot's end
        expected, seconds = packed(compositor.video_frames())
        cpu_seconds += seconds
        drawn, seconds = packed(device.video_frames())
        device_seconds += seconds
        frames += len(expected)
        for a, b in zip(drawn, expected, strict=True):
            difference = np.abs(a.astype(int) - b)
            worst, means = max(worst, int(difference.max())), [*means, float(difference.mean())]
    summary = {
        "device": args.device,
        "frames": frames,
        "cpu_ms_per_frame": round(1000 * cpu_seconds / frames, 3),
        "device_ms_per_frame": round(1000 * device_seconds / frames, 3),
        "cpu_over_device": round(cpu_seconds / device_seconds, 3),
        "max_level_difference": worst,
        "mean_level_difference": round(float(np.mean(means)), 4),
    }
    print(f"{frames} frames: CPU {summary['cpu_ms_per_frame']} ms/frame, {args.device} "
          f"{summary['device_ms_per_frame']} ms/frame ({summary['cpu_over_device']}x); bytes differ by at most "
          f"{worst} levels, {summary['mean_level_difference']} on average")  # fmt: skip
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
