"""Compositing a plan into frames: ``Compositor`` for a whole video, ``shot_still`` for one frame of a
shot, and the helpers rendering and QC share with it.

::

    requests (keyframe requests per shot) ─► backend keyframes
    sprites (layers at their own resolution) ─► shot (one shot's frames) ─► compositor (all frames, transitions)
"""

from render.compose.compositor import Compositor, shot_still
from render.compose.requests import keyframe_requests, layer_source
from render.compose.sprites import layer_at_rest, layer_pixels, layer_pixels_at, text_box

__all__ = [
    "Compositor",
    "keyframe_requests",
    "layer_at_rest",
    "layer_pixels",
    "layer_pixels_at",
    "layer_source",
    "shot_still",
    "text_box",
]
