"""A model's clip shape (frame counts, generation sizes) and the retiming and fitting that bring its clip to
the plan's frames and canvas."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from generator.core.errors import ConfigError
from render.motion.timing import FrameRule, fit, generation_frames, generation_size, retime

VALID: dict[FrameRule, tuple[int, int]] = {"8k+1": (8, 9), "4k+1": (4, 5), "any": (1, 2)}  # step, smallest


@pytest.mark.parametrize("rule", ["8k+1", "4k+1", "any"])
def test_frame_counts_are_valid_for_the_rule_and_nearest_the_wanted_count(rule: FrameRule) -> None:
    step, smallest = VALID[rule]
    valid = [n for n in range(smallest, 400) if (n - 1) % step == 0]
    for wanted in range(0, 300):
        count = generation_frames(wanted, rule, None)
        assert count in valid
        assert abs(count - wanted) == min(abs(n - wanted) for n in valid)


def test_frame_counts_round_ties_up_and_keep_under_the_limit() -> None:
    assert generation_frames(13, "8k+1", None) == 17  # 9 and 17 are as near: the longer clip
    assert generation_frames(12, "8k+1", None) == 9
    assert generation_frames(1, "4k+1", None) == 5
    assert generation_frames(1, "any", None) == 2
    assert generation_frames(300, "8k+1", 257) == 257
    assert generation_frames(300, "4k+1", 83) == 81  # the limit rounds down to the rule
    assert generation_frames(40, "any", 25) == 25
    with pytest.raises(ConfigError, match="start at 9"):
        generation_frames(12, "8k+1", 8)


@pytest.mark.parametrize(
    ("canvas", "native", "multiple", "expected"),
    [
        ((1080, 1920), (704, 512), 32, (448, 800)),  # vertical canvas, LTX's area
        ((1920, 1080), (832, 480), 16, (848, 480)),  # landscape, Wan's
        ((1080, 1080), (1024, 576), 64, (768, 768)),  # square, SVD's
        ((64, 96), (96, 64), 32, (64, 96)),
    ],
)
def test_generation_size_keeps_the_native_area_in_the_canvas_aspect(
    canvas: tuple[int, int], native: tuple[int, int], multiple: int, expected: tuple[int, int]
) -> None:
    size = generation_size(canvas, native, multiple)
    assert size == expected
    assert size[0] % multiple == 0 and size[1] % multiple == 0
    assert abs(size[0] * size[1] / (native[0] * native[1]) - 1) < 0.1


def _ramp(count: int) -> list[np.ndarray]:
    """Frames whose every pixel holds the frame's index times 10 (so blends are exact to read)."""
    return [np.full((4, 6, 3), 10 * i, np.uint8) for i in range(count)]


@pytest.mark.parametrize("count", [1, 2, 7, 12, 30])
def test_retime_gives_the_exact_count_and_keeps_first_and_last(count: int) -> None:
    frames = [np.random.default_rng(i).integers(0, 256, (4, 6, 3), dtype=np.uint8) for i in range(9)]
    result = retime(frames, count)
    assert len(result) == count
    assert all(r.dtype == np.uint8 and r.shape == (4, 6, 3) for r in result)
    np.testing.assert_array_equal(result[0], frames[0])
    if count > 1:
        np.testing.assert_array_equal(result[-1], frames[-1])
    assert all(np.array_equal(a, b) for a, b in zip(result, retime(frames, count)))  # deterministic


def test_retime_blends_linearly_in_time_up_and_down() -> None:
    up = retime(_ramp(3), 5)  # source frames at 0, 0.5, 1, 1.5, 2
    assert [int(f[0, 0, 0]) for f in up] == [0, 5, 10, 15, 20]
    down = retime(_ramp(9), 3)  # 0, 4, 8: exact source frames
    assert [int(f[0, 0, 0]) for f in down] == [0, 40, 80]
    odd = retime(_ramp(4), 3)  # 0, 1.5, 3
    assert [int(f[0, 0, 0]) for f in odd] == [0, 15, 30]


def test_a_blend_midway_between_two_flat_frames_is_their_mean() -> None:
    dark = np.full((2, 2, 3), (20, 100, 0), np.uint8)
    light = np.full((2, 2, 3), (220, 140, 254), np.uint8)
    middle = retime([dark, light], 3)[1]
    np.testing.assert_array_equal(middle, np.full((2, 2, 3), (120, 120, 127), np.uint8))


def test_retime_refuses_no_frames() -> None:
    with pytest.raises(ConfigError):
        retime([], 3)


@pytest.mark.parametrize("size", [(64, 96), (96, 64), (50, 50), (120, 80)])
def test_fit_covers_and_centre_crops_to_the_size(size: tuple[int, int]) -> None:
    # A 120x80 picture: a red left third, a green middle, a blue right third.
    pixels = np.zeros((80, 120, 3), np.uint8)
    pixels[:, :40, 0] = pixels[:, 40:80, 1] = pixels[:, 80:, 2] = 255
    fitted = fit(Image.fromarray(pixels), size)
    assert fitted.size == size
    centre = np.asarray(fitted)[size[1] // 2, size[0] // 2]
    assert tuple(centre) == (0, 255, 0)  # the middle stays in the middle
    assert np.array_equal(np.asarray(fit(Image.fromarray(pixels), size)), np.asarray(fitted))
