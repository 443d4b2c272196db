"""Bulk runs, measured in one run: planning speed, memory per process, videos per minute by workers.

1. The sample catalog's good rows are repeated (new SKUs) into catalogs of 20 and ``--plan-rows``
   rows (default 200).
2. Plan only, each size in a fresh process, the catalog planned as it is read (as ``adgen plan`` does): rows
   planned per second and that process's peak RSS.
3. Full render of the 20-row catalog with 1 and with 2 workers into fresh folders: videos per
   minute, and the peak RSS of the main process and of the largest worker (from run-summary.json;
   ffmpeg's own memory is not included).

Usage: ``python bench/bulk.py [--plan-rows 200] [--render-rows 20] [--preset medium] [--skip-render]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "catalogs" / "sample.csv"

_PLAN_CHILD = """
import json, resource, sys, time
from pathlib import Path
from generator.orchestration.runs.rows import RunOptions, load_templates, plan_rows
from generator.planning.catalog import stream_catalog
started = time.perf_counter()
options = RunOptions()
planned = sum(1 for _ in plan_rows(stream_catalog(Path(sys.argv[1])), load_templates(options), options))
seconds = time.perf_counter() - started
print(json.dumps({"plans": planned, "seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def scaled_catalog(rows: int, folder: Path) -> Path:
    """The sample catalog's good rows repeated to ``rows`` rows, each copy with its own SKU."""
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        source = [row for row in csv.DictReader(handle) if "twelve" not in row["price"]]
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "images").exists():
        shutil.copytree(SAMPLE.parent / "images", folder / "images")
    path = folder / f"catalog-{rows}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(source[0]))
        writer.writeheader()
        for n in range(rows):
            row = dict(source[n % len(source)])
            row["id"] = f"{row['id']}-{n:05d}"
            writer.writerow(row)
    return path


def plan_only(catalog: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _PLAN_CHILD, str(catalog)], cwd=REPO, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def render(catalog: Path, workers: int, preset: str, out: Path) -> dict[str, float]:
    started = time.perf_counter()
    argv = [
        sys.executable,
        "-m",
        "generator",
        "run",
        str(catalog),
        "--out",
        str(out),
        "--workers",
        str(workers),
        "--preset",
        preset,
    ]
    subprocess.run(
        argv, cwd=REPO, capture_output=True, check=True, env={**os.environ, "ADGEN_KEYFRAME_CACHE": str(out / ".cache")}
    )
    seconds = time.perf_counter() - started
    videos = sum(1 for _ in out.rglob("*.mp4"))
    rss = json.loads((out / "run-summary.json").read_text())["peak_rss_mb"]
    return {"videos": videos, "seconds": round(seconds, 2), "videos_per_minute": round(videos / seconds * 60, 2),
            "main_peak_rss_mb": rss["main"], "worker_peak_rss_mb": rss["worker"]}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan-rows", type=int, default=200)
    parser.add_argument("--render-rows", type=int, default=20)
    parser.add_argument("--preset", default="medium")
    parser.add_argument("--skip-render", action="store_true")
    args = parser.parse_args()
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="adgen-bulk-") as folder:
        small, large = scaled_catalog(args.render_rows, Path(folder)), scaled_catalog(args.plan_rows, Path(folder))
        for rows, catalog in ((args.render_rows, small), (args.plan_rows, large)):
            result = plan_only(catalog)
            report[f"plan_{rows}_rows"] = {
                "rows_per_second": round(result["plans"] / result["seconds"], 1), "seconds": round(result["seconds"], 2),
                "peak_rss_mb": round(result["peak_rss_mb"], 1),
            }  # fmt: skip
            print(
                f"plan {rows} rows: {result['plans'] / result['seconds']:.1f} rows/s, peak RSS {result['peak_rss_mb']:.0f} MB"
            )
        if not args.skip_render:
            for workers in (1, 2):
                result = render(small, workers, args.preset, Path(folder) / f"out-{workers}")
                report[f"render_{args.render_rows}_rows_{workers}_workers"] = result
                print(f"render {args.render_rows} rows, {workers} worker(s): {result['videos_per_minute']} videos/min "
                      f"({result['seconds']} s), peak RSS main {result['main_peak_rss_mb']} MB, "
                      f"worker {result['worker_peak_rss_mb']} MB")  # fmt: skip
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
