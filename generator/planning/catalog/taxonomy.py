"""Product categories: Google's product taxonomy, by path or by id, and the vertical of each top level.

Catalogs give a product's category in ``google_product_category`` (Merchant Center and Meta;
Shopify's ``Product Category``) as a path, ``Apparel & Accessories > Clothing > Shirts & Tops``, or
as its id, ``212``; Meta catalogs may add ``fb_product_category``, a path of Meta's own taxonomy
(``clothing & accessories > clothing > shirts``). ``categories_of`` reads both into ``Category``
values. An id becomes its path through ``data/google-product-taxonomy.tsv`` (made from Google's
``taxonomy-with-ids.en-US.txt`` by ``catalogs/make_taxonomy.py``); ``data/verticals.yaml`` gives
the vertical of each top-level category. Names compare ignoring case, commas and runs of spaces.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Literal

import yaml

from generator.planning.catalog.model import Product

Taxonomy = Literal["google", "facebook"]
COLUMNS: Mapping[str, Taxonomy] = {"google_product_category": "google", "fb_product_category": "facebook"}
_WITH_ID = re.compile(r"^(\d+)\s+-\s+(\S.*)$")  # "1604 - Apparel & Accessories > Clothing", as some feeds write it


def name_key(name: str) -> str:
    """A category name as it is compared: case, commas and runs of spaces ignored."""
    return " ".join(name.replace(",", " ").casefold().split())


def path_key(path: Sequence[str]) -> tuple[str, ...]:
    return tuple(name_key(name) for name in path)


def split_path(text: str) -> tuple[str, ...]:
    """``"A > B > C"`` as ``("A", "B", "C")``."""
    return tuple(part.strip() for part in text.split(">") if part.strip())


@dataclass(frozen=True)
class GoogleTaxonomy:
    """Google's product taxonomy: each category's path by id, and each path's id (by ``path_key``)."""

    version: str
    paths: Mapping[int, tuple[str, ...]]
    ids: Mapping[tuple[str, ...], int]

    def spelled(self, path: tuple[str, ...]) -> tuple[str, ...] | None:
        """``path`` in the taxonomy's own spelling, or None when it is not one of its categories."""
        category = self.ids.get(path_key(path))
        return None if category is None else self.paths[category]


@functools.cache
def google_taxonomy() -> GoogleTaxonomy:
    """The taxonomy shipped in ``data/google-product-taxonomy.tsv`` (read once)."""
    text = (resources.files("generator.planning.catalog") / "data" / "google-product-taxonomy.tsv").read_text("utf-8")
    version = re.search(r"version (\S+),", text.partition("\n")[0])
    paths: dict[int, tuple[str, ...]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            category, parent, name = line.split("\t")
            paths[int(category)] = (*paths[int(parent)], name) if parent != "0" else (name,)
    ids = {path_key(path): category for category, path in paths.items()}
    return GoogleTaxonomy(version.group(1) if version else "unknown", paths, ids)


@dataclass(frozen=True)
class TopLevels:
    """The vertical of each top-level category (by ``name_key``), in Google's and in Meta's taxonomy,
    and the top levels' names as written in ``data/verticals.yaml``."""

    google: Mapping[str, str]
    facebook: Mapping[str, str]
    names: tuple[str, ...]

    def vertical(self, top: str, taxonomy: Taxonomy) -> str | None:
        key = name_key(top)
        if taxonomy == "facebook" and key in self.facebook:
            return self.facebook[key]
        return self.google.get(key)


@functools.cache
def top_levels() -> TopLevels:
    """The verticals of ``data/verticals.yaml`` (read once)."""
    text = (resources.files("generator.planning.catalog") / "data" / "verticals.yaml").read_text("utf-8")
    data: dict[str, dict[str, str]] = yaml.safe_load(text)
    google, facebook = data["google"], data["facebook"]
    return TopLevels(
        google={name_key(name): vertical for name, vertical in google.items()},
        facebook={name_key(name): vertical for name, vertical in facebook.items()},
        names=(*google, *facebook),
    )


@dataclass(frozen=True)
class Category:
    """A product's category as one column gives it.

    Attributes:
        column: the column it was read from (``google_product_category`` or ``fb_product_category``).
        value: the value as written.
        path: its names from the top level down, in Google's spelling when Google's taxonomy has it;
            empty for an id that cannot be read.
        taxonomy: whose taxonomy the column follows.
    """

    column: str
    value: str
    path: tuple[str, ...]
    taxonomy: Taxonomy

    @property
    def vertical(self) -> str | None:
        """The vertical of its top level; None when its top level is in neither list."""
        return top_levels().vertical(self.path[0], self.taxonomy) if self.path else None

    @property
    def problem(self) -> str | None:
        """Why the value cannot be read as a category, in words; None when it can."""
        if self.path:
            return None
        if self.taxonomy == "facebook":
            return f"{self.column} {self.value} is an id of Meta's own taxonomy, which adgen cannot read: write its path instead"
        version = google_taxonomy().version
        return f"{self.column} {self.value} is not an id of Google's product taxonomy (version {version}): write its path instead"

    def within(self, claim: Sequence[str]) -> bool:
        """Whether this category is ``claim`` or lies below it."""
        return bool(claim) and path_key(self.path[: len(claim)]) == path_key(claim)

    def __str__(self) -> str:
        return " > ".join(self.path) if self.path else self.value


def read_category(value: str, column: str) -> Category | None:
    """The category ``value`` of ``column`` names: a path, a Google id, or ``<id> - <path>``; None when empty."""
    text = value.strip()
    if not text:
        return None
    taxonomy = COLUMNS.get(column, "google")
    written = _WITH_ID.match(text)
    if written is not None:
        text = written.group(2)
    if text.isdigit():
        path = google_taxonomy().paths.get(int(text), ()) if taxonomy == "google" else ()
        return Category(column, value.strip(), path, taxonomy)
    path = split_path(text)
    return Category(column, value.strip(), google_taxonomy().spelled(path) or path, taxonomy)


def categories_of(product: Product) -> tuple[Category, ...]:
    """``product``'s categories: its ``google_product_category``, then a Meta ``fb_product_category``."""
    meta = next(
        (
            value
            for name, value in product.extra.items()
            if name.strip().lower().removeprefix("g:") == "fb_product_category"
        ),
        "",
    )
    found = (read_category(product.google_product_category, "google_product_category"),
             read_category(meta, "fb_product_category"))  # fmt: skip
    return tuple(category for category in found if category is not None)


@functools.lru_cache(maxsize=4096)  # a template's claims are read for every row routed
def claim_path(claim: str) -> tuple[str, ...]:
    """The path a template's ``categories`` entry names: a Google id's path, or the path written
    (Google's spelling when it has it); empty for an id Google's taxonomy does not have."""
    text = claim.strip()
    if text.isdigit():
        return google_taxonomy().paths.get(int(text), ())
    path = split_path(text)
    return google_taxonomy().spelled(path) or path
