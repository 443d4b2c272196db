"""Scale-out overhead: videos per minute with the local executor and with Ray on this machine.

The same rows of the sample catalog are rendered three times into fresh folders: by the local
executor with as many worker processes as the machine has cores, then through a Ray cluster of the
same cores started here (once to start it and warm its workers, once timed). Ray's overhead is its
time over the local one; the cluster's start-up is printed apart.

Usage: ``python bench/scale.py [--rows 6] [--preset veryfast]``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from generator.orchestration.executors.local import Executor, ProcessExecutor
from generator.orchestration.executors.ray_tasks import RayExecutor, RaySettings
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.destination import StoreLocation
from generator.orchestration.stores.store import LocalStore
from render.encode import EncodeSettings

REPO = Path(__file__).resolve().parent.parent


def timed(catalog: Path, out: Path, options: RunOptions, executor: Executor) -> tuple[float, int]:
    started = time.perf_counter()
    report = run_batch(catalog, LocalStore(out), options, executor=executor)
    return time.perf_counter() - started, report.count("rendered")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=6)
    parser.add_argument("--preset", default="veryfast")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    options = RunOptions(limit=args.rows, encode=EncodeSettings(preset=args.preset))
    catalog = REPO / "catalogs" / "sample.csv"
    with tempfile.TemporaryDirectory(prefix="adgen-scale-") as scratch:
        local_s, local_n = timed(catalog, Path(scratch) / "local", options, ProcessExecutor(cores))
        import ray

        started = time.perf_counter()
        ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False, _temp_dir=f"{scratch}/ray")
        startup = time.perf_counter() - started
        executor = RayExecutor(RaySettings(in_flight=2 * cores), StoreLocation(f"{scratch}/ray-warm"))
        timed(catalog, Path(scratch) / "ray-warm", options, executor)
        executor = RayExecutor(RaySettings(in_flight=2 * cores), StoreLocation(f"{scratch}/ray-out"))
        ray_s, ray_n = timed(catalog, Path(scratch) / "ray-out", options, executor)
        ray.shutdown()
        peaks = json.loads((Path(scratch) / "ray-out" / "run-summary.json").read_text())["peak_rss_mb"]["workers"]
    print(
        f"{local_n} videos from the first {args.rows} rows of the sample catalog, preset {args.preset}, {cores} cores"
    )
    print(f"local executor ({cores} processes): {local_s:.1f} s, {60 * local_n / local_s:.2f} videos/min")
    print(f"ray ({cores} CPUs, warm workers):   {ray_s:.1f} s, {60 * ray_n / ray_s:.2f} videos/min")
    print(f"ray overhead: {ray_s / local_s:.3f}x the local time (cluster start-up {startup:.1f} s, not counted)")
    print("peak memory of each Ray worker (MB): " + ", ".join(f"{name} {mb:.0f}" for name, mb in peaks.items()))


if __name__ == "__main__":
    main()
