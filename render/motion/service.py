"""Generated backgrounds for a plan: made once per content key, kept in the keyframe store, checked, retried, or
given up for the shot's camera move.

A clip's key hashes the video model's identity, the plan's motion (prompt, strength, seed, frames, fps),
the canvas size and the pixels of the keyframes it starts and ends on; it holds no product, so every row
of a template shot and aspect shares it. It is stored as the model made it (its own frame count, at the
generation size) and shown through a ``Clip``. A new clip is checked (``render.motion.checks``); a failing
one is made again once with a derived seed; then the shot keeps its camera move over its keyframe
(``fallback``), or with ``strict`` the row fails. Each moving shot gets a ``MotionReport`` for the manifest.

A run ``prepare``s the clips of all its plans before rendering any, so each is made once, by the run's
model (on Ray, its actor pool), whatever the number of workers; the workers read them from the store,
and the clips refused then are passed to them (``refused``) so that none is made again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
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
from render.motion.timing import Clip, fit

log = logging.getLogger(__name__)

Status = Literal["generated", "reused", "fallback"]
NO_MODEL = "no video model is loaded (--video-model)"
_FRAMES = "adgen-frames"  # the text field of a stored clip's sheet that holds its frame count


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


def motion_service(
    renderer: RendererSettings,
    store: KeyframeStore | None,
    *,
    strict: bool = False,
    refused: Mapping[str, MotionReport] | None = None,
    load: Callable[[], VideoModel] | None = None,
) -> MotionService:
    """A service for the video model ``renderer`` names, loaded on the first clip it must make (by ``load``, or
    here); ``refused``: clips this run already refused (``MotionService``)."""
    settings = video_settings(renderer)
    if settings is None:
        load = None
    elif load is None:
        load = functools.partial(DiffusersVideoModel.load, settings)
    return MotionService(load, store, strict=strict, checks=renderer.video_checks, refused=refused)


def clip_key(identity: str, request: ClipRequest, checked: bool = True) -> str:
    """The content key of the clip ``request`` asks ``identity`` for (``checked``: one that passed its checks)."""
    pixels = [hashlib.sha256(image.tobytes()).hexdigest() for image in (request.first, request.last) if image]
    payload = {
        "model": identity, "prompt": request.prompt, "negative": request.negative, "size": request.size,
        "frames": request.frames, "fps": request.fps, "seed": request.seed, "strength": request.strength,
        "keyframes": pixels, "checked": checked, "stored": "as-made",
    }  # fmt: skip
    return "clip-" + hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def stacked(frames: Sequence[Image.Image]) -> Image.Image:
    """The frames one under the other, as one image for the keyframe store, which keeps their count."""
    width, height = frames[0].size
    sheet = Image.new("RGB", (width, height * len(frames)))
    for index, frame in enumerate(frames):
        sheet.paste(frame.convert("RGB"), (0, index * height))
    sheet.info[_FRAMES] = str(len(frames))
    return sheet


def unstacked(sheet: Image.Image) -> list[Image.Image] | None:
    """The frames of a stacked sheet; None: not a sheet ``stacked`` made."""
    frames = int(sheet.info.get(_FRAMES, 0))
    if frames < 1 or sheet.height % frames:
        return None
    height = sheet.height // frames
    return [sheet.crop((0, index * height, sheet.width, (index + 1) * height)) for index in range(frames)]


class MotionService:
    """Clips for the moving shots of plans; see the module docstring.

    Args:
        load: loads the video model, on first use (None: no model; every moving shot falls back).
        store: where clips are kept by key (the keyframe store), or None to keep none.
        strict: a clip that fails its checks fails the row instead of falling back.
        checks: False shows every clip whatever its checks find (their figures are still reported).
        refused: the fallback reports of clips already refused in this run, by key: shown as such, never made again.
    """

    def __init__(
        self,
        load: Callable[[], VideoModel] | None,
        store: KeyframeStore | None,
        *,
        strict: bool = False,
        checks: bool = True,
        refused: Mapping[str, MotionReport] | None = None,
    ) -> None:
        self._load = load
        self._model: VideoModel | None = None
        self.store = store
        self.strict = strict
        self.checks = checks
        self.refused = dict(refused or {})
        self._fresh: dict[str, MotionReport] = {}  # clips made here, until a plan first shows them
        self._figures: dict[str, dict[str, float]] = {}  # the checks' figures of each clip kept or read, by key

    @property
    def generates(self) -> bool:
        """Whether a video model is named: without one, every moving shot keeps its camera move."""
        return self._load is not None

    @property
    def model(self) -> VideoModel:
        if self._model is None:
            assert self._load is not None
            self._model = self._load()
        return self._model

    def plates(
        self, plan: ShotPlan, keyframe: Callable[[int], Image.Image]
    ) -> tuple[dict[str, Clip], tuple[MotionReport, ...]]:
        """Each moving shot's clip (by shot id; a shot that falls back has none) and its report.
        ``keyframe(index)``: the still scene shot ``index`` starts from, as its keyframe at the plan's size.

        Raises:
            RenderError: ``strict``, and a clip failed its checks on every attempt.
        """
        clips: dict[str, Clip] = {}
        reports = []
        for shot, request in self._requests(plan, keyframe):
            if request is None:
                reports.append(MotionReport(shot.id, "fallback", NO_MODEL))
                continue
            key = clip_key(_identity(shot), request, self.checks)
            frames = self._stored(key, request) if key not in self.refused else None
            if frames is None and key not in self.refused:
                frames = self._make({key: request}).get(key)
            reports.append(self._report(shot.id, key, request))
            if frames is not None:
                clips[shot.id] = Clip([np.asarray(f.convert("RGB")) for f in frames], request.frames, request.size)
        return clips, tuple(reports)

    def prepare(
        self, plans: Sequence[ShotPlan], scenes: Callable[[ShotPlan], Callable[[int], Image.Image]]
    ) -> dict[int, tuple[MotionReport, ...]]:
        """Make every clip ``plans`` need and the store lacks, each once (a pool of ``parallel`` actors makes
        that many side by side); then each plan's reports, by index: the first plan to show a clip
        made here has it ``generated``, later ones ``reused``. A plan whose clip failed with ``strict`` has none.
        ``scenes(plan)`` is ``plates``' ``keyframe`` for ``plan``. Only one request is held per distinct clip.
        """
        wanted: dict[str, ClipRequest] = {}
        shown: list[list[tuple[str, str | None]]] = []  # each plan's moving shots and their clips' keys
        for plan in plans:
            shown.append([])
            for shot, request in self._requests(plan, scenes(plan)):
                key = None if request is None else clip_key(_identity(shot), request, self.checks)
                if key is not None and request is not None:
                    wanted.setdefault(key, request)
                shown[-1].append((shot.id, key))
        missing = [(k, r) for k, r in wanted.items() if self._figures.get(k) is None and not self._has(k)]
        at_once = getattr(self.model, "parallel", 1) if missing else 1  # a pool's actors; else a clip at a time
        for start in range(0, len(missing), at_once):  # so many clips held in memory before they are stored
            self._make(dict(missing[start : start + at_once]))
        reports = {}
        for index, shots in enumerate(shown):
            try:
                reports[index] = tuple(
                    MotionReport(shot, "fallback", NO_MODEL) if key is None else self._report(shot, key, wanted[key])
                    for shot, key in shots
                )
            except RenderError as exc:  # --motion-strict: the row fails where it is rendered
                log.warning("%s", exc)
        return reports

    def _requests(
        self, plan: ShotPlan, keyframe: Callable[[int], Image.Image]
    ) -> Iterator[tuple[PlannedShot, ClipRequest | None]]:
        """Each moving shot of ``plan`` and the clip it asks for (None: no video model)."""
        for index, shot in enumerate(plan.shots):
            motion = shot.background.motion
            if motion is None:
                continue
            if self._load is None or motion.model is None:
                yield shot, None
                continue
            target = _target(plan, shot)
            yield shot, ClipRequest(
                prompt=motion.prompt, negative=shot.background.negative, size=plan.size, frames=shot.frames,
                fps=motion.fps, seed=motion.seed, strength=motion.strength, first=keyframe(index),
                last=keyframe(target) if target is not None else None,
            )  # fmt: skip

    def _has(self, key: str) -> bool:
        return key in self.refused or (self.store is not None and self.store.contains(key))

    def _stored(self, key: str, request: ClipRequest) -> list[Image.Image] | None:
        """The clip stored under ``key`` (None: none), its figures measured the first time it is read."""
        sheet = self.store.get(key) if self.store is not None else None
        frames = unstacked(sheet) if sheet is not None else None
        if frames is not None and key not in self._figures:
            self._figures[key] = _checked(frames, request)[1]
        return frames

    def _report(self, shot: str, key: str, request: ClipRequest) -> MotionReport:
        """What became of ``shot``'s clip: refused, ``generated`` (made here, shown for the first time), or
        ``reused``.

        Raises:
            RenderError: ``strict``, and the clip was refused.
        """
        if key in self.refused:
            refused = replace(self.refused[key], shot=shot)
            if self.strict:
                raise RenderError(f"qc: generated motion: {refused.reason} (--motion-strict)", shot=shot)
            return refused
        fresh = self._fresh.pop(key, None)
        if fresh is not None:
            return replace(fresh, shot=shot)
        if key not in self._figures:
            self._stored(key, request)
        return MotionReport(shot, "reused", figures=self._figures.get(key, {}), checked=self.checks)

    def _make(self, requests: Mapping[str, ClipRequest]) -> dict[str, list[Image.Image]]:
        """Make ``requests``' clips (``_made``) and keep those that passed (in the store, their reports until
        first shown); note the others as refused. Returns the clips kept, by key."""
        kept = {}
        for key, (clip, report) in self._made(requests).items():
            if clip is None:
                self.refused[key] = report
                continue
            if self.store is not None:
                self.store.put(key, stacked(clip))
            self._fresh[key], self._figures[key], kept[key] = report, report.figures, clip
        return kept

    def _made(self, requests: Mapping[str, ClipRequest]) -> dict[str, tuple[list[Image.Image] | None, MotionReport]]:
        """Each request's clip made by the model, checked, and made again once from a derived seed if it failed
        (None: failed twice), with its report (its shot left blank)."""
        made: dict[str, tuple[list[Image.Image] | None, MotionReport]] = {}
        asking = dict(requests)
        for attempt in range(2):  # the clips, then once again from a derived seed those that failed
            asked = [
                r if attempt == 0 else replace(r, seed=stable_seed(r.seed, "retry", attempt)) for r in asking.values()
            ]
            for (key, request), clip in zip(list(asking.items()), self.model.generate(asked) if asked else []):
                problem, figures = _checked(clip, request)
                if problem is None or not self.checks:
                    made[key] = (
                        clip,
                        MotionReport("", "generated", retries=attempt, figures=figures, checked=self.checks),
                    )
                    del asking[key]
                else:
                    reason = f"the clip failed its checks twice: {problem}"
                    made[key] = None, MotionReport("", "fallback", reason, attempt, figures)
        return made

    def close(self) -> None:
        """Release the video model (loaded again if another clip must be made)."""
        if self._model is not None:
            self._model.close()
            self._model = None


def _identity(shot: PlannedShot) -> str:
    """The video model identity the plan records for ``shot``'s motion."""
    assert shot.background.motion is not None and shot.background.motion.model is not None
    return shot.background.motion.model


def _checked(clip: Sequence[Image.Image], request: ClipRequest) -> tuple[str | None, dict[str, float]]:
    """Why ``clip`` (as the model made it) may not be shown (None: it may), and the checks' figures; the
    keyframe is fitted to the clip's size to be compared."""
    first = fit(request.first.convert("RGB"), clip[0].size)
    check = check_clip([np.asarray(frame.convert("RGB")) for frame in clip], np.asarray(first))
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
