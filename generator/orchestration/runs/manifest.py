"""The run's record: one manifest line per row x aspect (``manifest.jsonl``) and a summary (``run-summary.json``).

A line describes the stored output: for a row skipped because its output was already stored, the
renderer and encoder are read from the job stored with it, never taken from the current run.
"""

from __future__ import annotations

import collections
import json
import resource
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from generator.orchestration.stores.store import MANIFEST_KEY, SUMMARY_KEY, Store
from generator.planning.catalog import CatalogSource


@dataclass(frozen=True)
class RowResult:
    """One manifest line: a catalog row in one aspect, and what became of it."""

    row: int
    sku: str
    status: Literal["rendered", "skipped", "failed", "planned"]
    template: str | None = None
    template_version: int | None = None
    routed_by: str | None = None  # the rule that chose the template (generator.planning.routing.RoutedBy)
    aspect: str | None = None
    plan_hash: str | None = None
    video: str | None = None
    poster: str | None = None
    job: str | None = None  # the stored job file: plan, renderer and encoder settings
    duration: float | None = None
    frames: int | None = None
    seconds: float | None = None
    output_key: str | None = None
    renderer: str | None = None  # the identity of the renderer that made the stored video
    encode: dict[str, str | int] | None = None
    keyframe_retries: int | None = None
    fidelity: dict[str, float] | None = (
        None  # worst mean difference of each layer kind from its reference, 8-bit levels
    )
    legibility: tuple[dict[str, str | float], ...] | None = (
        None  # remedies given to texts on the keyframes at render time
    )
    video_url: str | None = None
    poster_url: str | None = None
    error: str | None = None
    reason: str | None = None  # the error without where it happened, to group failures by
    warnings: int | None = None  # how many adjustments the plan records (texts shortened to fit), 0 when none
    warning_messages: tuple[str, ...] | None = None
    retired: tuple[str, ...] | None = None  # older outputs of the same slot removed by ``--replace``
    voice: str | None = None  # the voice identity (engine, version, voice and the hash of its files)
    spoken: float | None = None  # seconds of speech in the video
    captions: tuple[str, ...] | None = None  # the stored WebVTT and SRT files
    audio: dict[str, float] | None = None  # measured on the decoded video: integrated LUFS and true peak (dBTP)
    motion: tuple[dict[str, object], ...] | None = None  # each moving shot: clip generated, reused, or fallback

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v is not None}, sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class RunReport:
    results: tuple[RowResult, ...]
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def exit_code(self) -> int:
        """0 when every row succeeded, 1 when any failed."""
        return 1 if self.count("failed") else 0


def write_manifest(store: Store, results: list[RowResult]) -> None:
    """Replace the manifest with one JSON line per result (atomically)."""
    data = "".join(r.to_json() + "\n" for r in results).encode("utf-8")
    store.put_bytes(MANIFEST_KEY, data, "application/x-ndjson")


def summarize(
    results: list[RowResult],
    seconds: float,
    renderer: str,
    workers: Mapping[str, float] | None = None,
    catalog: CatalogSource | None = None,
) -> dict[str, Any]:
    """Counts by status, failures and unavailable rows grouped by reason (most frequent first), throughput,
    peak memory (this process's, and each rendering process's by ``host:pid``), and what the catalog was read as."""
    reasons = collections.Counter(r.reason or r.error or "unknown" for r in results if r.status == "failed")
    unavailable = collections.Counter(r.reason for r in results if r.status == "skipped" and r.reason)
    rendered = sum(1 for r in results if r.status == "rendered")
    return {
        "rows": len({r.row for r in results}),
        "videos": {
            status: sum(1 for r in results if r.status == status) for status in ("rendered", "skipped", "failed")
        },
        "failures": [{"reason": reason, "count": count} for reason, count in reasons.most_common()],
        "unavailable": [{"reason": reason, "count": count} for reason, count in unavailable.most_common()],
        "catalog": catalog.as_dict() if catalog is not None else None,
        "seconds": round(seconds, 3),
        "videos_per_minute": round(rendered / seconds * 60, 3) if seconds > 0 else None,
        "renderer": renderer,
        "voice": _voices(results),
        "motion": _motion(results),
        "peak_rss_mb": {
            "main": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),  # KiB on Linux
            "worker": max(workers.values()) if workers else None,
            "workers": dict(sorted(workers.items())) if workers else None,
        },
    }


def _motion(results: list[RowResult]) -> dict[str, int] | None:
    """How the moving shots of the rendered videos moved: clips generated, reused, and camera moves instead."""
    shots = [shot for r in results if r.status == "rendered" for shot in r.motion or ()]
    if not shots:
        return None
    counted = collections.Counter(str(shot["motion"]) for shot in shots)
    return {status: counted[status] for status in ("generated", "reused", "fallback")}


def _voices(results: list[RowResult]) -> dict[str, Any] | None:
    """The voices heard in the rendered videos: identities, total speech and the loudness range measured."""
    voiced = [r for r in results if r.status == "rendered" and r.voice]
    if not voiced:
        return None
    measured = [r.audio["integrated_lufs"] for r in voiced if r.audio and "integrated_lufs" in r.audio]
    return {
        "identities": dict(collections.Counter(str(r.voice) for r in voiced)),
        "videos": len(voiced),
        "spoken_seconds": round(sum(r.spoken or 0.0 for r in voiced), 3),
        "loudness_lufs": {"min": min(measured), "max": max(measured)} if measured else None,
    }


def write_summary(
    store: Store,
    results: list[RowResult],
    seconds: float,
    renderer: str,
    workers: Mapping[str, float],
    catalog: CatalogSource | None = None,
) -> None:
    """Replace the run summary (``run-summary.json``) with this run's."""
    data = (
        json.dumps(
            summarize(results, seconds, renderer, workers, catalog), indent=2, sort_keys=True, ensure_ascii=False
        )
        + "\n"
    )
    store.put_bytes(SUMMARY_KEY, data.encode("utf-8"), "application/json")
