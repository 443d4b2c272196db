"""Parallel workers: the same outputs, byte for byte, from one process or several; Ctrl-C stops a run cleanly."""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.orchestration.cli import main
from tests.conftest import REPO, product_row
from tests.media import decode_hashes

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
            for key in ("video", "poster", "plan", "job"):
                if key in line:
                    line[key] = Path(line[key]).relative_to(out).as_posix()
        manifests[workers], outputs[workers] = manifest, files
    assert len([k for k in outputs[1] if k.endswith(".mp4")]) == 8
    assert outputs[2] == outputs[1]
    assert manifests[2] == manifests[1]  # catalog order, whatever order the workers finished in


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Children started inside get Ctrl-C as from a terminal, whatever this process was given: a child keeps
    an ignored SIGINT, and the calling thread's blocked signals (a library's threads may block it)."""
    blocked = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    handler = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_stops_the_run_with_exit_130_a_manifest_and_no_partial_files(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path, workers: int
) -> None:
    catalog = write_catalog([product_row(f"C{i}", color=f"tone {i}") for i in range(6)])
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "generator", "run", str(catalog), "--out", str(out), "--templates", str(templates_root),
            "--template", "quick", "--preset", "ultrafast", "--workers", str(workers)]  # fmt: skip
    with _interruptible():
        process = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    log = []
    for line in process.stderr:  # the progress line of a row is logged once its outputs are stored
        log.append(line.decode())
        if re.search(r"\] row \d+ \S+ \S+ rendered", log[-1]):
            break
    else:
        pytest.fail(f"the run ended before a row was rendered:\n{''.join(log)}")
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, "".join(log) + stderr.decode()
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    rendered = [m for m in manifest if m["status"] == "rendered"]
    assert 1 <= len(rendered) < 6
    videos = sorted(out.rglob("*.mp4"))
    assert sorted(Path(m["video"]) for m in rendered) == videos  # every stored video is in the manifest
    assert not [p for p in out.rglob("*") if p.name.endswith(".part")]
    for video in videos:
        assert len(decode_hashes(video).hashes) == 60
