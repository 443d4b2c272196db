"""Keyframes kept in the run's store, content-addressed, so every node of a cluster reads each one
rendered once: ``keyframes/<key[:2]>/<key>.png``, where ``key`` is the request's key."""

from __future__ import annotations

import io

from PIL import Image

from generator.core.errors import StoreError
from generator.orchestration.stores.store import Store
from render.keyframes import save_png

PREFIX = "keyframes/"


class StoreKeyframes:
    """A ``KeyframeStore`` in a ``Store``; writes are the store's, atomic."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @staticmethod
    def key(key: str) -> str:
        return f"{PREFIX}{key[:2]}/{key}.png"

    def contains(self, key: str) -> bool:
        return self.store.exists(self.key(key))

    def get(self, key: str) -> Image.Image | None:
        try:
            data = self.store.get_bytes(self.key(key))
        except StoreError:
            return None
        with Image.open(io.BytesIO(data)) as image:
            return image.convert("RGB")

    def put(self, key: str, image: Image.Image) -> None:
        buffer = io.BytesIO()
        save_png(image, buffer)
        self.store.put_bytes(self.key(key), buffer.getvalue(), "image/png")
