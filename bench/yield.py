"""First-pass yield: the stress catalog planned through every shipped template in every aspect.

1. ``catalogs/make_stress.py`` writes its 40 rows (Merchant-valid values at the spec's edges) into a
   temporary folder.
2. Each row is planned through every shipped template, in every aspect the template declares, as
   ``adgen run --template ID --aspect all`` would plan it. A row the catalog refuses counts as a
   failure in every combination.
3. It prints the share of combinations that planned first time, the failures grouped by reason
   (with a few rows each), how many texts the planner had to shorten to fit, and how many needed a
   legibility remedy (a shadow or a plate) on the draft backgrounds.

Usage: ``python bench/yield.py [--templates DIR] [--show N]``.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "catalogs")]

from make_stress import write_stress  # noqa: E402

from generator.core.errors import AdgenError  # noqa: E402
from generator.orchestration.runs.rows import settle_legibility  # noqa: E402
from generator.orchestration.stores.speech import voices  # noqa: E402
from generator.planning.catalog import load_catalog  # noqa: E402
from generator.planning.plan.compile import compile_plan  # noqa: E402
from generator.planning.plan.types import TextPlacement  # noqa: E402
from generator.planning.templates import discover_templates  # noqa: E402


def shortened(layer: TextPlacement) -> bool:
    """Whether the planner shortened this text to make it fit."""
    return bool(getattr(layer, "shortened_from", None))


def failure_reason(exc: AdgenError) -> str:
    """The failure's rule, without the text and sizes that differ per row, and the field it broke in."""
    rule = re.sub(r"text '.*?' does not fit a \d+x\d+ px box", "text does not fit its box", exc.message, flags=re.S)
    rule = re.sub(r"\d+ px", "N px", rule)
    field = exc.context.get("field")
    return f"{field}: {rule}" if field else rule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=Path, default=REPO / "templates")
    parser.add_argument("--show", type=int, default=3, help="rows to name per failure reason")
    args = parser.parse_args()
    templates, broken = discover_templates(args.templates)
    if broken:
        sys.exit("\n".join(str(error) for error in broken))
    with tempfile.TemporaryDirectory() as folder:
        catalog = load_catalog(write_stress(Path(folder)))
        combos = [(template, aspect) for template in templates.values() for aspect in template.spec.canvas.aspects]
        failures: dict[str, list[str]] = collections.defaultdict(list)
        short: collections.Counter[str] = collections.Counter()
        remedies: collections.Counter[str] = collections.Counter()
        texts = planned = 0
        started = time.perf_counter()
        for error in catalog.errors:
            failures[f"catalog: {error.message}"].extend(
                f"row {error.context.get('row')} ({t.id} {a})" for t, a in combos
            )
        for product in catalog.products:
            for template, aspect in combos:
                try:
                    plan = settle_legibility(
                        compile_plan(template, product, aspect, args.templates, voices()), product, args.templates
                    )
                except AdgenError as exc:
                    failures[f"{template.id} {failure_reason(exc)}"].append(f"{product.sku} ({template.id} {aspect})")
                    continue
                planned += 1
                for shot in plan.shots:
                    for layer in shot.layers:
                        if isinstance(layer, TextPlacement):
                            texts += 1
                            if shortened(layer):
                                short[f"{template.id} {layer.field}"] += 1
                            if layer.remedy is not None:
                                remedies[f"{template.id} {layer.field}: {layer.remedy}"] += 1
        seconds = time.perf_counter() - started
    total = (len(catalog.products) + len(catalog.errors)) * len(combos)
    print(
        f"stress catalog: {len(catalog.products) + len(catalog.errors)} rows x {len(combos)} template-aspects = {total} plans"
    )
    print(f"first-pass yield: {planned}/{total} = {100 * planned / total:.1f} %  ({seconds:.1f} s)")
    print(f"texts shortened to fit: {sum(short.values())}/{texts} = {100 * sum(short.values()) / max(texts, 1):.1f} %")
    for where, count in short.most_common():
        print(f"  {count:4d}  {where}")
    print(f"texts given a legibility remedy: {sum(remedies.values())}/{texts}")
    for where, count in remedies.most_common():
        print(f"  {count:4d}  {where}")
    if failures:
        print("failures by reason:")
        for reason, cases in sorted(failures.items(), key=lambda item: -len(item[1])):
            more = f" (and {len(cases) - args.show} more)" if len(cases) > args.show else ""
            print(f"  {len(cases):4d}  {reason}\n        {', '.join(cases[: args.show])}{more}")


if __name__ == "__main__":
    main()
