"""Brand kits for tests: kit folders with a renamed copy of an installed font, a drawn logo, colours and a cta."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw

from generator.core.fonts import find_font
from generator.orchestration.cli import main

REPO = Path(__file__).resolve().parent.parent
LINK = "https://www.example.com/products/blue-widget?ref=ad"

# One shot with the logo and a cta-styled text on the kit's primary plate, then the end card.
TEMPLATE = """\
id: branded
version: 1
vertical: test
canvas: {fps: 12, aspects: ["1:1", "9:16", "16:9"]}
transition: {type: cut, duration: 0.25}
shots:
  - id: hero
    duration: 0.5
    background: {prompt: "studio"}
    logo: {box: top, enter: none}
    text:
      - {text: "{{ brand.cta }}", style: cta, box: center, enter: none}
end_card: {duration: 1.0}
"""


def kit_font(installed: str, family: str, folder: Path) -> Path:
    """Copies of the installed ``installed`` family's regular and bold files in ``folder``, renamed to ``family``
    (so they never stand in for an installed family); the regular file's path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for weight, style in (("regular", "Regular"), ("bold", "Bold")):
        font = TTFont(find_font(installed, weight))
        for record in font["name"].names:
            if record.nameID in (1, 16):
                record.string = family
            elif record.nameID == 4:
                record.string = f"{family} {style}"
            elif record.nameID == 6:
                record.string = f"{family.replace(' ', '')}-{style}"
        paths.append(folder / f"{family.replace(' ', '')}-{style}.ttf")
        font.save(paths[-1])
    return paths[0]


def svg_logo(path: Path, color: str) -> Path:
    """A 200x80 rounded bar of ``color`` with a white dot, written by hand."""
    path.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80" viewBox="0 0 200 80">'
        f'<rect width="200" height="80" rx="10" fill="{color}"/><circle cx="40" cy="40" r="22" fill="#FFFFFF"/></svg>',
        encoding="utf-8",
    )
    return path


def png_logo(path: Path, color: tuple[int, int, int]) -> Path:
    """A 160x160 transparent PNG with a filled square of ``color``."""
    image = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((20, 20, 139, 139), fill=(*color, 255))
    image.save(path)
    return path


def make_kit(folder: Path, *, primary: str, font: Path, logo: Path, cta: str = "Shop now", extra: str = "") -> Path:
    """A kit file in ``folder`` naming ``font`` and ``logo`` (both in ``folder``)."""
    path = folder / "kit.yaml"
    path.write_text(
        f"name: {folder.name}\nlogo: {logo.name}\nfonts: [{font.name}, {font.name.replace('Regular', 'Bold')}]\n"
        f"cta: {cta}\n"
        f'colors: {{primary: "{primary}", text: "#FFFFFF", background: "#1B1B1F", background-2: "#26262C"}}\n{extra}',
        encoding="utf-8",
    )
    return path


def write_templates(root: Path, text: str = TEMPLATE) -> Path:
    """A templates folder with ``test/branded.yaml``."""
    (root / "test").mkdir(parents=True, exist_ok=True)
    (root / "test" / "branded.yaml").write_text(text, encoding="utf-8")
    return root


def write_catalog(folder: Path, link: str = LINK) -> Path:
    """A one-row catalog with a ``link``, beside a copy of the bundled images."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "catalogs" / "images", folder / "images", dirs_exist_ok=True)
    path = folder / "catalog.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "title", "image_link", "price", "link"])
        writer.writerow(["A", "Blue widget", "images/lipstick-ruby.png", "24.00 USD", link])
    return path


def run(catalog: Path, templates: Path, kit: Path, out: Path, workers: int = 1) -> dict[str, object]:
    """``adgen run`` of the one row through ``branded`` with ``kit`` in 1:1: its manifest line (``workers``
    above 1: rendered in a worker process)."""
    args = ["run", str(catalog), "--template", "branded", "--templates", str(templates), "--out", str(out),
            "--workers", str(workers), "--preset", "ultrafast", "--aspect", "1:1", "--brand-kit", str(kit)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(row) for row in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert line["status"] == "rendered", line
    return dict(line)
