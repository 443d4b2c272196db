"""The diffusers video model on the tiny LTX-Video, Wan and Stable Video Diffusion checkpoints, saved and loaded
like a user's folders: clips as the model makes them, shown at the asked count and size, seeded, ending on the last keyframe where the model
takes one, strength as each family reads it, and the identity and errors a user sees."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.core.errors import ConfigError, RenderError
from render.motion import ClipRequest
from render.motion.checks import check_clip
from render.motion.diffusion import DiffusersVideoModel, VideoSettings, video_identity
from render.motion.timing import Clip, fit
from tests.tiny_video_models import build_tiny_ltx, build_tiny_svd, build_tiny_wan

CANVAS = (64, 96)  # width, height: a vertical canvas


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("video-models")
    return {
        "ltx": build_tiny_ltx(root / "tiny-ltx"),
        "ltx-condition": build_tiny_ltx(root / "tiny-ltx-condition", condition=True),
        "wan": build_tiny_wan(root / "tiny-wan"),
        "svd": build_tiny_svd(root / "tiny-svd"),
    }


def _settings(folder: Path, **changes: object) -> VideoSettings:
    settings = VideoSettings(model=str(folder), size=CANVAS, steps=2, device="cpu", threads=1, local_files_only=True)
    return replace(settings, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def models(folders: dict[str, Path]) -> dict[str, DiffusersVideoModel]:
    # Stable Video Diffusion's sides are multiples of 64: a taller clip, cropped to the canvas.
    sizes = {"svd": (64, 128)}
    return {
        name: DiffusersVideoModel.load(_settings(folder, size=sizes.get(name, CANVAS)))
        for name, folder in folders.items()
    }


def _picture(seed: int = 0, size: tuple[int, int] = CANVAS) -> Image.Image:
    """A keyframe: a gradient with a bright box, tinted by ``seed``."""
    width, height = size
    rows, columns = np.mgrid[0:height, 0:width]
    pixels = np.stack([rows * 255 // height, columns * 255 // width, np.full_like(rows, 60 + 90 * seed)], axis=-1)
    pixels[height // 4 : height // 2, width // 4 : width // 2] = (240, 200, 40)
    return Image.fromarray(pixels.clip(0, 255).astype(np.uint8))


def _request(seed: int = 0, *, frames: int = 12, last: Image.Image | None = None, **changes: object) -> ClipRequest:
    request = ClipRequest(
        prompt="a bottle on a table, the camera pushes in", negative="blurry", size=CANVAS, frames=frames, fps=24,
        seed=seed, strength=1.0, first=_picture(), last=last,
    )  # fmt: skip
    return replace(request, **changes)  # type: ignore[arg-type]


def _arrays(clip: list[Image.Image]) -> np.ndarray:
    return np.stack([np.asarray(frame) for frame in clip])


@pytest.mark.parametrize("name", ["ltx", "wan", "svd"])
def test_a_clip_comes_as_made_and_is_shown_at_the_requested_count_and_size(
    name: str, models: dict[str, DiffusersVideoModel]
) -> None:
    model, request = models[name], _request()
    [clip] = model.generate([request])
    made = model.generation_frames(request)
    assert made != request.frames and len(clip) == made  # what is stored: the model's own count and size
    assert all(frame.size == model.generation_size(CANVAS) and frame.mode == "RGB" for frame in clip)
    shown = Clip([np.asarray(frame) for frame in clip], request.frames, request.size)
    assert len(shown) == 12 and all(frame.size == CANVAS for frame in shown)
    np.testing.assert_array_equal(np.asarray(shown[0]), np.asarray(fit(clip[0], CANVAS)))


@pytest.mark.parametrize("name", ["ltx", "wan", "svd"])
def test_the_seed_decides_the_frames(name: str, models: dict[str, DiffusersVideoModel]) -> None:
    model = models[name]
    first, again = model.generate([_request(seed=3)]), model.generate([_request(seed=3)])
    np.testing.assert_array_equal(_arrays(first[0]), _arrays(again[0]))
    [other] = model.generate([_request(seed=4)])
    assert not np.array_equal(_arrays(first[0]), _arrays(other))


def test_requests_together_give_what_they_give_alone(models: dict[str, DiffusersVideoModel]) -> None:
    model = models["wan"]
    requests = [_request(seed=1), _request(seed=2, frames=7)]
    together, alone = model.generate(requests), model.generate(requests[1:])
    assert [len(clip) for clip in together] == [model.generation_frames(request) for request in requests]
    np.testing.assert_array_equal(_arrays(together[1]), _arrays(alone[0]))


def test_wan_is_given_the_last_keyframe(models: dict[str, DiffusersVideoModel]) -> None:
    model = models["wan"]
    ending = _picture(seed=2)
    kwargs = model._kwargs(_request(last=ending))
    assert np.array_equal(np.asarray(kwargs["last_image"]), np.asarray(ending))
    assert "last_image" not in model._kwargs(_request())
    [towards] = model.generate([_request(last=ending)])
    [free] = model.generate([_request()])
    assert not np.array_equal(_arrays(towards), _arrays(free))


def test_ltx_condition_ends_on_the_last_keyframe(models: dict[str, DiffusersVideoModel]) -> None:
    model = models["ltx-condition"]
    kwargs = model._kwargs(_request(last=_picture(seed=2)))
    assert kwargs["frame_index"] == [0, kwargs["num_frames"] - 1] and len(kwargs["image"]) == 2
    assert kwargs["frame_rate"] == 24
    [clip] = model.generate([_request(last=_picture(seed=2))])
    assert len(clip) == kwargs["num_frames"] and clip[0].size == CANVAS


@pytest.mark.parametrize(("variant", "takes_last"), [("2.1", False), ("flf2v", True)])
def test_wan_21_takes_a_last_image_only_as_first_last_frame(variant: str, takes_last: bool, tmp_path: Path) -> None:
    model = DiffusersVideoModel.load(_settings(build_tiny_wan(tmp_path / "wan", variant=variant)))  # type: ignore[arg-type]
    assert ("last_image" in model._kwargs(_request(last=_picture(seed=2)))) is takes_last
    if takes_last:  # first-last-frame checkpoints need both keyframes
        with pytest.raises(RenderError, match="makes clips between two keyframes"):
            model.generate([_request()])


def test_the_checks_reject_the_tiny_models_random_clips(models: dict[str, DiffusersVideoModel]) -> None:
    # Random weights draw a picture unrelated to the keyframe: the colours go (stability far under 0.5).
    for name in ("ltx", "wan"):
        [clip] = models[name].generate([_request()])
        check = check_clip([np.asarray(frame) for frame in clip], np.asarray(_picture()))
        assert check.stability < 0.2 and check.problem is not None


def test_stable_video_diffusion_takes_no_prompt_and_reads_strength_as_motion(
    models: dict[str, DiffusersVideoModel],
) -> None:
    model = models["svd"]
    kwargs = model._kwargs(_request(frames=90, fps=30, strength=0.25))
    assert "prompt" not in kwargs and "negative_prompt" not in kwargs
    assert (kwargs["motion_bucket_id"], kwargs["fps"], kwargs["max_guidance_scale"]) == (64, 7, 3.0)
    assert kwargs["num_frames"] == 14  # 3 s at 7 fps is 21 frames: the checkpoint makes 14 at most
    assert model._kwargs(_request(frames=24, fps=24, strength=0.25))["num_frames"] == 7  # strength keeps the time
    assert model._kwargs(_request(strength=0.0))["motion_bucket_id"] == 1


def test_frame_counts_follow_the_model_rate_and_strength(models: dict[str, DiffusersVideoModel]) -> None:
    ltx, wan = models["ltx"], models["wan"]
    # LTX makes the clip at the request's rate, Wan at its 16 fps: 3 s at 30 fps is 90 frames, 48 at 16 fps.
    assert ltx.generation_frames(_request(frames=90, fps=30)) == 89
    assert wan.generation_frames(_request(frames=90, fps=30)) == 49
    # Half the strength: half the model time, stretched over the clip.
    assert wan.generation_frames(_request(frames=90, fps=30, strength=0.5)) == 25
    assert wan.generation_frames(_request(frames=90, fps=30, strength=0.0)) == 5
    assert wan.generation_frames(_request(frames=900, fps=30)) == 81  # Wan's longest clip


def test_the_native_size_keeps_the_canvas_aspect(folders: dict[str, Path]) -> None:
    model = DiffusersVideoModel.load(_settings(folders["wan"], size=None))
    assert model.generation_size((1080, 1920)) == (480, 848)
    assert model.generation_size((1920, 1080)) == (848, 480)


def test_identity_is_known_before_loading_and_names_what_decides_the_frames(
    folders: dict[str, Path], models: dict[str, DiffusersVideoModel]
) -> None:
    settings = _settings(folders["wan"])
    identity = video_identity(settings)
    assert models["wan"].identity == identity
    assert "WanImageToVideoPipeline" in identity and ":tiny-wan@" in identity
    assert ":steps=2:guidance=5.0:size=64x96:on=cpu/float32/threads=1:" in identity  # Wan's default guidance
    changed = [
        replace(settings, steps=3), replace(settings, guidance=4.0), replace(settings, size=(96, 64)),
        replace(settings, threads=2), replace(settings, model=str(folders["ltx"])),
    ]  # fmt: skip
    assert len({identity, *map(video_identity, changed)}) == len(changed) + 1


def test_an_image_pipeline_is_not_a_video_model(tiny_model: Path) -> None:
    settings = _settings(tiny_model)
    for attempt in (lambda: video_identity(settings), lambda: DiffusersVideoModel.load(settings)):
        with pytest.raises(ConfigError, match="StableDiffusionPipeline is not an image-to-video pipeline") as error:
            attempt()
        assert "LTXImageToVideoPipeline, LTXConditionPipeline, WanImageToVideoPipeline" in str(error.value)


def test_bad_settings_are_config_errors(folders: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LTX-Video generates at sides in multiples of 32, not \\(48, 96\\)"):
        DiffusersVideoModel.load(_settings(folders["ltx"], size=(48, 96)))
    with pytest.raises(ConfigError, match="steps and threads must be at least 1"):
        DiffusersVideoModel.load(_settings(folders["ltx"], steps=0))
    with pytest.raises(ConfigError, match="cannot read video model"):
        DiffusersVideoModel.load(_settings(tmp_path / "missing"))
