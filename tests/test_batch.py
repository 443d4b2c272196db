"""Batches on the quick template: determinism, hostile rows, failures that stay contained."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from generator.core.errors import RenderError
from generator.orchestration.cli import main
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.store import LocalStore
from generator.planning.plan.types import ShotPlan, TextPlacement
from render.encode import EncodeSettings
from tests.conftest import CrashingRenderer, product_row, stored_plan
from tests.media import decode_hashes, probe

WriteCatalog = Callable[..., Path]


def _run(catalog: Path, out: Path, templates_root: Path, *extra: str) -> tuple[int, list[dict[str, object]], str]:
    result = CliRunner().invoke(
        main,
        ["run", str(catalog), "--out", str(out), "--templates", str(templates_root), "--template", "quick", *extra],
    )
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    return result.exit_code, manifest, result.output


def test_same_row_twice_gives_identical_plan_bytes_and_decoded_frames(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog([product_row("SKU-1")])
    runs = []
    for name in ("first", "second"):
        code, manifest, output = _run(catalog, tmp_path / name, templates_root)
        assert code == 0, output
        (line,) = manifest
        runs.append((Path(str(line["job"])).read_bytes(), decode_hashes(Path(str(line["video"]))).hashes))
    assert runs[0][0] == runs[1][0]
    assert runs[0][1] == runs[1][1]
    assert len(set(runs[0][1])) > 10  # the frames really move


def test_plan_json_is_byte_identical_across_processes(write_catalog: WriteCatalog, templates_root: Path) -> None:
    catalog = write_catalog([product_row("SKU-1"), product_row("SKU-2", sale_price="19.00 USD")])
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        command = [
            sys.executable,
            "-m",
            "generator",
            "plan",
            str(catalog),
            "--template",
            "quick",
            "--templates",
            str(templates_root),
        ]
        outputs.append(subprocess.run(command, env=env, capture_output=True, check=True).stdout)
    assert outputs[0] == outputs[1]
    plans = [ShotPlan.from_json(line) for line in outputs[0].decode().splitlines()]
    assert len(plans) == 2 and plans[0].sha256 != plans[1].sha256
    for plan in plans:
        assert plan.canonical_json().encode() + b"\n" in outputs[0]


def _bomb(path: Path) -> None:
    Image.new("1", (12_000, 12_000)).save(path)


def test_hostile_rows_fail_alone_with_their_reason_and_the_batch_goes_on(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog(
        [
            product_row("INJECT-1", title="{{ 7*7 }}"),
            product_row("INJECT-2", title='{% for x in range(3) %}x{% endfor %}"; rm -rf /'),
            product_row("TRAVERSAL", image_link="../../../../etc/passwd"),
            product_row("ABSOLUTE", image_link="/etc/hosts"),
            product_row("BOMB", image_link="images/bomb.png"),
            product_row("CORRUPT", image_link="images/corrupt.png"),
            product_row("GOOD"),
        ]
    )
    images = catalog.parent / "images"
    _bomb(images / "bomb.png")
    (images / "corrupt.png").write_bytes((images / "lipstick-ruby.png").read_bytes()[:600])
    assert (images / "bomb.png").stat().st_size < 200_000

    code, manifest, output = _run(
        catalog, tmp_path / "out", templates_root, "--max-pixels", "20000000", "--preset", "ultrafast"
    )
    assert code == 1
    by_sku = {m["sku"]: m for m in manifest}
    assert {sku for sku, m in by_sku.items() if m["status"] == "rendered"} == {"INJECT-1", "INJECT-2", "GOOD"}
    expected_errors = {
        "TRAVERSAL": (4, "escapes the allowed roots"),
        "ABSOLUTE": (5, "escapes the allowed roots"),
        "BOMB": (6, "over the limit of 20000000"),
        "CORRUPT": (7, "unreadable image"),
    }
    for sku, (row, reason) in expected_errors.items():
        line = by_sku[sku]
        assert line["status"] == "failed" and line["row"] == row
        assert (
            f"row {row}" in str(line["error"]) and "image_link" in str(line["error"]) and reason in str(line["error"])
        )
        assert f"row {row}" in output
    for sku, title in (("INJECT-1", "{{ 7*7 }}"), ("INJECT-2", '{% for x in range(3) %}x{% endfor %}"; rm -rf /')):
        plan = stored_plan(Path(str(by_sku[sku]["job"])))
        texts = [layer.text for shot in plan.shots for layer in shot.layers if isinstance(layer, TextPlacement)]
        assert title in texts


def test_other_aspect_renders_at_its_own_size(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog([product_row("SKU-1")])
    code, manifest, _ = _run(
        catalog, tmp_path / "out", templates_root, "--aspect", "1:1", "--preset", "ultrafast", "--workers", "1"
    )
    assert code == 0
    (line,) = manifest
    assert line["aspect"] == "1:1" and str(line["video"]).endswith(".mp4") and "/1x1-" in str(line["video"])
    assert probe(Path(str(line["video"]))).size == (1080, 1080)


def test_render_failure_fails_that_row_only_and_leaves_no_output_under_its_keys(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog(
        [product_row("OK-1", color="teal"), product_row("BROKEN", color="cursed"), product_row("OK-2", color="teal")]
    )
    store = LocalStore(tmp_path / "out")
    options = RunOptions(template_id="quick", templates_root=templates_root, encode=EncodeSettings(preset="ultrafast"))
    report = run_batch(catalog, store, options, renderer=CrashingRenderer("cursed", RenderError("backend crashed")))
    assert [r.status for r in report.results] == ["rendered", "failed", "rendered"]
    assert report.exit_code == 1
    assert "backend crashed" in str(report.results[1].error) and "row 3" in str(report.results[1].error)
    assert not (tmp_path / "out" / "quick" / "BROKEN").exists()
    assert not list((tmp_path / "out").rglob("*.part"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--template", "nope"], "unknown template 'nope'"),
        (["--aspect", "3:2"], "unknown aspect"),
    ],
)
def test_configuration_errors_exit_2_and_write_nothing(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    catalog = write_catalog([product_row("SKU-1")])
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["run", str(catalog), "--out", str(out), "--templates", str(templates_root), *args]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists()
