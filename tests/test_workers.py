"""Parallel workers: the same outputs, byte for byte, from one process or several."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main
from tests.conftest import product_row

WriteCatalog = Callable[..., Path]


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_two_workers_write_exactly_what_one_writes(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    rows = [product_row(f"W{i}", color=color) for i, color in enumerate(["red", "teal", "gold", "plum"])]
    catalog = write_catalog([*rows, product_row("BAD", price="n/a")])
    manifests = {}
    outputs = {}
    for workers in (1, 2):
        out = tmp_path / f"out-{workers}"
        args = ["run", str(catalog), "--out", str(out), "--templates", str(templates_root), "--template", "quick",
                "--aspect", "9:16,1:1", "--preset", "ultrafast", "--workers", str(workers)]  # fmt: skip
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1, result.output
        assert ("in 2 worker processes" in result.output) == (workers == 2)
        files = _outputs(out)
        manifest = [json.loads(line) for line in files.pop("manifest.jsonl").decode().splitlines()]
        files.pop("run-summary.json")
        for line in manifest:
            line.pop("seconds", None)
            for key in ("video", "poster", "plan"):
                if key in line:
                    line[key] = Path(line[key]).relative_to(out).as_posix()
        manifests[workers], outputs[workers] = manifest, files
    assert len([k for k in outputs[1] if k.endswith(".mp4")]) == 8
    assert outputs[2] == outputs[1]
    assert manifests[2] == manifests[1]  # catalog order, whatever order the workers finished in
