"""The video's colour: conversion against ffmpeg's own, 4:2:0 packing, and frames composited in it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.core.errors import EncodeError
from generator.core.images import AssetResolver
from generator.orchestration.runs.rows import DEFAULT_TEMPLATES, PlannedRow, RunOptions, load_templates, plan_rows
from generator.planning.catalog import load_catalog
from generator.planning.plan.types import ShotPlan
from render.backends.draft import DraftRenderer
from render.colour import pack_420, to_rgb, to_video
from render.compose import Compositor
from render.encode import encode_argv, encode_video, ffmpeg_executable
from render.scale import scale_plan
from tests.conftest import REPO

SAMPLE = REPO / "catalogs" / "sample.csv"


def _picture() -> Image.Image:
    """A product photo with the primaries and both ends of the range pasted in: every colour the conversion meets."""
    picture = Image.open(REPO / "catalogs" / "images" / "camera-violet.jpg").convert("RGB").resize((96, 64))
    for index, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0), (255, 255, 0)]):
        picture.paste(colour, (16 * index, 0, 16 * index + 16, 16))
    return picture


def _ffmpeg(picture: Image.Image, pixel_format: str) -> np.ndarray:
    """``picture`` converted by ffmpeg to BT.709 limited range ``pixel_format``: its bytes."""
    argv = [
        ffmpeg_executable(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "{}x{}".format(*picture.size),
        "-i", "pipe:", "-vf", "scale=out_color_matrix=bt709:out_range=tv", "-pix_fmt", pixel_format, "-f", "rawvideo",
        "pipe:",
    ]  # fmt: skip
    return np.frombuffer(
        subprocess.run(argv, input=picture.tobytes(), capture_output=True, check=True).stdout, np.uint8
    )


def test_video_colour_is_ffmpegs_bt709_conversion_within_one_level() -> None:
    picture = _picture()
    planes = _ffmpeg(picture, "yuv444p").reshape(3, picture.height, picture.width)
    ours = np.asarray(to_video(picture)).transpose(2, 0, 1)
    assert np.abs(ours.astype(int) - planes).max() <= 1
    assert tuple(np.asarray(to_video(picture))[0, 0]) == tuple(planes[:, 0, 0])  # red: 63, 102, 240 as ffmpeg has it


def test_alpha_is_kept_and_rgb_comes_back_within_two_levels() -> None:
    picture = _picture()
    with_alpha = picture.convert("RGBA")
    with_alpha.putalpha(Image.linear_gradient("L").resize(picture.size))
    video = to_video(with_alpha)
    assert video.mode == "RGBA" and np.array_equal(np.asarray(video)[..., 3], np.asarray(with_alpha)[..., 3])
    back = np.asarray(to_rgb(to_video(picture))).astype(int)
    assert np.abs(back - np.asarray(picture)).max() <= 2


def test_packing_keeps_luma_and_averages_chroma_over_each_2x2_block() -> None:
    frame = Image.fromarray(np.random.default_rng(7).integers(0, 256, (6, 8, 3), dtype=np.uint8))
    pixels = np.asarray(frame).astype(int)
    packed = pack_420(frame)
    assert packed.size == 8 * 6 * 3 // 2
    assert np.array_equal(packed[:48].reshape(6, 8), pixels[..., 0])
    blocks = pixels.reshape(3, 2, 4, 2, 3).mean(axis=(1, 3))  # (rows, columns, channel) of 2x2 means
    for channel, plane in ((1, packed[48:60]), (2, packed[60:])):
        assert np.abs(plane.reshape(3, 4) - blocks[..., channel]).max() <= 0.5


def test_packing_is_ffmpegs_4_2_0_where_colour_is_smooth() -> None:
    """Away from sharp colour edges, in-process packing gives the bytes ffmpeg's own conversion gives."""
    smooth = _picture().resize((24, 16), Image.Resampling.BOX).resize((96, 64), Image.Resampling.BICUBIC)
    difference = np.abs(pack_420(to_video(smooth)).astype(int) - _ffmpeg(smooth, "yuv420p"))
    assert difference[: 96 * 64].max() <= 1 and np.percentile(difference[96 * 64 :], 95) <= 1


@pytest.fixture(scope="module")
def small_plan() -> tuple[ShotPlan, AssetResolver]:
    """The sample's first row through beauty-launch at a sixth of its size: moving camera, sprites, kinetic type,
    shapes, a turning product, entrances and transitions."""
    options = RunOptions(template_id="beauty-launch")
    plan = next(
        p.plan for p in plan_rows(load_catalog(SAMPLE), load_templates(options), options) if isinstance(p, PlannedRow)
    )
    return scale_plan(plan, 180 / min(plan.size)), AssetResolver(
        {"catalog": SAMPLE.parent, "templates": DEFAULT_TEMPLATES}
    )


def test_frames_composited_in_video_colour_are_the_rgb_frames_converted(
    small_plan: tuple[ShotPlan, AssetResolver],
) -> None:
    plan, assets = small_plan
    rgb = Compositor.render(plan, DraftRenderer(), assets)
    video = Compositor(plan, rgb.backgrounds, assets, pinning=rgb.pinning, colour="video")
    worst = 0
    for a, b in zip(rgb.frames(), video.frames(), strict=True):
        difference = np.abs(np.asarray(to_video(a)).astype(int) - np.asarray(b))
        worst = max(worst, int(difference.max()))
        assert difference.mean() < 0.6  # rounding in one colour or the other (crossfades round twice), nothing more
    assert worst <= 4


def test_an_encoded_video_decodes_to_the_colours_composited(
    small_plan: tuple[ShotPlan, AssetResolver], tmp_path: Path
) -> None:
    plan, assets = small_plan
    video = Compositor.render(plan, DraftRenderer(), assets, colour="video")
    frames = list(video.frames())
    out = tmp_path / "v.mp4"
    argv = encode_argv(
        out, size=plan.size, fps=plan.fps, frames=plan.frames, audio=None, executable=ffmpeg_executable()
    )
    encode_video(frames, argv, size=plan.size)
    decode = [ffmpeg_executable(), "-v", "error", "-i", str(out), "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:"]
    decoded = np.frombuffer(subprocess.run(decode, capture_output=True, check=True).stdout, np.uint8)
    decoded = decoded.reshape(plan.frames, plan.size[1], plan.size[0], 3).astype(int)
    for number in (0, plan.frames // 2, plan.frames - 1):
        expected = np.asarray(to_rgb(frames[number])).astype(int)
        assert np.abs(decoded[number] - expected).mean() < 3  # x264 at CRF 20, read back as BT.709 limited range


def test_an_odd_canvas_cannot_be_packed_4_2_0(tmp_path: Path) -> None:
    argv = encode_argv(tmp_path / "v.mp4", size=(63, 64), fps=30, frames=1, audio=None, executable=ffmpeg_executable())
    with pytest.raises(EncodeError, match="even width and height"):
        encode_video([Image.new("RGB", (63, 64))], argv, size=(63, 64))
