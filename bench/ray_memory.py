"""Ray worker memory over a long catalog: each worker's peak memory after 4, 20 and 52 rows.

One sample row (HOM-002, 15 s of video) is repeated under new SKUs, so every row costs the same, and
rendered through a local Ray cluster of this machine's cores in three runs of 4, 16 and 32 rows. The
workers stay warm across runs, so each run's summary (``peak_rss_mb.workers``) gives each worker's
high-water mark after all the rows it has rendered so far: flat memory shows as peaks that stop
growing while rows go on.

Usage: ``python bench/ray_memory.py [--row HOM-002] [--runs 4,16,32]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import tempfile
from pathlib import Path

import ray

from generator.orchestration.executors.ray_tasks import RayExecutor, RaySettings
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.destination import StoreLocation
from generator.orchestration.stores.store import LocalStore
from render.encode import EncodeSettings

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--row", default="HOM-002")
    parser.add_argument("--runs", default="4,16,32")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="adgen-ray-memory-") as scratch:
        folder = Path(scratch)
        shutil.copytree(REPO / "catalogs" / "images", folder / "images")
        with (REPO / "catalogs" / "sample.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        base = next(row for row in rows if row["id"] == args.row)
        ray.init(num_cpus=os.cpu_count() or 1, include_dashboard=False, log_to_driver=False, _temp_dir=f"{scratch}/r")
        done = 0
        for count in (int(n) for n in args.runs.split(",")):
            catalog = folder / f"catalog-{count}.csv"
            with catalog.open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(base))
                writer.writeheader()
                writer.writerows({**base, "id": f"{args.row}-{done + i:04d}"} for i in range(count))
            out = folder / f"out-{count}"
            executor = RayExecutor(RaySettings(in_flight=4), StoreLocation(str(out)))
            run_batch(
                catalog, LocalStore(out), RunOptions(encode=EncodeSettings(preset="ultrafast")), executor=executor
            )
            done += count
            peaks = json.loads((out / "run-summary.json").read_text())["peak_rss_mb"]["workers"]
            shown = ", ".join(f"pid {key.rsplit(':', 1)[-1]} {mb:.0f}" for key, mb in sorted(peaks.items()))
            print(f"after {done} rows: each worker's peak memory (MB): {shown}", flush=True)
        ray.shutdown()


if __name__ == "__main__":
    main()
