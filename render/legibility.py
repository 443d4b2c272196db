"""Legibility of a plan's texts: each measured against what is behind it, and remedies for those that fail.

A text is measured (``render.contrast``) in its shot's settled frame (``plan.timeline.settled_frame``:
every layer has entered, past any blend), or, for a text that has left by then, in the last frame
before it leaves. The frame is composited as the video shows it: keyframe, products, mascot, other
texts, and the text's own plate, shadow and stroke all count as behind it; only its fill does not.

Remedies (styles with ``legibility: auto``): a failing text without a shadow first gets one; if
that is not enough, a plate, in place of the shadow, of the first colour among the shot's accent and
palette that gives ``PLATE_RATIO`` with the text, else black or white, whichever contrasts more. A
text on its style's own plate keeps it: its two colours are the brand's to fix. The remedy is
recorded in the plan (``TextPlacement.remedy`` and the resulting ``shadow``/``plate``).

While planning and linting, texts are measured on draft backgrounds at ``CHECK_SHORT_SIDE`` pixels
on the short side (``render.legibility_draft``); measurements there are kept across rows by everything
that decides them. At render time texts are measured again, at full size, on the keyframes the video
is made from (``remedy_on_keyframes``).
"""

from __future__ import annotations

import collections
import logging
import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image

from generator.core.errors import RenderError
from generator.planning.plan.timeline import footprint_rect, settled_frame
from generator.planning.plan.types import ImagePlacement, Layer, PlannedShot, ShotPlan, TextPlacement
from render.compose import shot_still
from render.contrast import color_luminance, contrast_floor, contrast_ratio, needed_ratio, sampled_area, text_contrast

log = logging.getLogger(__name__)

PLATE_RATIO = 4.5  # a plate chosen by the remedy contrasts at least this much with its text
CHECK_SHORT_SIDE = 270  # pixels on the short side of the frames measured while planning and linting

Source = Callable[[ImagePlacement], Image.Image | None]  # an image layer's reference, or None to leave it out
Remedy = Literal["shadow", "plate"]


def _shown(ratio: float) -> str:
    """A ratio for messages, rounded down so a failing one never reads as the needed one."""
    return f"{math.floor(ratio * 10) / 10:.1f}"


@dataclass(frozen=True)
class Contrast:
    """One text's contrast in one plan; ``layer`` is the full-size plan's. A text that passes on the
    range of colours behind it alone (``contrast_floor``) is not measured further: its ``ratio`` is
    that lower bound."""

    shot: str
    layer: TextPlacement
    ratio: float
    needed: float

    @property
    def passed(self) -> bool:
        return self.ratio >= self.needed

    def describe(self, behind: str = "the background behind it", aspect: str | None = None, shot: bool = True) -> str:
        """``contrast 2.1:1 of #8A8F99 on <behind>, needs 3:1 (text '...', shot sale, aspect 9:16)``;
        ``shot=False`` leaves the shot to the error's context."""
        layer = self.layer
        on = f"its plate {layer.plate}" if layer.plate is not None else behind
        text = layer.text if len(layer.text) <= 40 else layer.text[:39] + "…"
        where = (f", shot {self.shot}" if shot else "") + (f", aspect {aspect}" if aspect is not None else "")
        return (
            f"contrast {_shown(self.ratio)}:1 of {layer.color} on {on}, needs {self.needed:g}:1 (text {text!r}{where})"
        )


@dataclass(frozen=True)
class Remedied:
    """A remedy applied to a failing text: what it measured before, and what it got."""

    shot: str
    field: str
    ratio: float
    needed: float
    remedy: Remedy

    def to_json(self) -> dict[str, str | float]:
        return {
            "shot": self.shot,
            "field": self.field,
            "ratio": round(self.ratio, 2),
            "needed": self.needed,
            "remedy": self.remedy,
        }


def _measured_frame(shot: PlannedShot, layer: TextPlacement) -> int:
    """The settled frame, or the last frame before ``layer`` leaves when it has left by then; a caption's first frame."""
    if layer.caption is not None:
        return min(layer.motion.start, shot.frames - 1)
    end = layer.motion.leaves(shot.frames)
    frame = settled_frame(shot)
    return frame if frame < end else max(0, end - 1)


def plate_color(layer: TextPlacement, shot: PlannedShot) -> str:
    """The plate a remedy gives ``layer``: the first of the shot's accent and palette that gives
    ``PLATE_RATIO`` with the text colour, else black or white, whichever contrasts more."""
    text = color_luminance(layer.color)
    for candidate in (shot.background.accent, *shot.background.palette):
        if contrast_ratio(text, color_luminance(candidate)) >= PLATE_RATIO:
            return candidate
    return "#000000" if contrast_ratio(text, 0.0) >= contrast_ratio(text, 1.0) else "#FFFFFF"


class Measure:
    """Contrasts of ``plan``'s texts, measured in ``scaled`` (the same plan at the measuring scale)
    over ``keyframe(shot index)``, its shots' keyframes at that scale.

    Each text is measured in a still of its shot holding only the layers that reach into the area
    sampled around it. With ``keys`` (one hashable per background, naming its pixels), results are
    kept across plans by everything that decides them, so a text that repeats on the same scene in
    many rows is measured once.
    """

    def __init__(
        self, plan: ShotPlan, scaled: ShotPlan, keyframe: Callable[[int], Image.Image], source: Source, pinning: bool,
        keys: Sequence[Hashable] | None = None,
    ) -> None:  # fmt: skip
        self.plan, self.scaled, self.keyframe, self.source, self.pinning = plan, scaled, keyframe, source, pinning
        self.keys = keys

    def texts(self) -> list[tuple[int, int]]:
        """(shot index, layer index) of every text, in plan order."""
        return [
            (i, j)
            for i, shot in enumerate(self.plan.shots)
            for j, layer in enumerate(shot.layers)
            if isinstance(layer, TextPlacement)
        ]

    def contrast(self, index: int, position: int, change: dict[str, object] | None = None) -> Contrast:
        """The text at ``position`` of shot ``index``, with ``change`` (style fields) applied if given."""
        shot, small = self.plan.shots[index], self.scaled.shots[index]
        layer, small_layer = shot.layers[position], small.layers[position]
        assert isinstance(layer, TextPlacement) and isinstance(small_layer, TextPlacement)
        if change:
            layer, small_layer = layer.model_copy(update=change), small_layer.model_copy(update=change)
        frame = _measured_frame(small, small_layer)
        area = sampled_area(small_layer)
        # The text's own sprite matters only for its plate, shadow and stroke: its fill is never sampled.
        backed = small_layer.plate is not None or small_layer.shadow or small_layer.stroke > 0
        layers = tuple(
            small_layer if j == position else other
            for j, other in enumerate(small.layers)
            if (backed if j == position else _reaches(small, other, frame, self.scaled.size, area))
        )
        needed = needed_ratio(layer)
        key = None
        if self.keys is not None:
            key = (self.keys[index], self.scaled.size, small.camera, small.frames, frame, small_layer, layers)
            if key in _RATIOS:
                _RATIOS.move_to_end(key)
                return Contrast(shot.id, layer, _RATIOS[key], needed)
        width, height = self.scaled.size
        left, top, right, bottom = area
        clipped = (max(0, left), max(0, top), min(width, right), min(height, bottom))
        if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
            return Contrast(shot.id, layer, math.inf, needed)
        ratio = 1.0
        if layers == (
            (small_layer,) if backed else ()
        ):  # only the keyframe and the text's own sprite: try the cheap bound
            ratio = contrast_floor(self._under(index, small, frame, clipped), small_layer)
        if ratio < needed * _ROUNDING:
            alone = small.model_copy(update={"layers": layers})
            still = shot_still(self.scaled, alone, frame, self.keyframe(index), self.source, self.pinning, clipped)
            ratio = text_contrast(np.asarray(still), small_layer, clipped[:2])
        if key is not None:
            _RATIOS[key] = ratio
            while len(_RATIOS) > _RATIOS_KEPT:
                _RATIOS.popitem(last=False)
        return Contrast(shot.id, layer, ratio, needed)

    def _under(self, index: int, shot: PlannedShot, frame: int, area: tuple[int, int, int, int]) -> np.ndarray:
        """The pixels of shot ``index``'s keyframe that the camera shows in ``area`` at ``frame``, and one more around."""
        width, height = self.scaled.size
        x0, y0, x1, y1 = shot.camera.view(frame, shot.frames, self.scaled.size).box(self.scaled.size)
        sx, sy = (x1 - x0) / width, (y1 - y0) / height
        left, top, right, bottom = area
        keyframe = self.keyframe(index)
        box = (max(0, math.floor(x0 + left * sx) - 1), max(0, math.floor(y0 + top * sy) - 1),
               min(keyframe.width, math.ceil(x0 + right * sx) + 1), min(keyframe.height, math.ceil(y0 + bottom * sy) + 1))  # fmt: skip
        return np.asarray(keyframe.crop(box))


_RATIOS: collections.OrderedDict[Hashable, float] = collections.OrderedDict()  # draft measurements, most recent last
_RATIOS_KEPT = 4096
_ROUNDING = 1.02  # a bound this much above the need passes whatever 8-bit rounding does to the pixels


def _reaches(
    shot: PlannedShot,
    layer: Layer,
    frame: int,
    canvas: tuple[int, int],
    area: tuple[int, int, int, int],
) -> bool:
    """Whether ``layer`` (with a product's contact shadow) is drawn anywhere in ``area`` at shot-local ``frame``."""
    (x, y, w, h), opacity = footprint_rect(shot, layer, frame, canvas)
    left, top, right, bottom = area
    return opacity > 0 and x < right and x + w > left and y < bottom and y + h > top


def _remedy(measure: Measure, index: int, position: int, failing: Contrast) -> tuple[Remedy, Contrast] | None:
    """The first remedy that makes a failing ``auto`` text pass (or the plate, the strongest), and the
    text's contrast with it (its layer has the remedy recorded); None for a text on its own plate."""
    layer = failing.layer
    if layer.plate is not None:
        return None
    if not layer.shadow:
        result = measure.contrast(index, position, {"shadow": True, "remedy": "shadow"})
        if result.passed:
            return "shadow", result
    change = {"shadow": False, "plate": plate_color(layer, measure.plan.shots[index]), "remedy": "plate"}
    return "plate", measure.contrast(index, position, change)


def settle(measure: Measure, only_auto: bool = False) -> tuple[ShotPlan, list[Contrast], list[Remedied]]:
    """Every text (``only_auto``: every ``auto`` one) measured, and failing ``auto`` texts remedied.
    Returns the plan with the remedies, each measured text's final contrast and the remedies applied."""
    shots = list(measure.plan.shots)
    contrasts, remedied = [], []
    for index, position in measure.texts():
        auto = getattr(measure.plan.shots[index].layers[position], "legibility", None) == "auto"
        if only_auto and not auto:
            continue
        result = measure.contrast(index, position)
        if not result.passed and auto:
            fixed = _remedy(measure, index, position, result)
            if fixed is not None:
                remedy, after = fixed
                layers = list(shots[index].layers)
                layers[position] = after.layer
                shots[index] = shots[index].model_copy(update={"layers": tuple(layers)})
                remedied.append(Remedied(result.shot, result.layer.field, result.ratio, result.needed, remedy))
                result = after
        contrasts.append(result)
    return measure.plan.model_copy(update={"shots": tuple(shots)}), contrasts, remedied


def remedy_on_keyframes(
    plan: ShotPlan, backgrounds: Sequence[Image.Image], source: Source, pinning: bool
) -> tuple[ShotPlan, tuple[Remedied, ...]]:
    """Measure ``plan``'s texts on the keyframes its video is made from (full size) and remedy ``auto`` ones.

    Returns the plan to draw (remedies applied) and the remedies.

    Raises:
        RenderError: a text fails and its style does not ask for a remedy, or no remedy can help it
            (names the text, the shot and the measured ratio).
    """
    settled, contrasts, remedied = settle(Measure(plan, plan, backgrounds.__getitem__, source, pinning))
    failing = next((c for c in contrasts if not c.passed), None)
    if failing is not None:
        message = f"qc: legibility: {failing.describe('the keyframe behind it', shot=False)}"
        raise RenderError(message, field=failing.layer.field, shot=failing.shot)
    return settled, tuple(remedied)
