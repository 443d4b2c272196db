"""Shared fixtures: the repository's sample catalog and templates, copied so tests can change them."""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw

from generator.core.fonts import find_font
from generator.orchestration.runs.jobs import RenderJob
from generator.orchestration.stores.speech import voices
from generator.planning.lint import LegibilityCheck
from generator.planning.plan.types import ShotPlan
from render.backends import KeyframeRequest
from render.legibility_draft import check_on_draft, image_source, remedy_on_draft

REPO = Path(__file__).resolve().parent.parent
SAMPLE_CATALOG = REPO / "catalogs" / "sample.csv"
DRAFT_LEGIBILITY = LegibilityCheck(image_source, remedy_on_draft, check_on_draft)  # lint's, as the CLI passes it
HEADER = [
    "id",
    "title",
    "description",
    "image_link",
    "price",
    "sale_price",
    "brand",
    "product_type",
    "color",
    "product_highlight",
]


def make_png(path: Path, size: int = 64) -> Path:
    """A small RGBA PNG: transparent, with an opaque red circle in the middle."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((size // 4, size // 4, 3 * size // 4 - 1, 3 * size // 4 - 1), fill=(200, 30, 30, 255))
    image.save(path)
    return path


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    """A feed folder holding ``images/product.png``."""
    folder = tmp_path / "feed"
    make_png(folder / "images" / "product.png")
    return folder


NOTO = (
    "Noto Sans",
    "Noto Sans Arabic",
    "Noto Sans Hebrew",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans Devanagari",
    "Noto Sans Thai",
    "Noto Color Emoji",
)


def _installed(family: str) -> bool:
    try:
        find_font(family)
    except LookupError:
        return False
    return True


@pytest.fixture
def noto() -> None:
    """Skip when the Noto fonts are not installed; in CI (``CI`` set) their absence is a failure."""
    missing = [family for family in NOTO if not _installed(family)]
    if missing:
        message = f"Noto fonts not installed: {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def templates_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped templates plus short test templates: ``quick`` (every layer kind, moving in), ``still``
    (product and mascot resting under a camera move) and ``voiced`` (voice lines with karaoke captions)."""
    root = tmp_path_factory.mktemp("templates") / "templates"
    shutil.copytree(REPO / "templates", root)
    (root / "test").mkdir()
    for name in ("quick.yaml", "still.yaml", "voiced.yaml"):
        shutil.copy(REPO / "tests" / "data" / name, root / "test" / name)
    return root


def sample_subset(folder: Path, skus: Sequence[str]) -> Path:
    """The sample catalog's header and its rows ``skus`` (in file order), with the bundled images beside it."""
    lines = SAMPLE_CATALOG.read_text(encoding="utf-8").split("\n")
    records, current = [], ""
    for line in lines[1:]:  # records may span lines (quoted newlines)
        current = f"{current}\n{line}" if current else line
        if current.count('"') % 2 == 0:
            records.append(current)
            current = ""
    keep = [r for r in records if r.split(",", 1)[0] in skus]
    assert len(keep) == len(skus)
    shutil.copytree(SAMPLE_CATALOG.parent / "images", folder / "images")
    path = folder / "subset.csv"
    path.write_text("\n".join([lines[0], *keep]) + "\n", encoding="utf-8")
    return path


def product_row(sku: str, **values: str) -> dict[str, str]:
    """A valid catalog row using a bundled product image; ``values`` override columns."""
    row = {
        "id": sku,
        "title": f"Product {sku}",
        "description": "A product.",
        "image_link": "images/lipstick-ruby.png",
        "price": "24.00 USD",
        "sale_price": "",
        "brand": "Lumière",
        "product_type": "Health & Beauty > Makeup",
        "color": "ruby red",
        "product_highlight": "Long wear|Vegan",
    }
    row.update(values)
    return row


@pytest.fixture
def write_catalog(tmp_path: Path) -> Callable[[list[dict[str, str]]], Path]:
    """Write rows as a catalog CSV next to a copy of the bundled images; returns its path."""

    def write(rows: list[dict[str, str]], name: str = "catalog.csv") -> Path:
        folder = tmp_path / "feed"
        if not (folder / "images").exists():
            shutil.copytree(REPO / "catalogs" / "images", folder / "images")
        path = folder / name
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=HEADER)
            writer.writeheader()
            writer.writerows(rows)
        return path

    return write


@pytest.fixture(scope="module")
def one_torch_thread() -> Iterator[None]:
    """Torch on one thread for a module (tiny models gain nothing from more, and on a busy machine threads wait
    on each other); the setting is given back after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny text-to-image checkpoint folder (``tests/tiny_models.py``)."""
    from tests.tiny_models import build_tiny_sd

    return build_tiny_sd(tmp_path_factory.mktemp("models") / "tiny-sd")


@pytest.fixture(scope="session")
def voiced_row(tmp_path_factory: pytest.TempPathFactory, templates_root: Path) -> tuple[dict[str, Any], Path]:
    """One voiced row (a price the voice must spell out) rendered once for the session with the ``voiced``
    test template: its manifest line and its catalog. Tests read it and copy what they change."""
    from click.testing import CliRunner

    from generator.orchestration.cli import main

    folder = tmp_path_factory.mktemp("voiced")
    shutil.copytree(REPO / "catalogs" / "images", folder / "images")
    catalog = folder / "catalog.csv"
    with catalog.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerow(product_row("VOX-1", title="Velvet Matte Lipstick", price="1299.99 USD"))
    out = folder / "out"
    args = ["run", str(catalog), "--out", str(out), "--templates", str(templates_root), "--template", "voiced",
            "--preset", "ultrafast", "--workers", "1", "--keyframe-cache", str(folder / "keyframe-cache")]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(text) for text in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    return line, catalog


@pytest.fixture(autouse=True)
def _private_keyframe_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep each test's cached keyframes to itself (the CLI default is under the home folder)."""
    monkeypatch.setenv("ADGEN_KEYFRAME_CACHE", str(tmp_path / "keyframe-cache"))


class CrashingRenderer:
    """Draft backgrounds, except that a request whose prompt contains ``word`` raises ``error``."""

    name = "crashing"
    identity = "crashing"
    roles = frozenset({"scene"})

    def __init__(self, word: str, error: Exception, *, cacheable: bool = False) -> None:
        from render.backends.draft import DraftRenderer

        self.word = word
        self.error = error
        self.cacheable = cacheable
        self.draft = DraftRenderer()

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        if any(self.word in r.prompt for r in requests):
            raise self.error
        return self.draft.render(requests)


class CountingPipeline:
    """Wraps a real pipeline: counts the prompts it is asked to render; ``poison`` words give NaN images."""

    def __init__(self, pipeline: Any, poison: str | None = None) -> None:
        self.pipeline = pipeline
        self.poison = poison
        self.prompts: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pipeline, name)

    def __call__(self, **kwargs: Any) -> Any:
        self.prompts.extend(kwargs["prompt"])
        result = self.pipeline(**kwargs)
        if self.poison is not None:
            for index, prompt in enumerate(kwargs["prompt"]):
                if self.poison in prompt:
                    result.images[index][:] = np.nan
        return result


def stored_plan(job_file: Path) -> ShotPlan:
    """The plan of a stored output, read from its job file."""
    return RenderJob.from_json(job_file.read_text(encoding="utf-8"), str(job_file)).plan


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each test's call report on its item, for fixtures that act on failure (screenshots)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.report_call = report  # type: ignore[attr-defined]


VOICES = voices()  # espeak-ng and Piper voices for plans, their clips kept in memory for the session
