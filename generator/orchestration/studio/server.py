"""The studio assembled from its settings: workspace, previews, renders and the guarded app."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from generator.core.errors import ConfigError
from generator.orchestration.studio.app import Security, create_app
from generator.orchestration.studio.previews import Previewer
from generator.orchestration.studio.renders import Renders
from generator.orchestration.studio.workspace import Workspace
from generator.planning.catalog import CatalogOptions
from generator.planning.lint import LegibilityCheck
from render.backends import RendererSettings
from render.encode import EncodeSettings

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class StudioSettings:
    """What ``adgen studio`` serves.

    Attributes:
        templates_root: the templates edited (and the only files written).
        catalog: the local catalog file whose rows are previewed and rendered (None: none).
        catalog_options: how to read it.
        work: the folder of previews and renders.
        host: the address served on; anything but loopback needs ``token``.
        token: the secret every request carries (None: none, loopback only).
        renderer: the backend of full-quality renders.
        encode: their encoder settings.
    """

    templates_root: Path
    catalog: Path | None
    work: Path
    catalog_options: CatalogOptions = field(default_factory=CatalogOptions)
    host: str = "127.0.0.1"
    token: str | None = None
    renderer: RendererSettings = field(default_factory=RendererSettings)
    encode: EncodeSettings = field(default_factory=EncodeSettings)


def build_app(settings: StudioSettings) -> Starlette:
    """The studio app for ``settings``.

    Raises:
        ConfigError: a non-loopback host without a token, a missing templates folder, or a bad catalog.
    """
    from render.legibility_draft import check_on_draft, image_source, remedy_on_draft

    if not is_loopback(settings.host) and not settings.token:
        raise ConfigError("serving on a non-loopback address needs --token", field="host", value=settings.host)
    legibility = LegibilityCheck(image_source, remedy_on_draft, check_on_draft)
    workspace = Workspace(settings.templates_root, settings.catalog, settings.catalog_options, legibility)
    settings.work.mkdir(parents=True, exist_ok=True)
    previewer = Previewer(workspace, settings.work, settings.catalog_options)
    renders = Renders(workspace, settings.work, settings.renderer, settings.encode)
    hosts = LOOPBACK_NAMES if is_loopback(settings.host) else None
    return create_app(workspace, previewer, renders, settings.work, Security(hosts, settings.token))


@contextmanager
def serving(app: Starlette, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` on a free port of ``host`` from a background thread while the block runs; yields its URL.

    The socket listens before the server starts, so a request made at once waits in its backlog.
    """
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    listening.bind((host, 0))
    listening.listen()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, name="studio", daemon=True)
    thread.start()
    try:
        shown = f"[{host}]" if ":" in host else host
        yield f"http://{shown}:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join()
        listening.close()
