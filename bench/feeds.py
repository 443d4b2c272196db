"""Google's RSS example feed and Shopify's product export rendered through every shipped template that fits.

1. ``tests/feed_fixtures.py`` writes both fixtures (the published layouts, with tiny local images).
2. Each is rendered routed (no ``--template``) in every aspect, then through every shipped template,
   in every aspect it declares, with the draft renderer, as ``adgen run --template ID --aspect all``
   renders it. A row lacking a field the template ``requires`` does not fit it and is counted apart.
3. It prints the videos rendered, the rows that do not fit, and every other failure with its reason.
   It exits 1 if anything that fits failed.

Usage: ``python bench/feeds.py [--preset P]`` (default ``ultrafast``: the encoder is not what this checks).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO)]

from generator.orchestration.runs.rows import DEFAULT_TEMPLATES, RunOptions  # noqa: E402
from generator.orchestration.runs.run import run_batch  # noqa: E402
from generator.orchestration.stores.store import LocalStore  # noqa: E402
from generator.planning.catalog import CatalogOptions  # noqa: E402
from generator.planning.templates import discover_templates  # noqa: E402
from render.encode import EncodeSettings  # noqa: E402
from tests.feed_fixtures import google_rss, shopify_csv  # noqa: E402

RENDER_DATE = dt.date(2026, 12, 10)  # the RSS tee's sale ends three days later
FIXTURES = {"google-rss": google_rss, "shopify": shopify_csv}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="ultrafast", help="x264 preset of the encodes")
    args = parser.parse_args()
    templates, broken = discover_templates(DEFAULT_TEMPLATES)
    if broken:
        sys.exit("\n".join(str(error) for error in broken))
    base = RunOptions(
        aspects="all", render_date=RENDER_DATE, encode=EncodeSettings(preset=args.preset),
        catalog=CatalogOptions(default_currency="USD"),
    )  # fmt: skip
    rendered: collections.Counter[str] = collections.Counter()
    unfit: collections.Counter[str] = collections.Counter()
    failures: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="adgen-feeds-") as folder:
        for name, write in FIXTURES.items():
            catalog = write(Path(folder) / name)
            for template_id in (None, *templates):
                label = f"{name} {template_id or 'routed'}"
                store = LocalStore(Path(folder) / "out" / name / (template_id or "routed"))
                report = run_batch(catalog, store, dataclasses.replace(base, template_id=template_id))
                for result in report.results:
                    if result.status == "rendered":
                        rendered[label] += 1
                    elif result.status == "failed" and " requires " in (result.error or ""):
                        unfit[label] += 1
                    else:
                        failures.append(f"{label} {result.sku} {result.aspect}: {result.status} {result.error}")
                print(f"{label:<32} rendered {rendered[label]:>3}  do not fit {unfit[label]:>3}", flush=True)
    seconds = time.perf_counter() - started
    print(f"videos rendered: {sum(rendered.values())} ({seconds:.0f} s); row-aspects that do not fit a template: "
          f"{sum(unfit.values())}; failures: {len(failures)}")  # fmt: skip
    for failure in failures:
        print(f"  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
