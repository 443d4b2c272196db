"""Backgrounds that move: where a generated clip ends, and which video model a plan's clips are made with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from generator.planning.plan.types import PlannedShot, SceneSpec, ShotPlan


def ended_motions(
    shots: Sequence[PlannedShot], made_by: Sequence[str], motions: Mapping[str, Any]
) -> list[PlannedShot]:
    """``shots`` with each generated motion's ``to`` set to the scene of the first planned shot made from
    the template shot it names (``motions``: template shot id -> its ``GeneratedMotion`` or None); a
    motion whose target shot this row drops ends where it likes."""
    scenes: dict[str, SceneSpec] = {}
    for shot, origin in zip(shots, made_by):
        fields = shot.background.model_dump(exclude={"motion"})
        scenes.setdefault(origin, SceneSpec(**fields))
    linked = []
    for shot, origin in zip(shots, made_by):
        motion, spec = shot.background.motion, motions.get(origin)
        if motion is not None and spec is not None and spec.to in scenes:
            moved = motion.model_copy(update={"to": scenes[spec.to]})
            shot = shot.model_copy(update={"background": shot.background.model_copy(update={"motion": moved})})
        linked.append(shot)
    return linked


def with_video_model(plan: ShotPlan, identity: str | None) -> ShotPlan:
    """``plan`` with its generated motions made by the video model ``identity`` (None: no model is loaded)."""
    if not plan.moving:
        return plan
    shots = []
    for shot in plan.shots:
        motion = shot.background.motion
        if motion is not None and motion.model != identity:
            background = shot.background.model_copy(update={"motion": motion.model_copy(update={"model": identity})})
            shot = shot.model_copy(update={"background": background})
        shots.append(shot)
    return plan.model_copy(update={"shots": tuple(shots)})
