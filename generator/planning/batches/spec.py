"""The batch spec language: pydantic models of a ``batches/*.yaml`` file, every default written here.

A spec is a description: nothing here reads the catalog, the templates or the environment. Paths
(``catalog.source``, ``out``) are relative to the spec file; ``renderer`` is kept as a plain mapping
because planning never imports rendering: orchestration validates it as ``RendererSettings``.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from babel.numbers import list_currencies
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from generator.core.urls import is_url
from generator.planning.catalog import CANONICAL_COLUMNS, CatalogFormat
from generator.planning.templates.schema import did_you_mean
from generator.planning.templates.spec import Aspect, Slug

OnRemoved = Literal["keep", "unlist", "delete"]
Scalar = str | int | float | bool | None
EnvName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Texts = tuple[str, ...]


def _compile(value: object) -> object:
    """A regular expression compiled at load, so a bad one fails with its line, not on the first row."""
    if not isinstance(value, str):
        return value
    try:
        return re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a regular expression: {exc}") from None


def _currency(value: str) -> str:
    if value not in list_currencies():
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return value


Regex = Annotated[re.Pattern[str], BeforeValidator(_compile)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(_currency)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogBlock(_Spec):
    """Where the products come from and how to read them (as ``adgen run``'s catalog options).

    ``source``: a path relative to the spec file, or an ``https://``, ``http://`` or ``s3://`` URL.
    ``columns``: canonical column name -> this feed's column name. ``currency``: ISO 4217 code for
    prices written without one. ``catalog: week1.csv`` is short for ``catalog: {source: week1.csv}``.
    """

    expected: ClassVar[str] = "a path or URL, or a block with source:"

    source: str = Field(min_length=1)
    format: CatalogFormat = "auto"
    columns: dict[str, str] = Field(default_factory=dict)
    currency: Currency | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: object) -> object:
        return {"source": value} if isinstance(value, str) else value

    @field_validator("columns")
    @classmethod
    def _canonical(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if name not in CANONICAL_COLUMNS:
                raise ValueError(f"unknown canonical column {name!r}" + did_you_mean(name, CANONICAL_COLUMNS))
        return value

    @field_validator("source")
    @classmethod
    def _path_or_url(cls, value: str) -> str:
        if "://" in value and not is_url(value):
            raise ValueError(f"a catalog is a path, or an https, http or s3 URL, not {value!r}")
        return value


class Condition(_Spec):
    """One test on a product field: exactly one of ``equals``, ``one_of``, ``contains``, ``matches``.

    ``field`` is a catalog column: a canonical name (``brand``, ``id``, ``custom_label_2``, ...) or any
    other column of the feed. ``equals``, ``one_of`` and ``contains`` ignore case; ``matches`` is a
    regular expression searched in the value as written (``(?i)`` ignores case). A list field
    (``product_highlight``) passes when one of its items does.
    """

    field: str = Field(min_length=1)
    equals: str | None = None
    one_of: Texts | None = Field(None, min_length=1)
    contains: str | None = None
    matches: Regex | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Condition:
        given = [name for name in ("equals", "one_of", "contains", "matches") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"give exactly one of equals, one_of, contains, matches (got {', '.join(given) or 'none'})"
            )
        return self


class PriceRange(_Spec):
    """Prices from ``min`` to ``max`` (both included) in ``currency``; the price compared is the one
    paid: the sale price when there is one. Products priced in another currency are left out."""

    currency: Currency
    min: Decimal | None = Field(None, ge=0)
    max: Decimal | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _bounds(self) -> PriceRange:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class Filter(_Spec):
    """Which catalog rows the batch renders: a product is selected when every condition given holds.

    ``availability``: values such as ``in stock``, ``preorder`` (case, ``_`` and spaces ignored; a row
    without one counts as ``in stock``). ``custom_label_N``: the label values accepted (case ignored).
    ``product_types``: keywords, one of which the product type contains (case ignored), as in templates.
    """

    where: tuple[Condition, ...] = ()
    price: PriceRange | None = None
    availability: Texts | None = Field(None, min_length=1)
    custom_label_0: Texts | None = Field(None, min_length=1)
    custom_label_1: Texts | None = Field(None, min_length=1)
    custom_label_2: Texts | None = Field(None, min_length=1)
    custom_label_3: Texts | None = Field(None, min_length=1)
    custom_label_4: Texts | None = Field(None, min_length=1)
    product_types: Texts | None = Field(None, min_length=1)


class Schedule(_Spec):
    """When the scheduler runs the batch: a 5-field crontab (minute hour day month weekday) read in
    ``timezone``, an IANA name such as ``Europe/Paris``, so local times hold across DST changes.

    ``misfire_grace``: seconds after a fire time within which a late run still happens (the scheduler
    was down, or another one held the batch's lease); fire times missed together run once.
    """

    cron: str
    timezone: str
    misfire_grace: int = Field(6 * 3600, ge=1)

    @field_validator("cron")
    @classmethod
    def _crontab(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger  # the scheduler's own parser, loaded only here

        try:
            CronTrigger.from_crontab(value, timezone=UTC)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a 5-field crontab (minute hour day month weekday): {exc}") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _iana(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            hint = did_you_mean(value, zoneinfo.available_timezones())
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Paris{hint}") from None
        return value


class Notify(_Spec):
    """A webhook told of each run's end; signed with the ``whsec_`` secret held by the environment
    variable ``secret_env`` (the secret itself is never written in a spec)."""

    url: str = Field(pattern=r"^https?://[^\s/]+")
    secret_env: EnvName


class Limits(_Spec):
    """Guards on one run. ``max_rows``: a selection of more rows aborts the run before anything is
    rendered (a filter gone wrong never renders the whole feed). ``max_failures``: past this many failed
    rows the run aborts, and is reported. None: no limit."""

    max_rows: int | None = Field(None, ge=1)
    max_failures: int | None = Field(None, ge=0)


class ExecutorBlock(_Spec):
    """Where rows render: ``local`` (this machine's cores, ``--workers``) or ``ray`` (each row a task on a
    Ray cluster: ``address`` ``auto`` or ``ray://host:port``; unset, the cluster ``RAY_ADDRESS`` names or
    a new local one), with at most ``in_flight`` rows submitted at once, and a model's keyframes on
    ``actors`` actors reserving ``actor_gpus`` GPUs each (0: CPU actors). Read from batch specs and from
    renderer configuration files."""

    kind: Literal["local", "ray"] = "local"
    address: str | None = Field(None, pattern=r"^(auto|ray://\S+)$")
    in_flight: int = Field(8, ge=1)
    actors: int = Field(1, ge=1)
    actor_gpus: float = Field(1.0, ge=0)


class BatchSpec(_Spec):
    """A scheduled marketing batch: which products, rendered through which templates, stored where, when.

    ``templates``: template ids, or ``auto`` for the templates matching each product (as ``adgen run``).
    ``fallback_template``: with ``auto``, the template for products no rule routes (as ``adgen run
    --fallback-template``); unset, the ``general`` vertical's.
    ``aspects``: a list, or ``all`` the templates declare; unset, each template's first.
    ``out``: a folder relative to the spec file, or ``s3://bucket/prefix``.
    ``renderer``: ``RendererSettings`` fields, as in a ``--renderer-config`` file (default: draft).
    ``on_removed``: what becomes of the outputs of products that left the selection: ``keep`` them,
    ``unlist`` them from the batch's index, or ``delete`` them too.
    ``executor``: where rows render (this machine, or a Ray cluster).
    ``render_date``: the date templates plan for (a sale's end is counted from it); unset, the date the
    run was scheduled for, or for a run started by hand, the day it starts (UTC).
    """

    id: Slug
    catalog: CatalogBlock
    filter: Filter = Filter()
    templates: Annotated[tuple[Slug, ...], Field(min_length=1)] | Literal["auto"] = "auto"
    fallback_template: Slug | None = None
    aspects: Annotated[tuple[Aspect, ...], Field(min_length=1)] | Literal["all"] | None = None
    out: str = Field(min_length=1)
    renderer: dict[str, Scalar] = Field(default_factory=dict)
    schedule: Schedule | None = None
    on_removed: OnRemoved = "keep"
    notify: tuple[Notify, ...] = ()
    limits: Limits = Limits()
    executor: ExecutorBlock = ExecutorBlock()
    render_date: date | None = None
    brand_kit: str | None = Field(
        None, min_length=1, description="Brand kit file (relative to the spec) laid over every template's own kit."
    )

    @field_validator("out")
    @classmethod
    def _folder_or_bucket(cls, value: str) -> str:
        if is_url(value) and not re.match(r"^s3://[^/\s]+", value):
            raise ValueError(f"outputs go to a folder or an s3://bucket/prefix, not to {value!r}")
        return value
