"""The five shipped verticals, rendered from the sample catalog in every aspect they declare.

Backgrounds come from a flat magenta backend (the Renderer swap point), so on a decoded frame any
pixel that is not magenta was drawn by a layer: the areas that platform UI covers must stay
magenta wherever the plan shows text and products at rest, and the text boxes must not.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.core.geometry import ASPECT_SIZES
from generator.orchestration.executors.local import ProcessExecutor
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.store import LocalStore
from generator.planning.plan.timeline import settled_frame
from generator.planning.plan.types import PlannedShot, TextPlacement
from generator.planning.safezone import safe_zone_violations
from generator.planning.templates import discover_templates
from render.backends import KeyframeRequest
from render.encode import EncodeSettings, ffmpeg_executable
from render.qc import decode_frames
from tests.conftest import SAMPLE_CATALOG, stored_plan
from tests.media import count_frames, probe

MAGENTA = (255, 0, 255)
ROWS = ("BEA-002", "ELE-003", "FAS-002", "FOO-002", "HOM-001")  # one per vertical; FOO-002's title is Japanese
VERTICALS = {"beauty-launch", "tech-spotlight", "street-drop", "fresh-market", "cozy-home"}


class FlatRenderer:
    """Every keyframe one flat colour."""

    name = "flat"
    identity = "flat-magenta"
    cacheable = True  # drawn once in this process, read from the run's keyframe cache by the worker processes
    roles = frozenset({"scene"})

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        return [Image.new("RGB", request.size, MAGENTA) for request in requests]


@pytest.fixture(scope="module")
def vertical_run(tmp_path_factory: pytest.TempPathFactory, templates_root: Path) -> list[dict[str, object]]:
    folder = tmp_path_factory.mktemp("verticals")
    shutil.copytree(SAMPLE_CATALOG.parent / "images", folder / "images")
    with SAMPLE_CATALOG.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if row["id"] in ROWS]
        header = reader.fieldnames
    assert header is not None and len(rows) == len(ROWS)
    catalog = folder / "catalog.csv"
    with catalog.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    out = folder / "out"
    options = RunOptions(aspects="all", templates_root=templates_root, encode=EncodeSettings(preset="ultrafast"))
    report = run_batch(catalog, LocalStore(out), options, renderer=FlatRenderer(), executor=ProcessExecutor(2))
    lines = [json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert report.count("failed") == 0, [line.get("error") for line in lines if line["status"] == "failed"]
    for line in lines:
        line["out"] = out
    return lines


def test_every_vertical_renders_in_every_aspect_it_declares(
    vertical_run: list[dict[str, object]], templates_root: Path
) -> None:
    templates, _ = discover_templates(templates_root)
    expected = {(t.id, aspect) for t in templates.values() if t.id in VERTICALS for aspect in t.spec.canvas.aspects}
    assert {(line["template"], line["aspect"]) for line in vertical_run} == expected
    assert len(expected) == 5 * 4
    for line in vertical_run:
        out = line["out"]
        assert isinstance(out, Path)
        plan = stored_plan(Path(str(line["job"])))
        video = out / str(line["video"])
        assert probe(video).size == ASPECT_SIZES[str(line["aspect"])] == plan.size
        assert count_frames(video) == plan.frames
        assert 10 <= plan.duration <= 24  # voice lines stretch shots


def _caption(layer: object) -> bool:
    return isinstance(layer, TextPlacement) and layer.caption is not None


def _at_rest(shot: PlannedShot) -> int:
    """The shot's settled frame (past the blend and every entrance), asserted to be before any exit."""
    frame = settled_frame(shot)
    leaves = (layer.motion.leaves(shot.frames) for layer in shot.layers if not _caption(layer))
    assert frame < min(leaves, default=shot.frames), shot.id
    return frame


def test_text_and_products_stay_inside_the_safe_zone_on_decoded_frames(vertical_run: list[dict[str, object]]) -> None:
    for line in vertical_run:
        out = line["out"]
        assert isinstance(out, Path)
        plan = stored_plan(Path(str(line["job"])))
        assert safe_zone_violations(plan) == []
        numbers = [shot.start + _at_rest(shot) for shot in plan.shots]
        frames = decode_frames(out / str(line["video"]), numbers, plan.size, ffmpeg_executable())
        x, y, w, h = plan.safe_area
        width, height = plan.size
        outside = np.ones((height, width), dtype=bool)
        outside[int(y) - 2 : int(y + h) + 3, int(x) - 2 : int(x + w) + 3] = False  # 2 px for chroma bleed
        for shot, number in zip(plan.shots, numbers):
            difference = np.abs(frames[number].astype(np.int16) - MAGENTA).max(axis=2)
            where = f"{line['template']} {line['aspect']} shot {shot.id} frame {number}"
            assert np.percentile(difference[outside], 99.9) <= 24, where
            for layer in shot.layers:
                if isinstance(layer, TextPlacement) and not _caption(layer):  # captions follow the voice
                    bx, by, bw, bh = (round(v) for v in layer.box)
                    assert difference[by : by + bh, bx : bx + bw].max() > 100, f"{where}: no ink in {layer.field}"
