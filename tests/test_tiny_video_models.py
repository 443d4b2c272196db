"""The tiny image-to-video checkpoints (``tests/tiny_video_models.py``) load as a user's folder does and animate
an input picture: frames of the asked count and size, finite, the same for the same seed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from diffusers import DiffusionPipeline, LTXImageToVideoPipeline, WanImageToVideoPipeline
from PIL import Image

from tests.tiny_video_models import WanVariant, build_tiny_ltx, build_tiny_wan

# Sizes the models take: LTX wants sides in multiples of 32 and 8k+1 frames, Wan multiples of 16 and 4k+1 frames.
CALLS: dict[str, dict[str, Any]] = {
    "ltx": {"height": 64, "width": 96, "num_frames": 9, "frame_rate": 24, "guidance_scale": 3.0},
    "wan": {"height": 48, "width": 80, "num_frames": 5, "guidance_scale": 5.0},
}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def ltx(tmp_path_factory: pytest.TempPathFactory) -> DiffusionPipeline:
    return _load(build_tiny_ltx(tmp_path_factory.mktemp("models") / "tiny-ltx"))


@pytest.fixture(scope="module")
def wan(tmp_path_factory: pytest.TempPathFactory) -> DiffusionPipeline:
    return _load(build_tiny_wan(tmp_path_factory.mktemp("models") / "tiny-wan"))


def _load(folder: Path) -> DiffusionPipeline:
    pipeline = DiffusionPipeline.from_pretrained(folder)
    pipeline.set_progress_bar_config(disable=True)
    return pipeline


def _picture(seed: int = 0) -> Image.Image:
    """A 120x80 product shot: a gradient with a bright box, not the output's size or aspect."""
    rows, columns = np.mgrid[0:80, 0:120]
    pixels = np.stack([rows * 3, columns * 2, np.full_like(rows, 60 + 40 * seed)], axis=-1)
    pixels[20:60, 40:80] = (240, 200, 40)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def _frames(pipeline: DiffusionPipeline, model: str, seed: int, **extra: Any) -> np.ndarray:
    generator = torch.Generator().manual_seed(seed)
    kwargs = {**CALLS[model], **extra}
    result = pipeline(
        image=_picture(), prompt="a bottle turns slowly", negative_prompt="blurry", num_inference_steps=2,
        output_type="np", generator=generator, **kwargs,
    )  # fmt: skip
    return result.frames


def test_the_folders_load_as_image_to_video_pipelines(ltx: DiffusionPipeline, wan: DiffusionPipeline) -> None:
    assert type(ltx) is LTXImageToVideoPipeline
    assert type(wan) is WanImageToVideoPipeline
    assert wan.transformer_2 is not None and wan.image_encoder is None  # Wan 2.2: two experts, no CLIP encoder
    assert wan.config.boundary_ratio == 0.9


@pytest.mark.parametrize("model", ["ltx", "wan"])
def test_frames_have_the_asked_count_and_size(model: str, request: pytest.FixtureRequest) -> None:
    frames = _frames(request.getfixturevalue(model), model, seed=0)
    call = CALLS[model]
    assert frames.shape == (1, call["num_frames"], call["height"], call["width"], 3)
    assert frames.dtype == np.float32
    assert np.isfinite(frames).all() and frames.min() >= 0.0 and frames.max() <= 1.0


@pytest.mark.parametrize("model", ["ltx", "wan"])
def test_the_seed_decides_the_frames(model: str, request: pytest.FixtureRequest) -> None:
    pipeline = request.getfixturevalue(model)
    first, again, other = (_frames(pipeline, model, seed=seed) for seed in (7, 7, 8))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_wan_takes_a_last_image(wan: DiffusionPipeline) -> None:
    frames = _frames(wan, "wan", seed=0, last_image=_picture(seed=1))
    assert frames.shape == (1, 5, 48, 80, 3) and np.isfinite(frames).all()
    assert not np.array_equal(frames, _frames(wan, "wan", seed=0))  # the last picture conditions the video


@pytest.mark.parametrize(("variant", "last_image"), [("2.1", False), ("flf2v", True)])
def test_wan_21_encodes_the_pictures_with_clip(variant: WanVariant, last_image: bool, tmp_path: Path) -> None:
    pipeline = _load(build_tiny_wan(tmp_path / "tiny-wan", variant=variant))
    assert type(pipeline) is WanImageToVideoPipeline
    assert pipeline.image_encoder is not None and pipeline.transformer_2 is None
    extra = {"last_image": _picture(seed=1)} if last_image else {}
    frames = _frames(pipeline, "wan", seed=0, **extra)
    assert frames.shape == (1, 5, 48, 80, 3) and np.isfinite(frames).all()


def test_frame_counts_round_down_and_sizes_must_divide(
    ltx: DiffusionPipeline, wan: DiffusionPipeline, caplog: pytest.LogCaptureFixture
) -> None:
    assert _frames(ltx, "ltx", seed=0, num_frames=12).shape[1] == 9  # silently, to 8k+1
    with caplog.at_level(logging.WARNING):
        assert _frames(wan, "wan", seed=0, num_frames=7).shape[1] == 5  # to 4k+1, with a warning
    assert "num_frames - 1" in caplog.text
    with pytest.raises(ValueError, match="divisible by 32"):
        _frames(ltx, "ltx", seed=0, height=48)
    with pytest.raises(ValueError, match="divisible by 16"):
        _frames(wan, "wan", seed=0, height=40)
