"""Generated backgrounds for a plan: made once per content key, kept in the keyframe store, checked, retried, or
given up for the shot's camera move.

A clip's key hashes the video model's identity, the plan's motion (prompt, strength, seed, frames, fps),
the canvas size and the pixels of the keyframes it starts and ends on; it holds no product, so every row
of a template shot and aspect shares it. A new clip is checked (``render.motion.checks``); a failing one
is made again once with a derived seed; then the shot keeps its camera move over its keyframe
(``fallback``), or with ``strict`` the row fails. Each moving shot gets a ``MotionReport`` for the manifest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from PIL import Image

from generator.core.errors import RenderError
from generator.core.identity import stable_seed
from generator.planning.plan.types import PlannedShot, SceneSpec, ShotPlan
from render.backends import RendererSettings
from render.keyframes import KeyframeStore
from render.motion import ClipRequest, VideoModel
from render.motion.checks import check_clip
from render.motion.diffusion import DiffusersVideoModel, VideoSettings, video_identity

Status = Literal["generated", "reused", "fallback"]
NO_MODEL = "no video model is loaded (--video-model)"


@dataclass(frozen=True)
class MotionReport:
    """What became of one moving shot: its clip ``generated`` or ``reused``, or the camera move (``fallback``)."""

    shot: str
    status: Status
    reason: str | None = None
    retries: int = 0
    figures: dict[str, float] = field(default_factory=dict)  # the checks' measures of the clip shown or refused
    checked: bool = True  # False: the clip was shown whatever its checks found (``video_checks: false``)

    def to_json(self) -> dict[str, object]:
        found: dict[str, object] = {"shot": self.shot, "motion": self.status, "retries": self.retries, **self.figures}
        return found | ({"reason": self.reason} if self.reason else {}) | ({} if self.checked else {"checked": False})


def video_settings(renderer: RendererSettings) -> VideoSettings | None:
    """The video model ``renderer`` names (``--video-model``), with its device and threads; None: none."""
    if renderer.video_model is None:
        return None
    return VideoSettings(
        model=renderer.video_model, size=renderer.video_size, steps=renderer.video_steps, device=renderer.device,
        threads=renderer.threads, local_files_only=renderer.local_files_only,
    )  # fmt: skip


def motion_identity(renderer: RendererSettings) -> str | None:
    """The identity of the video model ``renderer`` names, worked out without loading it; None: none."""
    settings = video_settings(renderer)
    return video_identity(settings) if settings is not None else None


def motion_service(renderer: RendererSettings, store: KeyframeStore | None, *, strict: bool = False) -> MotionService:
    """A service for the video model ``renderer`` names, loaded on the first clip it must make."""
    settings = video_settings(renderer)
    load = (lambda: DiffusersVideoModel.load(settings)) if settings is not None else None
    return MotionService(load, store, strict=strict, checks=renderer.video_checks)


def clip_key(identity: str, request: ClipRequest, checked: bool = True) -> str:
    """The content key of the clip ``request`` asks ``identity`` for (``checked``: one that passed its checks)."""
    pixels = [hashlib.sha256(image.tobytes()).hexdigest() for image in (request.first, request.last) if image]
    payload = {
        "model": identity, "prompt": request.prompt, "negative": request.negative, "size": request.size,
        "frames": request.frames, "fps": request.fps, "seed": request.seed, "strength": request.strength,
        "keyframes": pixels, "checked": checked,
    }  # fmt: skip
    return "clip-" + hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def stacked(frames: Sequence[Image.Image]) -> Image.Image:
    """The frames one under the other, as one image for the keyframe store."""
    width, height = frames[0].size
    sheet = Image.new("RGB", (width, height * len(frames)))
    for index, frame in enumerate(frames):
        sheet.paste(frame.convert("RGB"), (0, index * height))
    return sheet


def unstacked(sheet: Image.Image, frames: int) -> list[Image.Image]:
    """The frames of a stacked sheet of ``frames`` frames."""
    height = sheet.height // frames
    return [sheet.crop((0, index * height, sheet.width, (index + 1) * height)) for index in range(frames)]


class MotionService:
    """Clips for the moving shots of plans; see the module docstring.

    Args:
        model: the video model, loaded on first use by ``load`` (None: no model; every moving shot falls back).
        store: where clips are kept by key (the keyframe store), or None to keep none.
        strict: a clip that fails its checks fails the row instead of falling back.
        checks: False shows every clip whatever its checks find (their figures are still reported).
    """

    def __init__(
        self,
        load: Callable[[], VideoModel] | None,
        store: KeyframeStore | None,
        *,
        strict: bool = False,
        checks: bool = True,
    ) -> None:
        self._load = load
        self._model: VideoModel | None = None
        self.store = store
        self.strict = strict
        self.checks = checks

    @property
    def model(self) -> VideoModel:
        if self._model is None:
            assert self._load is not None
            self._model = self._load()
        return self._model

    def plates(
        self, plan: ShotPlan, keyframe: Callable[[int], Image.Image]
    ) -> tuple[dict[str, list[Image.Image]], tuple[MotionReport, ...]]:
        """Each moving shot's clip (by shot id; a shot that falls back has none) and its report.
        ``keyframe(index)``: the still scene shot ``index`` starts from, as its keyframe at the plan's size.

        Raises:
            RenderError: ``strict``, and a clip failed its checks on every attempt.
        """
        clips: dict[str, list[Image.Image]] = {}
        reports = []
        for index, shot in enumerate(plan.shots):
            motion = shot.background.motion
            if motion is None:
                continue
            if self._load is None or motion.model is None:
                reports.append(MotionReport(shot.id, "fallback", NO_MODEL))
                continue
            target = _target(plan, shot)
            request = ClipRequest(
                prompt=motion.prompt, negative=shot.background.negative, size=plan.size, frames=shot.frames,
                fps=motion.fps, seed=motion.seed, strength=motion.strength, first=keyframe(index),
                last=keyframe(target) if target is not None else None,
            )  # fmt: skip
            clip, report = self._clip(shot.id, request, motion.model)
            reports.append(report)
            if clip is not None:
                clips[shot.id] = clip
        return clips, tuple(reports)

    def _clip(self, shot: str, request: ClipRequest, identity: str) -> tuple[list[Image.Image] | None, MotionReport]:
        """``request``'s clip from the store, or made by the model (loaded only then), checked; ``identity``
        is the model's, as the plan records it."""
        key = clip_key(identity, request, self.checks)
        sheet = self.store.get(key) if self.store is not None else None
        if sheet is not None:
            clip = unstacked(sheet, request.frames)
            _, figures = _checked(clip, request)
            return clip, MotionReport(shot, "reused", figures=figures, checked=self.checks)
        problem: str | None = None
        for attempt in range(2):  # the clip, then once again from a derived seed
            asked = request if attempt == 0 else replace(request, seed=stable_seed(request.seed, "retry", attempt))
            (clip,) = self.model.generate([asked])
            problem, figures = _checked(clip, request)
            if problem is None or not self.checks:
                if self.store is not None:
                    self.store.put(key, stacked(clip))
                return clip, MotionReport(shot, "generated", retries=attempt, figures=figures, checked=self.checks)
        if self.strict:
            raise RenderError(f"qc: generated motion failed after 2 attempts: {problem} (--motion-strict)", shot=shot)
        return None, MotionReport(shot, "fallback", f"the clip failed its checks twice: {problem}", 1, figures)

    def close(self) -> None:
        if self._model is not None:
            self._model.close()


def _checked(clip: Sequence[Image.Image], request: ClipRequest) -> tuple[str | None, dict[str, float]]:
    """Why ``clip`` may not be shown (None: it may), and the checks' figures."""
    check = check_clip([np.asarray(frame) for frame in clip], np.asarray(request.first))
    figures = {"flicker": check.flicker, "worst_step": check.worst_step, "stability": check.stability}
    return check.problem, {name: round(value, 4) for name, value in figures.items()} | {"drift": round(check.drift, 2)}


def _target(plan: ShotPlan, shot: PlannedShot) -> int | None:
    """The index of the shot whose scene ``shot``'s motion ends on, if any."""
    motion = shot.background.motion
    if motion is None or motion.to is None:
        return None
    for index, other in enumerate(plan.shots):
        if SceneSpec(**other.background.model_dump(exclude={"motion"})) == motion.to:
            return index
    return None
