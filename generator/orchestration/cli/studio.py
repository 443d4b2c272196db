"""``adgen studio``: the template authors' web app, served on this machine."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from generator.core.errors import ConfigError
from generator.orchestration.cli.common import (
    catalog_location,
    fetch_cache_option,
    guard,
    log,
    open_catalog,
    preset,
    templates_option,
)
from generator.orchestration.stores.fetch import FetchSettings
from generator.planning.catalog import CatalogOptions
from render.backends import RendererSettings, load_renderer_settings


@click.command()
@templates_option
@click.option(
    "--catalog",
    callback=lambda c, p, v: None if v is None else catalog_location(c, p, v),
    help="Catalog (a file or URL) whose rows previews and renders use.",
)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to serve on; anything but loopback needs --token."
)
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8765, show_default=True)
@click.option(
    "--token",
    envvar="ADGEN_STUDIO_TOKEN",
    help="Secret every request must carry (the printed address sets it in the browser).",
)
@click.option(
    "--work",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out/studio"),
    show_default=True,
    help="Folder of previews and renders.",
)
@click.option(
    "--preset",
    "encode",
    default="medium",
    show_default=True,
    callback=lambda _, __, v: preset(v),
    help="x264 preset of full-quality renders.",
)
@click.option(
    "--renderer-config",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Renderer settings (YAML) for full-quality renders (default: draft).",
)
@fetch_cache_option
def studio(templates_root: Path, catalog: str | Path | None, host: str, port: int, token: str | None, work: Path,
           encode: Any, renderer_config: Path | None, fetch_cache: Path) -> None:  # fmt: skip
    """Serve the studio: edit templates with live lint, storyboard and draft video; render rows in the background.

    Serves on 127.0.0.1 unless --host says otherwise, which then needs --token.
    """

    def work_() -> int:
        try:
            import uvicorn

            from generator.orchestration.studio.server import StudioSettings, build_app
        except ModuleNotFoundError as exc:
            raise ConfigError(f"adgen studio needs {exc.name}: pip install 'adgen[studio]'") from exc
        path, options = None, CatalogOptions()
        if catalog is not None:
            path, options = open_catalog(catalog, None, None, 40_000_000, FetchSettings(cache=fetch_cache), {})
        renderer = load_renderer_settings(renderer_config) if renderer_config else RendererSettings()
        settings = StudioSettings(templates_root, path, work, options, host, token, renderer, encode)
        app = build_app(settings)
        shown = f"[{host}]" if ":" in host else host
        log.info("studio on http://%s:%d/%s", shown, port, f"?token={token}" if token else "")
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return 0

    sys.exit(guard(work_))
