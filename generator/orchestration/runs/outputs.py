"""Where a job's outputs go, what is already stored, and storing a rendered one.

An output is ``<template>/<sku>/<aspect>-<key12>.{json,jpg,vtt,srt,mp4}``: the job file, the poster,
the captions (videos with a voice) and the video, stored in that order, so a video's presence means
its output is complete. ``key12`` is
the start of the job's key (``generator.orchestration.runs.jobs``), so outputs of the same row made with
another renderer or encoder sit beside each other until ``--replace`` retires the older ones.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from generator.core.errors import AdgenError
from generator.orchestration.runs.jobs import RenderJob
from generator.orchestration.stores.store import Store, safe_name
from generator.planning.plan.types import ShotPlan

_OUTPUT = re.compile(
    r"^(?P<row>.+/[^/]+/(?P<aspect>[^/]+))-(?P<key>[0-9a-f]{12})\.(?P<ext>json|jpg|vtt|srt|mp4|plan\.json)$"
)


@dataclass(frozen=True)
class OutputKeys:
    """The store keys of one output."""

    job: str
    poster: str
    video: str
    captions: tuple[str, ...] = ()  # the WebVTT and SRT files of a video with a voice

    @classmethod
    def of(cls, template: str, sku: str, job: RenderJob) -> OutputKeys:
        stem = f"{template}/{safe_name(sku)}/{job.plan.aspect.replace(':', 'x')}-{job.key[:12]}"
        captions = (f"{stem}.vtt", f"{stem}.srt") if job.plan.voice is not None else ()
        return cls(f"{stem}.json", f"{stem}.jpg", f"{stem}.mp4", captions)

    @property
    def slot(self) -> str:
        """``template/sku/aspect``: what outputs of the same row, template and aspect share."""
        return self.video.rsplit("-", 1)[0]

    def all(self) -> tuple[str, ...]:
        return self.job, self.poster, *self.captions, self.video


class StoredOutputs:
    """What the store held when the run started (listed once): complete outputs and every file of each slot."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.videos: set[str] = set()
        self._files: dict[str, set[str]] = defaultdict(set)
        for key in keys:
            match = _OUTPUT.match(key)
            if match is not None:
                self._files[match["row"]].add(key)
                if match["ext"] == "mp4":
                    self.videos.add(key)

    def has(self, keys: OutputKeys) -> bool:
        return keys.video in self.videos

    def others(self, keys: OutputKeys) -> list[str]:
        """The files of other outputs in ``keys``' slot, videos first: a half-retired output is never taken as complete."""
        mine = set(keys.all())
        return sorted(self._files.get(keys.slot, set()) - mine, key=lambda k: (not k.endswith(".mp4"), k))


def plan_key(template: str, sku: str, plan: ShotPlan) -> str:
    """Where ``adgen plan --out`` writes a plan: named by the plan's own hash, as no renderer is chosen yet."""
    return f"{template}/{safe_name(sku)}/{plan.aspect.replace(':', 'x')}-{plan.sha256[:12]}.plan.json"


def stored_job(store: Store, keys: OutputKeys) -> RenderJob | None:
    """The job stored with an output, or None when it cannot be read (the output is then made again)."""
    try:
        return RenderJob.from_json(store.get_bytes(keys.job).decode("utf-8"), store.uri(keys.job))
    except (AdgenError, UnicodeDecodeError):
        return None


def retire(store: Store, stored: StoredOutputs, keys: OutputKeys) -> tuple[str, ...]:
    """Delete the other outputs of ``keys``' slot, now that this one is stored; returns the keys removed."""
    removed = []
    for key in stored.others(keys):
        store.delete(key)
        removed.append(key)
    return tuple(removed)
