"""What the voice adds to a video's render time, measured in one run on the sample catalog.

For the first ``--rows`` voiced plans of the sample catalog (shipped templates, first aspect, draft
keyframes), each video is rendered, in turn, as planned (voice mixed under the music, captions burned
in, the sound decoded and checked) and made silent (no voice lines, no caption layers; the same
frames and music), ``--repeat`` times each after one warm-up render, and the fastest of each kept
(a shared machine's noise only ever adds time). The voice's share of a video is

    (synthesis + voiced render - silent render) / (synthesis + voiced render)

where synthesis is the engine speaking every line of the plan from a cold clip source. It also
prints the engine's seconds of synthesis per second of speech. The issue's target: at most 10 %
with espeak-ng.

Usage: ``python bench/voice.py [--rows 3] [--repeat 2] [--preset medium]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from generator.core.images import AssetResolver
from generator.orchestration.runs.rows import DEFAULT_TEMPLATES, PlannedRow, RunOptions, load_templates, plan_rows
from generator.planning.catalog import load_catalog
from generator.planning.plan.types import ShotPlan, TextPlacement
from render.backends.draft import DraftRenderer
from render.encode import EncodeSettings
from render.speech import open_voice
from render.speech.clips import ClipSource
from render.video import render_video

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "catalogs" / "sample.csv"


def silent(plan: ShotPlan) -> ShotPlan:
    """``plan`` with its voice lines and captions taken out; frames, layers and music as they were."""
    shots = tuple(
        shot.model_copy(
            update={
                "line": None,
                "layers": tuple(
                    layer for layer in shot.layers if not (isinstance(layer, TextPlacement) and layer.caption)
                ),
            }
        )
        for shot in plan.shots
    )
    return plan.model_copy(update={"shots": shots, "voice": None})


def synthesis_seconds(plan: ShotPlan) -> tuple[float, float]:
    """Seconds a freshly opened voice takes to speak every line of ``plan``, and the seconds of speech."""
    assert plan.voice is not None
    began = time.perf_counter()
    engine = open_voice(plan.voice.engine, plan.voice.voice)
    speech = sum(engine.speak(line.spoken, line.speed).duration for _, line in plan.lines())
    engine.close()
    return time.perf_counter() - began, speech


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--preset", default="medium")
    args = parser.parse_args()
    options = RunOptions()
    planned = [
        p.plan
        for p in plan_rows(load_catalog(SAMPLE), load_templates(options), options)
        if isinstance(p, PlannedRow) and p.plan.voice is not None
    ][: args.rows]
    assets = AssetResolver({"catalog": SAMPLE.parent, "templates": DEFAULT_TEMPLATES})
    settings = EncodeSettings(preset=args.preset)
    shares, rates, rows = [], [], []
    with tempfile.TemporaryDirectory(prefix="adgen-voice-") as scratch:
        folder = Path(scratch)
        render_video(silent(planned[0]), DraftRenderer(), assets, folder / "w.mp4", folder / "w.jpg", settings)
        for n, plan in enumerate(planned):
            synthesis, speech = synthesis_seconds(plan)
            voiced = quiet = float("inf")
            for _ in range(args.repeat):
                began = time.perf_counter()
                render_video(
                    silent(plan), DraftRenderer(), assets, folder / f"{n}-s.mp4", folder / f"{n}-s.jpg", settings
                )
                quiet = min(quiet, time.perf_counter() - began)
                began = time.perf_counter()
                render_video(
                    plan, DraftRenderer(), assets, folder / f"{n}.mp4", folder / f"{n}.jpg", settings, ClipSource()
                )
                voiced = min(voiced, time.perf_counter() - began)
            share = (synthesis + voiced - quiet) / (synthesis + voiced)
            shares.append(share)
            rates.append(synthesis / speech)
            rows.append({"sku": plan.product["sku"], "seconds_of_video": round(plan.duration, 2),
                         "synthesis_s": round(synthesis, 3), "voiced_s": round(voiced, 2),
                         "silent_s": round(quiet, 2), "voice_share": round(share, 4)})  # fmt: skip
            print(f"{plan.product['sku']:<10} {plan.duration:5.1f} s of video: synthesis {synthesis:.3f} s, "
                  f"voiced {voiced:.2f} s, silent {quiet:.2f} s, voice share {share:.1%}")  # fmt: skip
    engine = planned[0].voice.engine if planned and planned[0].voice else "espeak-ng"
    print(f"{engine}: {statistics.median(rates):.4f} s of synthesis per second of speech (median)")
    print(f"voice share of a video's render time: median {statistics.median(shares):.1%}, max {max(shares):.1%}")
    print(json.dumps({"rows": rows, "synthesis_per_speech_second": statistics.median(rates),
                      "voice_share_median": statistics.median(shares)}))  # fmt: skip


if __name__ == "__main__":
    main()
