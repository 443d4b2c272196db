"""Previews of unsaved template text: a storyboard and a low-resolution draft video of one row in one aspect.

Files are named by the plan's hash under ``<work>/previews``, so an edit that changes the plan gives
new URLs, and one that does not (a comment, say) reuses the files already made.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from generator.core.images import AssetResolver
from generator.orchestration.runs.rows import settle_legibility
from generator.orchestration.stores.speech import voices
from generator.orchestration.studio.workspace import Workspace
from generator.planning.catalog import CatalogOptions
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.types import ShotPlan

PREVIEWS = "previews"


@dataclass(frozen=True)
class PreviewResult:
    """What the page shows first: the storyboard's path relative to the work folder, the plan's timing,
    the safe area (fractions of the canvas), texts shortened to fit, texts that lack contrast and the
    voice lines (each shot's line as written, when it starts and how long it is spoken, in seconds)."""

    storyboard: str
    plan_hash: str
    duration: float
    frames: int
    fps: int
    size: tuple[int, int]
    safe_area: tuple[float, float, float, float]
    shortened: tuple[dict[str, str], ...]
    contrast: tuple[str, ...]
    lines: tuple[dict[str, str | float], ...]


class Previewer:
    """Makes previews into ``work``: one storyboard and one draft video at a time, each beside the other,
    so a storyboard never waits for the video of an older edit."""

    def __init__(self, workspace: Workspace, work: Path, catalog: CatalogOptions) -> None:
        self.workspace, self.folder, self.catalog = workspace, work / PREVIEWS, catalog
        self._storyboards, self._videos = threading.Lock(), threading.Lock()

    def _planned(self, template_id: str, text: str, sku: str, aspect: str | None) -> tuple[ShotPlan, AssetResolver]:
        workspace = self.workspace
        template = workspace.load(template_id, text)
        product = workspace.product(sku)
        declared = template.spec.canvas.aspects
        chosen = aspect if aspect in declared else declared[0]
        plan = settle_legibility(
            compile_plan(template, product, chosen, workspace.root, voices(), datetime.now(UTC).date()),
            product,
            workspace.root,
        )
        assert workspace.catalog_path is not None  # workspace.product found a product
        roots = {"catalog": workspace.catalog_path.parent, "templates": workspace.root}
        return plan, AssetResolver(roots, self.catalog.fetcher)

    def storyboard(self, template_id: str, text: str, sku: str, aspect: str | None) -> PreviewResult:
        """The storyboard of ``text`` (as ``template_id``'s file) for product ``sku`` in ``aspect`` (None, or
        one the template does not declare: its first).

        Raises:
            TemplateError, ConfigError: the text or the row cannot be planned.
        """
        from render.preview import render_storyboard  # rendering loads on the first preview

        plan, assets = self._planned(template_id, text, sku, aspect)
        stem = plan.sha256[:20]
        with self._storyboards:
            made = render_storyboard(plan, assets, self.folder, stem)
        width, height = plan.size
        x, y, w, h = plan.safe_area
        return PreviewResult(
            storyboard=f"{PREVIEWS}/{made.path.name}", plan_hash=plan.sha256, duration=plan.duration,
            frames=plan.frames, fps=plan.fps, size=plan.size, safe_area=(x / width, y / height, w / width, h / height),
            shortened=tuple(
                {"shot": shot, "text": layer.text, "from": layer.shortened_from or ""}
                for shot, layer in plan.shortened_texts()
            ),
            contrast=tuple(clash.describe(aspect=plan.aspect) for clash in made.clashes),
            lines=tuple(
                {"shot": shot.id, "line": line.written, "start": (shot.start + line.start) / plan.fps,
                 "spoken": line.duration}
                for shot, line in plan.lines()
            ),
        )  # fmt: skip

    def video(self, template_id: str, text: str, sku: str, aspect: str | None) -> str:
        """The low-resolution draft video of the same plan: its path relative to the work folder (made once per plan).

        Raises:
            TemplateError, ConfigError: the text or the row cannot be planned.
        """
        from render.preview import render_preview

        plan, assets = self._planned(template_id, text, sku, aspect)
        stem = plan.sha256[:20]
        video = self.folder / f"{stem}.draft.mp4"
        with self._videos:
            if not video.exists():
                render_preview(plan, assets, self.folder, stem)
        return f"{PREVIEWS}/{video.name}"
