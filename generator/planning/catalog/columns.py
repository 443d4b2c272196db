"""Merchant Center and Meta columns: canonical names found in a header, or mapped onto it.

Google Merchant Center names are understood natively (a ``g:`` prefix and case are ignored); Meta
catalogs use the same names. A rating may also be ``rating``, its count ``review_count`` or ``rating_count``. Other feeds are mapped with a column map (``{canonical: source
column}``, e.g. from a YAML file).

Rows that are not for sale are marked unavailable, with the reason: ``availability`` out of stock
(``out of stock``, ``out_of_stock``) or ``discontinued``, and, in a Meta catalog, ``status``
``archived``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import yaml

from generator.core.errors import CatalogError, ConfigError
from generator.planning.catalog.model import CANONICAL_COLUMNS, REQUIRED_COLUMNS
from generator.planning.catalog.table import Entry, Table

# Other names feeds give some canonical columns (Merchant Center's product ratings feed, review apps).
_ALIASES = {"product_rating": ("rating",), "product_review_count": ("review_count", "rating_count")}
_UNAVAILABLE = frozenset({"out of stock", "discontinued"})
_META_STATUS_UNAVAILABLE = frozenset({"archived"})


def load_column_map(path: Path) -> dict[str, str]:
    """Read a YAML/JSON mapping ``canonical column: feed column``.

    Raises:
        ConfigError: the file cannot be read, is not such a mapping, or names unknown canonical columns.
    """
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read column map: {exc}", file=path) from exc
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ConfigError("a column map is a mapping of canonical column names to feed column names", file=path)
    unknown = sorted(set(data) - set(CANONICAL_COLUMNS))
    if unknown:
        raise ConfigError(f"unknown canonical columns {unknown}; known: {', '.join(CANONICAL_COLUMNS)}", file=path)
    return dict(data)


def map_columns(where: Path | str, present: tuple[str, ...], column_map: Mapping[str, str]) -> dict[str, str]:
    """Canonical name -> source column for every column we can use.

    Raises:
        CatalogError: the column map names a column the file lacks, or a required column is missing.
    """
    normalised: dict[str, str] = {}
    for name in present:
        normalised.setdefault(name.strip().lower().removeprefix("g:"), name)
    mapping: dict[str, str] = {}
    for canonical in CANONICAL_COLUMNS:
        source = column_map.get(canonical)
        if source is not None:
            if source not in present:
                raise CatalogError(
                    f"column map names {source!r} for {canonical}, but the file has no such column", file=where
                )
            mapping[canonical] = source
        elif canonical in normalised:
            mapping[canonical] = normalised[canonical]
        elif any(alias in normalised for alias in _ALIASES.get(canonical, ())):
            mapping[canonical] = next(normalised[a] for a in _ALIASES[canonical] if a in normalised)
    missing = [c for c in REQUIRED_COLUMNS if c not in mapping]
    if missing:
        raise CatalogError(
            f"missing required column(s) {', '.join(missing)}; found {', '.join(present)} "
            "(map your own names with a column map)",
            file=where,
        )
    return mapping


def column_entries(
    table: Table, column_map: Mapping[str, str], where: Path | str
) -> tuple[Iterator[Entry | CatalogError], tuple[str, ...]]:
    """An entry per record of a Merchant, Meta or XML table (made as the table's rows are read, its
    unreadable rows passed on), and the catalog's column names: the canonical ones it has, then its
    other columns as written.

    Raises:
        CatalogError: a required column is missing (checked now, before any row is read).
    """
    columns = map_columns(where, table.columns, column_map)
    used = set(columns.values())
    meta = table.source.format == "meta"
    with_lines = table.source.container == "xml"

    def entries() -> Iterator[Entry | CatalogError]:
        for record in table.rows:
            if isinstance(record, CatalogError):
                yield record
                continue
            values = {canonical: record.values.get(source, "") for canonical, source in columns.items()}
            extra = {name: value for name, value in record.values.items() if name not in used}
            yield Entry(
                row=record.row, values=values, columns=columns, extra=extra,
                line=record.line if with_lines else None, unavailable=_unavailable(values, extra, meta),
            )  # fmt: skip

    return entries(), (*columns, *(name for name in table.columns if name and name not in used))


def _unavailable(values: Mapping[str, str], extra: Mapping[str, str], meta: bool) -> str | None:
    availability = values.get("availability", "").strip()
    if " ".join(availability.lower().replace("_", " ").split()) in _UNAVAILABLE:
        return f"availability is {availability}"
    if meta:
        status = next((value.strip() for name, value in extra.items() if name.strip().lower() == "status"), "")
        if status.lower() in _META_STATUS_UNAVAILABLE:
            return f"status is {status}"
    return None
