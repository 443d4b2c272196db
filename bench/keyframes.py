"""Seconds per keyframe of the diffusers backend at 512x512 and 1024x1024.

Scenes (text to image) and pinned keyframes (a product inpainted into a scene, its pixels
restored, restoration included) are timed; each keyframe is one pipeline call, so that it never
depends on what it was rendered with.

Usage: ``python bench/keyframes.py [--model ID_OR_FOLDER] [--device cuda] [--steps N]``.
Without ``--model`` it builds the tiny test pipeline (random weights, offline), which measures
the backend's own overhead rather than a real model's speed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from PIL import Image

from render.backends import KeyframeRequest, Reference, RendererSettings, get_renderer
from render.backends.diffusion import DiffusersRenderer

REPO = Path(__file__).resolve().parent.parent


def _pinned(scene: KeyframeRequest, image: Image.Image) -> KeyframeRequest:
    """A request pinning the bundled lipstick into the middle of ``scene``, with ``image`` as its base."""
    width, height = scene.size
    product = Image.open(REPO / "catalogs" / "images" / "lipstick-ruby.png").convert("RGBA")
    product.thumbnail((width // 2, height // 2))
    layer = Image.new("RGBA", scene.size, (0, 0, 0, 0))
    layer.paste(product, ((width - product.width) // 2, (height - product.height) // 2))
    reference = Reference("product", "bench-lipstick", lambda: layer)
    return replace(scene, seed=scene.seed + 1, base=scene, pinned=(reference,), base_image=image)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model")
    parser.add_argument("--device")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--guidance", type=float, default=0.0)
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
                resolution=side, local_files_only=args.model is None,
            )  # fmt: skip
            renderer = get_renderer(settings)
            assert isinstance(renderer, DiffusersRenderer)
            requests = [
                KeyframeRequest(
                    f"studio backdrop {i}", "", (side, side), seed=i, palette=("#000000", "#FFFFFF"), accent="#FF0000"
                )
                for i in range(2)
            ]
            renderer.render_arrays(requests[:1])  # warm-up: kernels, allocator
            started = time.perf_counter()
            for _ in range(args.repeat):
                renderer.render_arrays(requests[:1])
            single = (time.perf_counter() - started) / args.repeat
            pin = _pinned(requests[0], renderer.render(requests[:1])[0])
            started = time.perf_counter()
            for _ in range(args.repeat):
                renderer.render([pin])
            pinned = (time.perf_counter() - started) / args.repeat
            results[f"{side}x{side}"] = {
                "seconds_scene": round(single, 4), "seconds_pinned": round(pinned, 4),
            }  # fmt: skip
            print(f"{side}x{side}: {single:.3f} s a scene, {pinned:.3f} s pinned "
                  f"({renderer.identity.rsplit(':on=', 1)[1]}, {args.steps} steps)")  # fmt: skip
            renderer.close()
        print(json.dumps({"model": args.model or "tiny (random weights)", **results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
