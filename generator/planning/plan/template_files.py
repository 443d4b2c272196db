"""A template's own files (mascot, music, logo): found under the template roots once per reference, checked on every use."""

from __future__ import annotations

import functools
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from generator.core.errors import AssetError
from generator.core.identity import file_sha256
from generator.planning.assets import AssetRoot, ImageAsset, load_image_asset, resolve_ref
from generator.planning.templates import Template


@functools.lru_cache(maxsize=256)
def _resolved_template_ref(ref: str, base: Path, roots: tuple[AssetRoot, ...]) -> tuple[Path, str]:
    """``resolve_ref`` for a template's own files, which every row of a run names again: once per reference.
    The file is still checked to exist, and hashed again when it changes, on every use."""
    return resolve_ref(ref, base, list(roots))


@functools.lru_cache(maxsize=64)
def _image(path: Path, source: str, mtime_ns: int) -> ImageAsset:
    return load_image_asset(path, source)


@functools.lru_cache(maxsize=64)
def _sha256(path: Path, mtime_ns: int) -> str:
    return file_sha256(path)


def template_file(
    template: Template, roots: Sequence[AssetRoot], ref: str, path: tuple[str | int, ...]
) -> tuple[Path, str, int]:
    """The file ``template`` names at ``path``: where it is, its source and its modification time.

    Raises:
        TemplateError: the reference escapes its roots or names no file (at the template's line).
    """
    try:
        resolved, source = _resolved_template_ref(ref, template.path.parent, tuple(roots))
    except AssetError as exc:
        raise template.error(f"{exc.message}: {ref}", path) from exc
    try:
        found = os.stat(resolved)
    except OSError:
        found = None
    if found is None or not stat.S_ISREG(found.st_mode):
        raise template.error(f"file not found: {ref}", path)
    return resolved, source, found.st_mtime_ns


def template_image(template: Template, roots: Sequence[AssetRoot], ref: str, path: tuple[str | int, ...]) -> ImageAsset:
    """The validated image ``template`` names at ``path``, loaded once while the file is unchanged."""
    try:
        return _image(*template_file(template, roots, ref, path))
    except AssetError as exc:
        raise template.error(f"{exc.message}: {ref}", path) from exc


def template_file_hash(
    template: Template, roots: Sequence[AssetRoot], ref: str, path: tuple[str | int, ...]
) -> tuple[str, str]:
    """The source and content hash of the file ``template`` names at ``path``, hashed once while it is unchanged."""
    resolved, source, mtime_ns = template_file(template, roots, ref, path)
    return source, _sha256(resolved, mtime_ns)
