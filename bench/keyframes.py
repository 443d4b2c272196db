"""Seconds per keyframe of the diffusers backend at 512x512 and 1024x1024, alone and in batches.

Usage: ``python bench/keyframes.py [--model ID_OR_FOLDER] [--device cuda] [--steps N] [--batch 4]``.
Without ``--model`` it builds the tiny test pipeline (random weights, offline), which measures
the backend's own overhead rather than a real model's speed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from render.backends import KeyframeRequest, RendererSettings, get_renderer
from render.backends.diffusion import DiffusersRenderer

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--device")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--guidance", type=float, default=0.0)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="adgen-bench-") as folder:
        model = args.model
        if model is None:
            sys.path.insert(0, str(REPO))
            from tests.tiny_models import build_tiny_sd

            model = str(build_tiny_sd(Path(folder) / "tiny-sd"))
        results = {}
        for side in (512, 1024):
            settings = RendererSettings(
                name="diffusers", model=model, steps=args.steps, guidance=args.guidance, device=args.device,
                resolution=side, batch_size=args.batch, local_files_only=args.model is None,
            )  # fmt: skip
            renderer = get_renderer(settings)
            assert isinstance(renderer, DiffusersRenderer)
            requests = [
                KeyframeRequest(f"studio backdrop {i}", "", (side, side), seed=i, palette=("#000000", "#FFFFFF"), accent="#FF0000")
                for i in range(args.batch)
            ]
            renderer.render_arrays(requests[:1])  # warm-up: kernels, allocator
            started = time.perf_counter()
            for _ in range(args.repeat):
                renderer.render_arrays(requests[:1])
            single = (time.perf_counter() - started) / args.repeat
            started = time.perf_counter()
            for _ in range(args.repeat):
                renderer.render_arrays(requests)
            batched = (time.perf_counter() - started) / args.repeat / len(requests)
            results[f"{side}x{side}"] = {"seconds_single": round(single, 4), f"seconds_each_in_batch_of_{args.batch}": round(batched, 4)}
            print(f"{side}x{side}: {single:.3f} s alone, {batched:.3f} s each in a batch of {args.batch} "
                  f"({renderer.device}, {renderer.dtype}, {args.steps} steps)")  # fmt: skip
            renderer.close()
        print(json.dumps({"model": args.model or "tiny (random weights)", **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
