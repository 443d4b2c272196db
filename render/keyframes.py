"""Keyframes: requests deduplicated by content hash, cached on disk, checked, retried.

``KeyframeService`` wraps a ``Renderer``. A request's key hashes the backend's identity (model,
steps, ...) and everything in the request, so equal keys mean equal pixels: a scene shared by many
products is rendered once, and a cached keyframe makes a re-run or a preview free. Derived
keyframes (a scene extended to another aspect, a scene with a product pinned into it) are
rendered after the keyframes they derive from, level by level, each level in batches. Every new
keyframe is checked (no black, flat or NaN image); a failing one is rendered again with a seed
derived from the original, up to ``retries`` times, and the number of retries is kept for the
manifest. A keyframe that never passes fails only the rows that need it.

A few keyframes are kept in memory, the least recently used given up first; with a cache the rest
are read back from it. Without one (the draft backend), a keyframe that a call in progress still
needs is never given up: what ``render`` or ``prepare`` was asked for, and the scenes derived
keyframes are made from, stay until the call returns.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Protocol

import numpy as np
from PIL import Image, PngImagePlugin

from generator.core.errors import RenderError
from generator.core.files import atomic_write
from generator.core.identity import stable_seed
from render.backends import KeyframeRequest, Renderer

_CHUNK = 8  # keyframes asked of the backend at once
_BLACK_MEAN = 4.0  # mean 8-bit level under which a keyframe is "black"
_FLAT_STD = 1.0  # standard deviation under which a keyframe is "flat"


def request_key(identity: str, request: KeyframeRequest) -> str:
    payload = json.dumps({"renderer": identity, **_content(request)}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _content(request: KeyframeRequest) -> dict[str, object]:
    """Everything that decides a request's pixels, images by their references."""
    content: dict[str, object] = {
        "prompt": request.prompt, "negative": request.negative, "size": request.size, "seed": request.seed,
        "palette": request.palette, "accent": request.accent,
    }  # fmt: skip
    if request.base is not None:
        content["base"] = _content(request.base)
    if request.pinned:
        content["pinned"] = [[p.kind, p.ref] for p in request.pinned]
    if request.subject is not None:
        content["subject"] = [request.subject.kind, request.subject.ref]
    return content


def _chain(request: KeyframeRequest) -> list[KeyframeRequest]:
    """``request`` and the keyframes it derives from, the request itself first."""
    chain = [request]
    while chain[-1].base is not None:
        chain.append(chain[-1].base)
    return chain


def keyframe_problem(image: Image.Image) -> str | None:
    """Why a keyframe is unusable (``black``, ``flat``), or None when it passes."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    if pixels.mean() < _BLACK_MEAN:
        return f"black (mean level {pixels.mean():.1f})"
    if pixels.std() < _FLAT_STD:
        return f"flat (standard deviation {pixels.std():.2f})"
    return None


class KeyframeStore(Protocol):
    """Where keyframes are kept by request key: a folder (``KeyframeCache``), or a store every node reads."""

    def contains(self, key: str) -> bool: ...

    def get(self, key: str) -> Image.Image | None: ...

    def put(self, key: str, image: Image.Image) -> None: ...


class KeyframeCache:
    """PNG files named by request key under ``folder``; writes are atomic."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.png"

    def contains(self, key: str) -> bool:
        return self._path(key).is_file()

    def get(self, key: str) -> Image.Image | None:
        path = self._path(key)
        if not path.is_file():
            return None
        with Image.open(path) as image:
            return image.convert("RGB")

    def put(self, key: str, image: Image.Image) -> None:
        with atomic_write(self._path(key)) as stream:
            save_png(image, stream)


def save_png(image: Image.Image, stream: IO[bytes]) -> None:
    """Write ``image`` to ``stream`` as a quickly compressed PNG keeping its text fields (``image.info``)."""
    text = PngImagePlugin.PngInfo()
    for name, value in image.info.items():
        if isinstance(name, str) and isinstance(value, str):
            text.add_text(name, value)
    image.save(stream, "PNG", compress_level=1, pnginfo=text)


class KeyframeService:
    """A ``Renderer`` that dedupes, caches, checks and retries; see the module docstring.

    Args:
        renderer: the backend; one with ``cacheable = True`` and an ``identity`` uses the disk cache.
        cache: where keyframes are kept between runs, or None.
        retries: extra attempts, with derived seeds, for a keyframe that fails its check.
        memory: keyframes kept in memory between calls.
    """

    def __init__(
        self, renderer: Renderer, cache: KeyframeStore | None = None, retries: int = 2, memory: int = 16
    ) -> None:
        self.renderer = renderer
        self.name = renderer.name
        self.cacheable = False  # it is the cache: wrapping it again must not cache twice
        self.roles = renderer.roles
        self.identity = getattr(renderer, "identity", renderer.name)
        self.cache = cache if getattr(renderer, "cacheable", False) else None
        self.retries = retries
        self.memory = memory
        self.backend_calls = 0  # keyframes the backend was asked for, retries included
        self._images: collections.OrderedDict[str, Image.Image] = collections.OrderedDict()  # most recent last
        self._failures: dict[str, RenderError] = {}
        self._retries_used: dict[str, int] = {}
        self._held: set[str] = set()  # keys the call in progress needs: never given up from memory

    def prepare(self, requests: Iterable[KeyframeRequest]) -> None:
        """Render every distinct request not cached yet, in batches; failures are kept per key.

        A derived request is rendered after its base, which it then receives as ``base_image``; a
        request whose base failed fails too.
        """
        requests = list(requests)
        with self._holding(requests):
            self._prepare(requests)

    def _prepare(self, requests: Sequence[KeyframeRequest]) -> None:
        levels: dict[int, dict[str, KeyframeRequest]] = collections.defaultdict(dict)
        for request in requests:
            chain = _chain(request)
            for depth, item in enumerate(chain):
                key = request_key(self.identity, item)
                if self._known(key) or any(key in level for level in levels.values()):
                    break  # it, and so everything it derives from, is already there or on its way
                levels[len(chain) - 1 - depth][key] = item
        width = max(1, int(getattr(self.renderer, "parallel", 1)))
        for depth in sorted(levels):
            ordered = sorted(levels[depth].items(), key=lambda item: (item[1].size, item[0]))  # one size per batch
            starts = range(0, len(ordered), _CHUNK)
            for first in range(0, len(starts), width):  # ``width`` batches at once, for a backend that runs them so
                chunks: list[list[tuple[str, KeyframeRequest]]] = []
                for start in starts[first : first + width]:
                    based = [(key, self._with_base(key, item)) for key, item in ordered[start : start + _CHUNK]]
                    chunks.append([(key, item) for key, item in based if item is not None])
                results = self._backend_batches([[item for _, item in chunk] for chunk in chunks])
                for chunk, images in zip(chunks, results, strict=True):
                    for (key, item), image in zip(chunk, images, strict=True):
                        self._accept(key, item, image, attempt=0)

    def _known(self, key: str) -> bool:
        return key in self._images or key in self._failures or (self.cache is not None and self.cache.contains(key))

    def _with_base(self, key: str, request: KeyframeRequest) -> KeyframeRequest | None:
        """``request`` with its base's pixels, or None (and a recorded failure) when the base failed."""
        if request.base is None:
            return request
        base_key = request_key(self.identity, request.base)
        if base_key in self._failures:
            self._failures[key] = RenderError(
                f"{self._failures[base_key].message} (the scene this keyframe derives from)"
            )
            return None
        return replace(request, base_image=self._lookup(base_key))

    def _backend(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        return self._backend_batches([requests])[0]

    def _backend_batches(self, batches: Sequence[Sequence[KeyframeRequest]]) -> list[list[Image.Image]]:
        """Each batch's keyframes; all at once by a backend with ``render_batches`` (a pool), else one by one."""
        self.backend_calls += sum(len(batch) for batch in batches)
        together = getattr(self.renderer, "render_batches", None)
        try:
            if together is not None:
                return list(together(batches))
            return [self.renderer.render(batch) if batch else [] for batch in batches]
        except RenderError:
            raise
        except Exception as exc:  # a backend crash (out of memory, say) fails rows, not the run
            raise RenderError(f"renderer {self.name} failed: {type(exc).__name__}: {exc}") from exc

    def _accept(self, key: str, request: KeyframeRequest, image: Image.Image, attempt: int) -> None:
        problem = keyframe_problem(image)
        while problem is not None and attempt < self.retries:
            attempt += 1
            retry = replace(request, seed=stable_seed(request.seed, "retry", attempt))
            (image,) = self._backend([retry])
            problem = keyframe_problem(image)
        self._retries_used[key] = attempt
        if problem is not None:
            self._failures[key] = RenderError(
                f"qc: keyframe {problem} after {attempt + 1} attempts (prompt {request.prompt!r}, seed {request.seed})"
            )
            return
        self._remember(key, image)
        if self.cache is not None:
            self.cache.put(key, image)

    @contextlib.contextmanager
    def _holding(self, requests: Sequence[KeyframeRequest]) -> Iterator[None]:
        """Hold every keyframe ``requests`` need in memory while the call runs (without a cache only:
        with one, a keyframe given up is read back)."""
        if self.cache is not None or self._held:  # no cache to fall back on, or an outer call holds already
            yield
            return
        self._held = {request_key(self.identity, item) for request in requests for item in _chain(request)}
        try:
            yield
        finally:
            self._held = set()
            self._forget()

    def _remember(self, key: str, image: Image.Image) -> None:
        self._images[key] = image
        self._images.move_to_end(key)
        self._forget()

    def _forget(self) -> None:
        """Give up the least recently used keyframes beyond ``memory``, except those held."""
        spare = [key for key in self._images if key not in self._held]
        for key in spare[: max(0, len(self._images) - self.memory)]:
            del self._images[key]

    def _lookup(self, key: str) -> Image.Image:
        if key not in self._images:
            cached = self.cache.get(key) if self.cache is not None else None
            if cached is None:
                raise RenderError(f"keyframe {key[:12]} is neither in memory nor in the cache")
            self._remember(key, cached)
        return self._images[key]

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        """Keyframes for ``requests``, in order.

        Raises:
            RenderError: a needed keyframe failed its check on every attempt.
        """
        with self._holding(requests):
            self.prepare(requests)
            keys = [request_key(self.identity, r) for r in requests]
            for key in keys:
                if key in self._failures:
                    raise self._failures[key]
            return [self._lookup(key) for key in keys]

    def close(self) -> None:
        """Close the backend it wraps, as closing any wrapper does; for the backend's owner to call."""
        self.renderer.close()

    def retries_for(self, requests: Iterable[KeyframeRequest]) -> int:
        """Retries spent on the distinct keyframes of ``requests``."""
        keys = {request_key(self.identity, item) for r in requests for item in _chain(r)}
        return sum(self._retries_used.get(key, 0) for key in keys)
