"""``adgen render JOB.json``: one stored job rendered again, exactly.

The job names everything that decides the output's bytes, so before rendering this checks that
this machine still has it: the renderer loaded from the job's settings must have the job's
identity (same model files, steps, guidance, ...), and every font must hash as recorded. The plan's
references are checked against their hashes while rendering, as in a batch.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path

from generator.core.errors import ConfigError, RenderError
from generator.core.images import AssetResolver
from generator.orchestration.executors.local import Job, Workbench, render_job, store_captions
from generator.orchestration.runs.jobs import RenderJob, plan_fonts
from generator.orchestration.runs.outputs import OutputKeys
from generator.orchestration.stores.store import Store
from generator.planning.templates.brand import use_kit_fonts
from render.backends import get_renderer
from render.keyframes import KeyframeCache, KeyframeService
from render.motion.service import motion_identity, motion_service


def load_job(path: Path) -> RenderJob:
    """The job in ``path``.

    Raises:
        ConfigError: unreadable, not a job file, or edited since it was written.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the job file: {exc}", file=path) from exc
    return RenderJob.from_json(text, str(path))


def replay(job: RenderJob, store: Store, roots: Mapping[str, Path] | None = None) -> OutputKeys:
    """Render ``job`` and store its job file, poster, captions and video (the video last) under its output key.

    ``roots`` overrides where the plan's ``root:`` references are looked up (default: the job's).

    Raises:
        ConfigError: the fonts or the renderer here are not the job's.
        RenderError, AssetError: rendering or a QC check failed, or a reference changed.
    """
    resolved = {name: Path(folder) for name, folder in job.roots.items()} | dict(roots or {})
    use_kit_fonts(resolved)
    try:
        fonts = plan_fonts(job.plan)
    except LookupError as exc:
        raise ConfigError(f"{exc} (a brand kit's fonts are in its folder: --root brand=FOLDER)") from exc
    changed = sorted(name for name, digest in fonts.items() if job.fonts.get(name) != digest)
    if changed:
        raise ConfigError(f"these fonts are not the files the job was made with: {', '.join(changed)}")
    backend = get_renderer(job.renderer)
    try:
        identity = getattr(backend, "identity", backend.name)
        if identity != job.renderer_identity:
            raise ConfigError(f"the renderer here is {identity}, the job was made by {job.renderer_identity}")
        made_by = {shot.background.motion.model for shot in job.plan.shots if shot.background.motion} - {None}
        if made_by and made_by != {motion_identity(job.renderer)}:
            raise ConfigError(f"the video model here is {motion_identity(job.renderer)}, the job's clips were made by "
                              f"{', '.join(sorted(str(m) for m in made_by))}")  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="adgen-job-") as scratch:
            keyframes = KeyframeService(backend, KeyframeCache(Path(scratch) / "keyframes"))
            work = Job(0, job.plan, Path(scratch) / "job")
            motion = motion_service(job.renderer, KeyframeCache(Path(scratch) / "keyframes"))
            try:
                outcome = render_job(work, Workbench(keyframes, AssetResolver(resolved), job.encode, motion=motion))
            finally:
                motion.close()
            if outcome.error is not None:
                raise RenderError(f"the job did not render: {outcome.error}")
            keys = OutputKeys.of(str(job.plan.template["id"]), job.plan.product["sku"], job)
            metadata = {"output-key": job.key, "plan-hash": job.plan.sha256}
            store.put_bytes(keys.job, job.to_json().encode("utf-8"), "application/json", metadata)
            store.put_file(keys.poster, work.poster, "image/jpeg", metadata)
            store_captions(store, keys.captions, work, metadata)
            store.put_file(keys.video, work.video, "video/mp4", metadata)
    finally:
        close = getattr(backend, "close", None)
        if close is not None:
            close()
    return keys
