"""Temporal QC of generated clips: a smooth pan passes; injected flicker, a strobing frame, black, flat and NaN
frames and a clip drifting away from its keyframe each fail, with the figure and the limit in the sentence."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageFilter

from generator.core.errors import RenderError
from render.motion.checks import DRIFT_MAX, FLICKER_MIN, STABILITY_MIN, STEP_MIN, check_clip

HEIGHT, WIDTH, COUNT = 108, 192, 48


def _scene(width: int = WIDTH + COUNT) -> np.ndarray:
    """A textured scene wider than the clip: blurred random colour blobs (smooth at the pixel scale)."""
    blobs = np.random.default_rng(0).integers(0, 256, (HEIGHT // 6, width // 6, 3), dtype=np.uint8)
    picture = Image.fromarray(blobs).resize((width, HEIGHT), Image.Resampling.BICUBIC)
    return np.asarray(picture.filter(ImageFilter.GaussianBlur(3)))


def _pan(speed: float = 1.0) -> list[np.ndarray]:
    """The camera pans right over the scene at ``speed`` pixels a frame."""
    scene = _scene()
    return [scene[:, round(i * speed) : round(i * speed) + WIDTH].copy() for i in range(COUNT)]


def _brighter(frame: np.ndarray, levels: int) -> np.ndarray:
    return np.clip(frame.astype(np.int16) + levels, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("speed", [0.5, 1.0])
def test_a_smooth_pan_passes(speed: float) -> None:
    clip = _pan(speed)
    check = check_clip(clip, clip[0])
    assert check.ok, check.problem
    assert check.frames == COUNT
    assert FLICKER_MIN < check.flicker < 1 and STEP_MIN < check.worst_step < 1
    assert check.stability > 0.9


def test_float_frames_are_read_as_levels() -> None:
    clip = _pan()
    floats = [frame.astype(np.float32) / 255 for frame in clip]
    assert check_clip(floats, floats[0]) == check_clip(clip, clip[0])


def test_a_still_clip_scores_one() -> None:
    frame = _pan()[0]
    check = check_clip([frame] * 5, frame)
    assert (check.flicker, check.worst_step, check.stability, check.problem) == (1.0, 1.0, 1.0, None)


def test_every_other_frame_brightened_flickers() -> None:
    clip = [_brighter(frame, 30 * (i % 2)) for i, frame in enumerate(_pan())]
    check = check_clip(clip, clip[0])
    assert check.flicker == pytest.approx((255 - 30) / 255, abs=0.005) and check.flicker < FLICKER_MIN
    assert check.problem is not None and check.problem.startswith("the background flickers")
    assert "(VBench temporal flickering 0.88" in check.problem and "the limit 0.95)" in check.problem


def test_one_strobing_frame_flashes() -> None:
    clip = _pan()
    clip[20] = _brighter(clip[20], 60)
    check = check_clip(clip, clip[0])
    assert check.flicker > FLICKER_MIN  # diluted over the clip, the flash passes the mean ...
    assert check.worst_step < STEP_MIN  # ... and fails as a step
    assert check.problem is not None
    assert check.problem.startswith("the background flashes between frames 20 and 21 of 48")


def test_a_black_frame_is_garbled() -> None:
    clip = _pan()
    clip[10] = np.zeros_like(clip[10])
    check = check_clip(clip, clip[0])
    assert check.problem is not None
    assert check.problem.startswith("frame 11 of 48 is black (mean level 0.0 of 255, the limit 8)")


def test_a_flat_frame_is_garbled() -> None:
    clip = _pan()
    clip[-1] = np.full_like(clip[-1], 128)
    check = check_clip(clip, clip[0])
    assert check.problem is not None and check.problem.startswith("frame 48 of 48 is one flat colour")


def test_a_flat_keyframe_allows_flat_frames() -> None:
    plain = np.full((HEIGHT, WIDTH, 3), (200, 190, 180), np.uint8)
    assert check_clip([plain] * 4, plain).ok


def test_a_nan_frame_is_garbled() -> None:
    clip = [frame.astype(np.float32) / 255 for frame in _pan()]
    clip[5][3, 4, 1] = np.nan
    check = check_clip(clip, clip[0])
    assert check.problem == "frame 6 of 48 is broken: the model returned invalid values (NaN) there"


def test_a_clip_drifting_into_another_picture_is_unstable() -> None:
    # A slow crossfade into a dark red copy of the scene: every step is small (no flicker), the last frames
    # share almost no colour with the keyframe.
    clip = _pan()
    last = len(clip) - 1
    drifting = []
    for i, frame in enumerate(clip):
        red = np.stack([255 - frame[..., 0] // 4, frame[..., 1] // 4, frame[..., 2] // 4], axis=-1)
        drifting.append((frame * (1 - i / last) + red * (i / last) + 0.5).astype(np.uint8))
    check = check_clip(drifting, clip[0])
    assert check.flicker > FLICKER_MIN and check.worst_step > STEP_MIN
    assert check.stability < STABILITY_MIN
    assert check.problem is not None and check.problem.startswith("the background drifts away from its keyframe")
    assert "(the limit 50%)" in check.problem


def test_a_collapsed_frame_loses_the_keyframe_colours() -> None:
    clip = _pan()
    clip[30] = np.random.default_rng(1).integers(0, 256, clip[30].shape, dtype=np.uint8)
    assert check_clip(clip, clip[0]).stability < STABILITY_MIN


def test_no_frames_is_a_problem() -> None:
    assert check_clip([], _pan()[0]).problem == "the clip has no frames"


def test_frames_of_another_size_are_an_error() -> None:
    clip = _pan()
    clip[3] = clip[3][:, 1:]
    with pytest.raises(RenderError, match="frame 4: a clip's frames must all be HxWx3 of one size"):
        check_clip(clip, clip[0])


def test_a_clip_that_does_not_start_from_its_keyframe_drifts() -> None:
    clip = _pan()
    keyframe = _brighter(clip[0], 20)  # the model's first frame lost the keyframe's light
    check = check_clip(clip, keyframe)
    assert check.drift == pytest.approx(20, abs=1) and check.drift > DRIFT_MAX
    assert check.problem is not None and check.problem.startswith("the clip does not start from its keyframe")
    assert f"(the limit {DRIFT_MAX:g})" in check.problem
    close = check_clip(clip, _brighter(clip[0], 5))  # a model's encoder and decoder lose a little
    assert close.ok and 4 <= close.drift <= 5
