"""Safe zones: text and products must stay where no platform UI covers them, checked on the plan.

A layer (a product with its contact shadow) is checked in every frame where it is fully shown: after its entrance, before its exit,
under the camera (products follow it, text does not). Entrances and exits may cross the covered
areas; what rests there would be hidden behind a platform's buttons or captions.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.core.geometry import Rect
from generator.planning.plan.timeline import footprint_rect
from generator.planning.plan.types import ImagePlacement, Layer, PlannedShot, ShotPlan

_TOLERANCE = 0.5  # pixels: rounding of boxes to the plan's 1/1000 px


@dataclass(frozen=True)
class SafeZoneViolation:
    """The farthest a layer reaches into the covered area, and the first frame where it does."""

    shot: str
    field: str
    kind: str
    frame: int  # shot-local
    over: tuple[float, float, float, float]  # pixels beyond the safe area: top, right, bottom, left

    def describe(self, aspect: str) -> str:
        sides = [
            f"{px:.0f} px past the {side}"
            for px, side in zip(self.over, ("top", "right", "bottom", "left"))
            if px > _TOLERANCE
        ]
        listed = sides[0] if len(sides) == 1 else ", ".join(sides[:-1]) + " and " + sides[-1]
        return (f"{self.field} ({self.kind}) reaches {listed} of the {aspect} safe zone, where platform UI covers it"
                f" (from frame {self.frame} of shot {self.shot})")  # fmt: skip


def safe_zone_violations(plan: ShotPlan) -> list[SafeZoneViolation]:
    """One violation per text, product, logo or QR code layer that leaves ``plan.safe_area`` while fully shown."""
    violations = []
    for shot in plan.shots:
        for layer in shot.layers:
            if isinstance(layer, ImagePlacement) and layer.kind == "mascot":  # a mascot may peek in from an edge
                continue
            worst: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
            first = None
            for frame in layer.motion.shown(shot.frames):
                over = _overreach(_rect(shot, layer, frame, plan.size), plan.safe_area)
                if max(over) > _TOLERANCE:
                    first = frame if first is None else first
                    worst = tuple(max(a, b) for a, b in zip(worst, over))  # type: ignore[assignment]
            if first is not None:
                violations.append(SafeZoneViolation(shot.id, layer.field, layer.kind, first, worst))
    return violations


def _rect(shot: PlannedShot, layer: Layer, frame: int, canvas: tuple[int, int]) -> Rect:
    if not isinstance(layer, ImagePlacement):
        return layer.box  # text and shapes are drawn in screen space
    return footprint_rect(shot, layer, frame, canvas)[0]  # its contact shadow included


def _overreach(rect: Rect, safe: Rect) -> tuple[float, float, float, float]:
    x, y, w, h = rect
    sx, sy, sw, sh = safe
    return (max(0.0, sy - y), max(0.0, x + w - (sx + sw)), max(0.0, y + h - (sy + sh)), max(0.0, sx - x))
