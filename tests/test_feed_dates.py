"""The render date of a batch: the spec's ``render_date``, else the date the run was scheduled for."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from generator.orchestration.batches.run import batch_options
from generator.orchestration.stores.fetch import FetchSettings
from generator.planning.batches import load_batch
from render.backends import RendererSettings
from render.encode import EncodeSettings
from tests.conftest import REPO

SPEC = """\
id: dated
catalog: {{source: {catalog}, currency: USD}}
out: out
{extra}"""


def render_date(tmp_path: Path, extra: str, scheduled: dt.date | None) -> dt.date | None:
    spec = tmp_path / "dated.yaml"
    spec.write_text(SPEC.format(catalog=REPO / "catalogs" / "sample.csv", extra=extra), encoding="utf-8")
    _, options = batch_options(
        load_batch(spec), RendererSettings(), FetchSettings(cache=tmp_path / "fetch"), templates_root=REPO / "templates",
        encode=EncodeSettings(), keyframe_cache=None, scheduled=scheduled,
    )  # fmt: skip
    return options.render_date


def test_a_batch_plans_for_its_render_date_else_its_scheduled_date(tmp_path: Path) -> None:
    monday = dt.date(2026, 12, 7)

    assert render_date(tmp_path, "render_date: 2026-12-24\n", monday) == dt.date(2026, 12, 24)
    assert render_date(tmp_path, "", monday) == monday
    assert isinstance(render_date(tmp_path, "", None), dt.date)  # by hand: the day the run starts
