"""The studio's files: the templates it edits, the catalog it previews with, and its own work folder.

Templates are addressed by id, never by a path from the browser: the id is looked up among the
files under the templates root, so nothing outside it is read or written. Saving is an atomic
replace after the previous version is copied to ``<root>/.backups/<vertical>/<stem>-<UTC>.yaml``;
a text with lint errors is refused unless forced.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from generator.core.errors import AdgenError, ConfigError
from generator.core.files import write_atomically
from generator.orchestration.stores.speech import voices
from generator.planning.catalog import Catalog, CatalogOptions, Product, load_catalog
from generator.planning.lint import Finding, LegibilityCheck, lint_template
from generator.planning.platforms import PlatformCheck, platform_names
from generator.planning.templates import load_template
from generator.planning.templates.kits import KITS_FOLDER
from generator.planning.templates.template import Template

BACKUPS = ".backups"


@dataclass(frozen=True)
class TemplateEntry:
    """A template file under the root: its id (or its error, when it does not load) and where it is."""

    id: str
    path: Path
    vertical: str
    name: str = ""
    version: int | None = None
    aspects: tuple[str, ...] = ()
    error: str | None = None

    def to_json(self, root: Path) -> dict[str, object]:
        return {
            "id": self.id, "file": self.path.relative_to(root).as_posix(), "vertical": self.vertical,
            "name": self.name, "version": self.version, "aspects": list(self.aspects), "error": self.error,
        }  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One lint finding, as the editor shows it."""

    severity: str
    message: str
    line: int | None
    column: int | None

    @classmethod
    def of(cls, finding: Finding) -> Problem:
        return cls(finding.severity, finding.message, finding.line, finding.column)


class Workspace:
    """The templates root, the catalog (loaded once) and the legibility check the studio lints with."""

    def __init__(
        self,
        templates_root: Path,
        catalog_path: Path | None,
        catalog_options: CatalogOptions,
        legibility: LegibilityCheck[Any],
    ) -> None:
        if not templates_root.is_dir():
            raise ConfigError("templates folder not found", path=templates_root)
        self.root = templates_root.resolve()
        self.catalog_path = catalog_path.resolve() if catalog_path is not None else None
        self.catalog: Catalog | None = load_catalog(catalog_path, catalog_options) if catalog_path else None
        self.legibility = legibility
        self._lock = threading.Lock()

    def templates(self) -> list[TemplateEntry]:
        """Every template file under the root, by id (files that do not load by file name)."""
        entries = []
        for path in sorted(self.root.glob("*/*.yaml")):
            if path.parent.name in (KITS_FOLDER, BACKUPS):
                continue
            try:
                template = load_template(path)
            except AdgenError as exc:
                entries.append(TemplateEntry(path.stem, path, path.parent.name, error=str(exc)))
                continue
            spec = template.spec
            entries.append(TemplateEntry(spec.id, path, spec.vertical, spec.name, spec.version, spec.canvas.aspects))
        return entries

    def path_of(self, template_id: str) -> Path:
        """The file of ``template_id``.

        Raises:
            ConfigError: no template file under the root has that id.
        """
        for entry in self.templates():
            if entry.id == template_id:
                return entry.path
        raise ConfigError(f"no template {template_id!r}", path=self.root)

    def read(self, template_id: str) -> str:
        return self.path_of(template_id).read_text(encoding="utf-8")

    def load(self, template_id: str, text: str) -> Template:
        """``text`` as ``template_id``'s file would be loaded.

        Raises:
            TemplateError: the first problem, at its line.
        """
        return load_template(self.path_of(template_id), text)

    def lint(self, template_id: str, text: str, platforms: Sequence[str] = ("reels",)) -> list[Problem]:
        """Every finding for ``text`` as ``template_id``'s file, checked against the catalog and the creative
        guidance of ``platforms`` (names, or comma lists; none: no platform checks).

        Raises:
            ConfigError: a platform name no platform has.
        """
        path = self.path_of(template_id)
        names = platform_names(platforms)
        check = PlatformCheck(names) if names else None
        with self._lock:  # the legibility check's caches are not shared between threads
            findings = lint_template(
                path,
                self.catalog,
                self.root,
                legibility=self.legibility,
                text=text,
                voices=voices(),
                platforms=check,
                today=datetime.now(UTC).date(),
            )
        return [Problem.of(finding) for finding in findings if Path(finding.file) == path or not finding.file.name]

    def diff(self, template_id: str, text: str) -> str:
        """The unified diff from the stored file to ``text``."""
        path = self.path_of(template_id)
        name = path.relative_to(self.root).as_posix()
        old = path.read_text(encoding="utf-8").splitlines(keepends=True)
        return "".join(difflib.unified_diff(old, text.splitlines(keepends=True), f"a/{name}", f"b/{name}"))

    def save(self, template_id: str, text: str, force: bool) -> tuple[Path | None, list[Problem]]:
        """Store ``text`` as ``template_id``'s file, keeping the previous version as a backup.

        Returns:
            The backup's path (None: refused, or nothing changed) and the lint findings; a text with
            errors is refused (nothing written) unless ``force``.
        """
        path = self.path_of(template_id)
        problems = self.lint(template_id, text)
        if any(problem.severity == "error" for problem in problems) and not force:
            return None, problems
        previous = path.read_bytes()
        if previous == text.encode("utf-8"):
            return None, problems
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        backup = self.root / BACKUPS / path.parent.name / f"{path.stem}-{stamp}.yaml"
        backup.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(backup, previous, fsync=True)
        write_atomically(path, text.encode("utf-8"), fsync=True)
        return backup, problems

    def products(self, query: str, limit: int) -> list[Product]:
        """Catalog products whose SKU, title or row number contain ``query`` (case ignored), in file order."""
        if self.catalog is None:
            return []
        needle = query.strip().lower()
        found = [
            product
            for product in self.catalog.products
            if not needle
            or needle in product.sku.lower()
            or needle in product.title.lower()
            or needle == str(product.row)
        ]
        return found[:limit]

    def product(self, sku: str) -> Product:
        """The catalog product ``sku``.

        Raises:
            ConfigError: no catalog, or no such product.
        """
        if self.catalog is None:
            raise ConfigError("the studio was started without --catalog")
        for product in self.catalog.products:
            if product.sku == sku:
                return product
        raise ConfigError(f"no product {sku!r} in the catalog", path=self.catalog_path)
