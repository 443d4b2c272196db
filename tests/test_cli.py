"""The adgen command driven through click's runner: outputs and exit codes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import yaml
from click.testing import CliRunner

from generator.orchestration.cli import main
from generator.planning.plan.types import ShotPlan
from tests.conftest import REPO, product_row

WriteCatalog = Callable[..., Path]


def test_templates_list_prints_one_template_per_line_id_first() -> None:
    result = CliRunner().invoke(main, ["templates", "list"])
    assert result.exit_code == 0
    ids = [line.split("\t")[0] for line in result.output.splitlines()]
    shipped = sorted(
        yaml.safe_load(p.read_text())["id"] for p in (REPO / "templates").glob("*/*.yaml") if p.parent.name != "kits"
    )
    assert ids == shipped


def test_plan_prints_one_canonical_plan_per_row_and_reports_bad_rows(
    write_catalog: WriteCatalog, templates_root: Path
) -> None:
    catalog = write_catalog([product_row("A"), product_row("BAD", price="free"), product_row("B")])
    result = CliRunner().invoke(main, ["plan", str(catalog), "--template", "quick", "--templates", str(templates_root)])
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    plans = [ShotPlan.from_json(line) for line in lines]
    assert [p.product["sku"] for p in plans] == ["A", "B"]
    assert all(p.canonical_json() == line for p, line in zip(plans, lines))
    assert "row 3" in result.stderr and "price" in result.stderr


def test_plan_out_writes_plan_files_under_the_output_layout(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog([product_row("A")])
    out = tmp_path / "plans"
    result = CliRunner().invoke(
        main,
        [
            "plan",
            str(catalog),
            "--template",
            "quick",
            "--templates",
            str(templates_root),
            "--out",
            str(out),
            "--aspect",
            "all",
        ],
    )
    assert result.exit_code == 0
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.plan.json"))
    plans = [ShotPlan.from_json((out / f).read_text()) for f in files]
    assert files == sorted(f"quick/A/{p.aspect.replace(':', 'x')}-{p.sha256[:12]}.plan.json" for p in plans)
    assert {p.aspect for p in plans} == {"9:16", "1:1"}


def test_column_map_lets_a_feed_with_its_own_names_run(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog([product_row("A")])
    text = catalog.read_text().replace("title,", "Product Name,", 1).replace("price,", "Cost,", 1)
    catalog.write_text(text)
    mapping = tmp_path / "columns.yaml"
    mapping.write_text("title: Product Name\nprice: Cost\n")
    args = ["plan", str(catalog), "--template", "quick", "--templates", str(templates_root)]
    assert CliRunner().invoke(main, args).exit_code == 2
    result = CliRunner().invoke(main, [*args, "--columns", str(mapping)])
    assert result.exit_code == 0, result.output
    assert ShotPlan.from_json(result.stdout.splitlines()[0]).product["sku"] == "A"


def test_unreadable_catalog_is_a_configuration_error(tmp_path: Path, templates_root: Path) -> None:
    missing = CliRunner().invoke(main, ["run", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "out")])
    assert missing.exit_code == 2 and "catalog file not found" in missing.output
    garbled = tmp_path / "garbled.csv"
    data = b"id,title,price,image_link\n1,Cr\x81\x8d\x90me,1 EUR,a.png\n"  # neither UTF-8 nor Windows-1252 text
    garbled.write_bytes(data)
    result = CliRunner().invoke(main, ["plan", str(garbled), "--template", "quick", "--templates", str(templates_root)])
    offset = data.index(b"\x81")
    where = f"{garbled}:2: cannot tell the text encoding: not UTF-8 (byte {offset}: 0x81)"
    assert result.exit_code == 2 and where in result.output
