"""Preview speed: ``adgen preview`` of one row in one aspect, as a marketer runs it, timed end to end.

Each run is a fresh ``adgen preview`` process (interpreter start, imports, template and catalog
loading, planning, compositing the draft frames, encoding and the storyboard), so the time printed
is what someone waits at the terminal. The template's duration and the in-process time that adgen
logs are printed beside it.

Usage: ``python bench/preview.py [--template templates/home/cozy-home.yaml] [--row HOM-002] [--aspect 9:16] [--runs 3]``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--template", type=Path, default=REPO / "templates" / "home" / "cozy-home.yaml")
    parser.add_argument("--catalog", type=Path, default=REPO / "catalogs" / "sample.csv")
    parser.add_argument("--row", default="HOM-002")
    parser.add_argument("--aspect", default="9:16")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    adgen = Path(sys.executable).with_name("adgen")
    walls, inside = [], []
    with tempfile.TemporaryDirectory(prefix="adgen-preview-bench-") as scratch:
        for run in range(args.runs):
            out = Path(scratch) / f"run-{run}"
            argv = [str(adgen), "preview", str(args.template), "--catalog", str(args.catalog), "--row", args.row,
                    "--aspect", args.aspect, "--out", str(out)]  # fmt: skip
            started = time.perf_counter()
            result = subprocess.run(argv, capture_output=True, text=True, check=True)
            walls.append(time.perf_counter() - started)
            logged = re.search(r"in ([\d.]+) s", result.stderr)
            inside.append(float(logged.group(1)) if logged else float("nan"))
        frames = re.search(r"(\d+) frames", result.stderr)
    print(
        f"template {args.template.name}, row {args.row}, aspect {args.aspect}, {frames.group(1) if frames else '?'} frames"
    )
    print(
        f"wall time per preview (fresh process): median {statistics.median(walls):.2f} s, best {min(walls):.2f} s over {args.runs} runs"
    )
    print(f"time inside adgen (after imports):     median {statistics.median(inside):.2f} s")


if __name__ == "__main__":
    main()
