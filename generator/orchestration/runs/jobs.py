"""Jobs: everything that decides one output's bytes, and the output key that is their hash.

A ``RenderJob`` is a plan, the font files its texts are drawn with (by content hash), the
renderer's identity (backend and version, model fingerprints, steps, guidance, resolution,
adapters) and the encoder's settings. Its ``key`` names the stored files, decides what a re-run
skips, and changes whenever any of these does: another model or preset renders anew beside the
old outputs. The job is stored as JSON beside its video, so ``adgen render JOB.json`` renders
exactly that output again; ``roots`` (where the plan's ``catalog:`` and ``templates:`` references
were found) and the renderer's settings travel with it; those that decide pixels (device, dtype, CPU threads)
are in its identity, the rest are not part of the key.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import TypeAdapter, ValidationError

from generator.core.errors import ConfigError
from generator.core.fonts import chain_faces
from generator.core.identity import file_sha256
from generator.planning.plan.shapes import ShapeLabel, ShapePlacement
from generator.planning.plan.types import ShotPlan, TextPlacement
from render.backends import RendererSettings
from render.encode import EncodeSettings

JOB_VERSION = 1


def canonical(data: object) -> str:
    """Sorted keys, no whitespace, UTF-8: identical bytes for identical data."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class RenderJob:
    """One output: ``plan`` rendered by the backend ``renderer`` describes (whose loaded identity is
    ``renderer_identity``), with ``fonts`` (``family/weight`` -> content hash) and ``encode``."""

    plan: ShotPlan
    renderer: RendererSettings
    renderer_identity: str
    encode: EncodeSettings
    fonts: Mapping[str, str]
    roots: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def identity(self) -> dict[str, object]:
        """What the key hashes: everything that changes the output's bytes, nothing that does not."""
        return {
            "job_version": JOB_VERSION,
            "plan": self.plan.sha256,
            "fonts": dict(self.fonts),
            "renderer": self.renderer_identity,
            "encode": self.encode.identity(),
        }

    @functools.cached_property
    def key(self) -> str:
        return hashlib.sha256(canonical(self.identity()).encode("utf-8")).hexdigest()

    def to_json(self) -> str:
        return canonical(
            {
                "job_version": JOB_VERSION,
                "key": self.key,
                "plan": self.plan.model_dump(mode="json"),
                "fonts": dict(self.fonts),
                "renderer": {**dataclasses.asdict(self.renderer), "identity": self.renderer_identity},
                "encode": dataclasses.asdict(self.encode),
                "roots": dict(self.roots),
            }
        )

    def describe(self) -> dict[str, object]:
        """The manifest's description of this output: its key, renderer and encoder."""
        return {"output_key": self.key, "renderer": self.renderer_identity, "encode": dataclasses.asdict(self.encode)}

    @classmethod
    def from_json(cls, text: str, source: str) -> RenderJob:
        """The job in ``text`` (read from ``source``), checked against the key it records.

        Raises:
            ConfigError: not a job file, a field of the wrong type, or content that no longer hashes to its key.
        """
        try:
            data = json.loads(text)
            renderer = dict(data["renderer"])
            identity = str(renderer.pop("identity"))
            job = cls(
                plan=ShotPlan.model_validate(data["plan"]),
                renderer=TypeAdapter(RendererSettings).validate_python(renderer),
                renderer_identity=identity,
                encode=TypeAdapter(EncodeSettings).validate_python(data["encode"]),
                fonts={str(k): str(v) for k, v in dict(data["fonts"]).items()},
                roots={str(k): str(v) for k, v in dict(data.get("roots", {})).items()},
            )
            version, recorded = data["job_version"], data["key"]
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise ConfigError(f"not a job file: {_first_line(exc)}", file=source) from exc
        if version != JOB_VERSION:
            raise ConfigError(f"job version {version} is not {JOB_VERSION}, the one this adgen reads", file=source)
        if recorded != job.key:
            raise ConfigError(f"the job's content does not hash to its key {recorded[:12]}: it was edited", file=source)
        return job


def make_job(
    plan: ShotPlan, renderer: RendererSettings, identity: str, encode: EncodeSettings, roots: Mapping[str, Path]
) -> RenderJob:
    """The job rendering ``plan`` with these settings, its fonts resolved to the files installed here."""
    return RenderJob(plan, renderer, identity, encode, plan_fonts(plan), {k: str(v) for k, v in roots.items()})


def plan_fonts(plan: ShotPlan) -> dict[str, str]:
    """``family/weight`` -> content hash of the font file each text of ``plan`` is drawn with."""
    fonts: dict[str, str] = {}
    for shot in plan.shots:
        for layer in shot.layers:
            text = layer.look.label if isinstance(layer, ShapePlacement) else layer  # a shape's label is text too
            if isinstance(text, TextPlacement | ShapeLabel):
                for family, face in zip(text.fonts, chain_faces(text.fonts, text.weight)):
                    fonts[f"{family}/{text.weight}"] = f"{_font_sha256(face.path)}#{face.index}"
    return fonts


def _font_sha256(path: Path) -> str:
    stat = path.stat()
    return _hashed(path, stat.st_mtime_ns, stat.st_size)


@functools.cache
def _hashed(path: Path, mtime_ns: int, size: int) -> str:
    return file_sha256(path)


def _first_line(exc: Exception) -> str:
    """What is wrong, in one line: for a failed validation, the first field and the rule it breaks."""
    if isinstance(exc, ValidationError) and exc.errors():
        error = exc.errors()[0]
        return f"{'.'.join(map(str, (exc.title, *error['loc'])))}: {error['msg']}"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
