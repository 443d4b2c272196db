"""What a shot shows at each of its frames: where each layer is, and which frame is settled.

An image layer is seen through the shot's camera (travelling ``depth`` times as far under
parallax), text stays in screen space; then its entrance and exit move it on screen. Frames past a
shot's end (while the next shot blends in) hold its last camera view, its exits done.
"""

from __future__ import annotations

from generator.core.geometry import Rect
from generator.planning.plan.camera import Parallax
from generator.planning.plan.effects import Appear
from generator.planning.plan.shapes import ShapePlacement
from generator.planning.plan.treatments import reach, visible_at
from generator.planning.plan.types import ImagePlacement, PlannedShot, TextPlacement

SHADOW_MARGIN = 0.06  # contact shadow below a product, as a fraction of its height


def below_foot(layer: ImagePlacement | TextPlacement | ShapePlacement) -> float:
    """How far below an image layer its contact shadow's band or reflection reaches, as a fraction of its height."""
    if not isinstance(layer, ImagePlacement):
        return 0.0
    return max(SHADOW_MARGIN if layer.shadow else 0.0, reach(layer.treatment))


def footprint(layer: ImagePlacement | TextPlacement | ShapePlacement) -> Rect:
    """A layer's box, down to the foot of its contact shadow's band or reflection when it has one."""
    x, y, w, h = layer.box
    below = below_foot(layer)
    return (x, y, w, h * (1 + below)) if below else layer.box


def layer_rect(
    shot: PlannedShot, layer: ImagePlacement | TextPlacement | ShapePlacement, frame: int, canvas: tuple[int, int]
) -> tuple[Rect, float]:
    """Where a layer is drawn at shot-local ``frame`` (canvas pixels, fractional), and its opacity."""
    anchor = footprint(layer)
    if not isinstance(layer, ImagePlacement):  # text and shapes are in screen space
        return layer.motion.apply(layer.box, anchor, canvas, frame)
    view, depth = shot.camera.view(frame, shot.frames, canvas), shot.camera.layer_depth
    box = visible_at(layer.box, layer.treatment, layer.motion, shot.frames, frame)  # a zoom's window, a turn's card
    return layer.motion.apply(view.rect(box, canvas, depth), view.rect(anchor, canvas, depth), canvas, frame)


def footprint_rect(
    shot: PlannedShot, layer: ImagePlacement | TextPlacement | ShapePlacement, frame: int, canvas: tuple[int, int]
) -> tuple[Rect, float]:
    """``layer_rect``, reaching down to the foot of the layer's contact shadow or reflection when it has one."""
    (x, y, w, h), opacity = layer_rect(shot, layer, frame, canvas)
    return (x, y, w, h * (1 + below_foot(layer))), opacity


def settled_frame(shot: PlannedShot) -> int:
    """Shot-local frame where every layer has finished entering, past any blend with the shot
    before (or the shot's last frame).

    The one "settled" rule: the frame a storyboard shows for the shot, where text legibility is
    measured, and from which picture QC expects a moving shot to change and samples layers at rest.
    Captions do not count: they follow the voice.
    """
    blend = shot.transition_in.frames if shot.transition_in is not None else 0
    entered = max(
        (
            layer.motion.start + layer.motion.frames
            for layer in shot.layers
            if not (
                isinstance(layer, TextPlacement) and layer.caption is not None
            )  # captions come and go with the voice
        ),
        default=0,
    )
    return min(shot.frames - 1, max(blend, entered))


def is_pinnable(shot: PlannedShot, layer: ImagePlacement) -> bool:
    """Whether ``layer`` stays where the keyframe would show it for its whole shot, so it can be part of it.

    It must rest from the first frame and never exit, nor zoom or turn, and the shot must not be a
    parallax move (the layer would slide off its pinned copy).
    """
    motion = layer.motion
    resting = motion.start == 0 and (isinstance(motion.enter, Appear) or motion.frames == 0) and not motion.exits
    still = layer.treatment is None or not layer.treatment.moves
    return resting and still and not isinstance(shot.camera, Parallax)
