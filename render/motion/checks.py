"""Temporal QC of a generated background clip against its first keyframe: may it be shown?

Three checks, each cheap and on the frames as they will be composited:

- garbled: a frame with invalid values (NaN), or black or one flat colour where the keyframe is not;
- flicker: VBench's ``temporal_flickering`` (Huang et al., "VBench: Comprehensive Benchmark Suite for
  Video Generative Models", CVPR 2024; ``vbench/temporal_flickering.py``): the mean absolute difference
  between consecutive frames on 0-255 values, reported as ``(255 - mean) / 255`` so that 1 is a still
  clip. VBench scores only static clips with it; a background that moves raises the difference too, so
  the limits leave room for camera motion. The clip's mean and its worst single step are both held to a
  limit: a clip that pulses throughout fails the first, one strobing frame the second;
- stability: the clip must keep the keyframe's look. Each frame's colour histogram (4 levels per
  channel) is intersected with the keyframe's: 1 is the same colours, 0 none in common. Histograms
  ignore where colours are, so pans and pushes keep a high figure while a frame that collapses into
  noise, mush or another scene does not;
- drift: the clip starts from the keyframe, so its first frame must show it: their mean absolute
  difference (levels of 255) is bounded, whatever the model's encoder and decoder lose of it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from generator.core.errors import RenderError

FLICKER_MIN = 0.95
"""Lowest VBench flickering score of a whole clip: consecutive frames may differ by 12.75 levels of 255 on
average (5% of full scale). VBench normalises the score between 0.6293 (the worst it measured) and 1."""
STEP_MIN = 0.90
"""Lowest VBench flickering score of one step between frames: 25.5 levels of 255 (10% of full scale), about
twice the clip's limit, which a camera move between two frames stays under and a flash does not."""
STABILITY_MIN = 0.5
"""Lowest colour-histogram intersection of a frame with the keyframe: half its colours stay the keyframe's."""
DRIFT_MAX = 12.75
"""Largest mean difference (levels of 255, 5% of full scale) of the clip's first frame from the keyframe."""
BLACK_LEVEL = 8.0
"""Mean level (of 255) under which a frame is black."""
FLAT_SPREAD = 2.0
"""Standard deviation of levels (of 255) under which a frame is one flat colour."""

_BINS = 4  # histogram levels per channel


@dataclass(frozen=True)
class ClipCheck:
    """What ``check_clip`` measured. ``flicker`` and ``worst_step`` are VBench flickering scores (1: still),
    ``stability`` the lowest histogram intersection of a frame with the keyframe (1: the same colours), ``drift``
    how far the first frame is from the keyframe;
    ``problem`` says, with the figure and its limit, why the clip may not be shown (None: it may)."""

    frames: int
    flicker: float
    worst_step: float
    stability: float
    drift: float  # mean difference of the first frame from the keyframe, levels of 255
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _levels(frame: np.ndarray) -> np.ndarray:
    """An RGB frame as uint8 levels: uint8 as is, floats in [0, 1] scaled (NaN as 0, clipped)."""
    if frame.dtype == np.uint8:
        return frame
    scaled = np.clip(np.nan_to_num(frame.astype(np.float64), nan=0.0), 0.0, 1.0) * 255 + 0.5
    return scaled.astype(np.uint8)


def _histogram(frame: np.ndarray) -> np.ndarray:
    """The frame's joint RGB histogram (``_BINS`` levels per channel), summing to 1."""
    codes = frame[..., :3].astype(np.int32) * _BINS // 256
    index = (codes[..., 0] * _BINS + codes[..., 1]) * _BINS + codes[..., 2]
    counts = np.bincount(index.ravel(), minlength=_BINS**3).astype(np.float64)
    shares: np.ndarray = counts / counts.sum()
    return shares


def _garbled(raw: Sequence[np.ndarray], frames: Sequence[np.ndarray], keyframe: np.ndarray) -> str | None:
    count = len(frames)
    key_mean, key_spread = float(keyframe.mean()), float(keyframe.std())
    for index, (original, frame) in enumerate(zip(raw, frames), start=1):
        if original.dtype != np.uint8 and np.isnan(original).any():
            return f"frame {index} of {count} is broken: the model returned invalid values (NaN) there"
        mean, spread = float(frame.mean()), float(frame.std())
        if mean < BLACK_LEVEL <= key_mean:
            return (
                f"frame {index} of {count} is black (mean level {mean:.1f} of 255, the limit {BLACK_LEVEL:g}) "
                "where its keyframe is not"
            )
        if spread < FLAT_SPREAD <= key_spread:
            return (
                f"frame {index} of {count} is one flat colour (level spread {spread:.1f} of 255, the limit "
                f"{FLAT_SPREAD:g}) where its keyframe has detail"
            )
    return None


def check_clip(frames: Sequence[np.ndarray], keyframe: np.ndarray) -> ClipCheck:
    """Check ``frames`` (HxWx3, uint8 or floats in [0, 1]) against ``keyframe`` (the same; any size).

    The first problem found is reported: garbled frames, then flicker over the clip, then the worst step,
    then stability.

    Raises:
        RenderError: frames of different shapes, or not HxWx3.
    """
    levels = [_levels(frame) for frame in frames]
    for index, frame in enumerate(levels, start=1):
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.shape != levels[0].shape:
            raise RenderError(
                f"a clip's frames must all be HxWx3 of one size, not {frame.shape} after {levels[0].shape}", frame=index
            )
    key = _levels(keyframe)
    steps = [float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean()) for a, b in itertools.pairwise(levels)]
    key_histogram = _histogram(key)
    similarity = [float(np.minimum(_histogram(frame), key_histogram).sum()) for frame in levels]
    mean_step = float(np.mean(steps)) if steps else 0.0
    worst = int(np.argmax(steps)) if steps else 0
    check = ClipCheck(
        frames=len(levels),
        flicker=(255 - mean_step) / 255,
        worst_step=(255 - steps[worst]) / 255 if steps else 1.0,
        stability=min(similarity, default=1.0),
        drift=_drift(levels[0], key) if levels else 0.0,
        problem=None,
    )
    if not levels:
        return replace(check, problem="the clip has no frames")
    return replace(check, problem=_garbled(frames, levels, key) or _motion_problem(check, steps, similarity))


def _motion_problem(check: ClipCheck, steps: list[float], similarity: list[float]) -> str | None:
    """The flicker or stability problem of a clip measured as ``check``, if any."""
    count = check.frames
    if check.flicker < FLICKER_MIN:
        return (
            f"the background flickers: its frames change by {255 * (1 - check.flicker):.1f} levels of 255 on "
            f"average from one to the next (VBench temporal flickering {check.flicker:.3f}, the limit {FLICKER_MIN:g})"
        )
    if check.worst_step < STEP_MIN:
        at = steps.index(max(steps)) + 1
        return (
            f"the background flashes between frames {at} and {at + 1} of {count}: they differ by "
            f"{max(steps):.1f} levels of 255 (VBench temporal flickering {check.worst_step:.3f} for that step, "
            f"the limit {STEP_MIN:g})"
        )
    if check.stability < STABILITY_MIN or check.drift > DRIFT_MAX:
        return _keyframe_problem(check, similarity)
    return None


def _drift(first: np.ndarray, key: np.ndarray) -> float:
    """Mean absolute difference of ``first`` from ``key`` (resized to it if need be), levels of 255."""
    if key.shape != first.shape:
        key = np.asarray(Image.fromarray(key).resize((first.shape[1], first.shape[0]), Image.Resampling.BILINEAR))
    return float(np.abs(first.astype(np.int16) - key.astype(np.int16)).mean())


def _keyframe_problem(check: ClipCheck, similarity: list[float]) -> str | None:
    """How a clip measured as ``check`` strays from its keyframe, if it does."""
    count = check.frames
    if check.stability < STABILITY_MIN:
        at = similarity.index(check.stability) + 1
        return (
            f"the background drifts away from its keyframe: frame {at} of {count} keeps only "
            f"{check.stability:.0%} of its colours (the limit {STABILITY_MIN:.0%})"
        )
    if check.drift > DRIFT_MAX:
        return (
            f"the clip does not start from its keyframe: its first frame differs from it by {check.drift:.1f} "
            f"levels of 255 on average (the limit {DRIFT_MAX:g})"
        )
    return None
