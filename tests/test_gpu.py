"""The GPU path: frames drawn by torch on a device agree with the CPU compositor's; settings fall back cleanly.

The device compositor runs here on torch's CPU device, which is the same code CUDA runs; the tests
marked ``cuda`` run it on a GPU and skip where torch sees none.
"""

from __future__ import annotations

import itertools
import json
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import get_args

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image, ImageFilter

from generator.core.errors import RenderError
from generator.core.images import AssetResolver
from generator.orchestration.cli import main
from generator.planning.plan.effects import Side
from generator.planning.plan.transitions import transition
from generator.planning.plan.types import ShotPlan
from render.backends.draft import DraftRenderer
from render.colour import VideoFrame, pack_420
from render.compose import Compositor
from render.compose.device import DeviceCompositor, bilinear
from render.compose.warp import bilinear as opencv_bilinear
from render.encode import EncodeSettings, encode_argv, ffmpeg_executable
from render.gpu import cuda_available, nvenc_works, on_gpu
from render.qc import check_video
from render.video import encode_plan, render_video
from tests.conftest import product_row
from tests.test_colour import small_plan  # noqa: F401  (a fixture)
from tests.test_motion import BLEND, Backdrops, _plan, _shot

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA device")


def _packed(frames: Iterable[VideoFrame]) -> list[np.ndarray]:
    return [pack_420(f) if isinstance(f, Image.Image) else f.packed() for f in frames]


def _blended(plan: ShotPlan) -> set[int]:
    """The frames of ``plan`` a transition blends."""
    return {
        shot.start + local
        for shot in plan.shots[1:]
        if shot.transition_in is not None
        for local in range(min(shot.transition_in.frames, shot.frames))
    }


def _agree(compositor: Compositor, device: str) -> None:
    """Every frame drawn on ``device`` is ``compositor``'s within rounding (float against 8-bit at each step).

    Blended frames differ more: Pillow's blend truncates, so where the incoming shot is darker even a
    small step of a crossfade takes a level off; the device rounds.
    """
    drawn = _packed(DeviceCompositor(compositor, device).video_frames())
    expected = _packed(compositor.frames())
    assert len(drawn) == len(expected) == compositor.plan.frames
    blended = _blended(compositor.plan)
    for number, (a, b) in enumerate(zip(drawn, expected, strict=True)):
        difference = np.abs(a.astype(int) - b)
        if number in blended:
            assert difference.max() <= 3 and difference.mean() < 1.0, number
        else:
            assert difference.max() <= 2 and difference.mean() < 0.1, number


def test_frames_drawn_by_torch_are_the_cpu_compositors_within_two_levels(
    small_plan: tuple[ShotPlan, AssetResolver],  # noqa: F811
) -> None:
    plan, assets = small_plan
    assert _blended(plan) and not plan.shots[0].camera.view(1, plan.shots[0].frames, plan.size).at_rest
    _agree(Compositor.render(plan, DraftRenderer(), assets, colour="video"), "cpu")


@pytest.mark.parametrize(
    ("kind", "direction"),
    [("crossfade", "left"), ("zoom", "left"), *((kind, side) for kind in ("slide", "wipe") for side in get_args(Side))],
)
def test_every_transition_blends_on_the_device_as_on_the_cpu(kind: str, direction: str) -> None:
    size = (240, 320)  # not square: a slide up or down is turned on its side
    rng = np.random.default_rng(5)
    textures = [Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)) for _ in range(2)]
    outgoing, incoming = (texture.filter(ImageFilter.GaussianBlur(1.5)) for texture in textures)
    plan = _plan(_shot(12), _shot(12, transition=transition(kind, BLEND, direction, "linear")))
    plan = plan.model_copy(update={"size": size, "safe_area": (0.0, 0.0, *map(float, size))})
    _agree(Compositor.render(plan, Backdrops([outgoing, incoming]), AssetResolver({}), colour="video"), "cpu")


@pytest.mark.parametrize("edge", ["replicate", "transparent"])
def test_device_bilinear_samples_where_the_opencv_warp_does(edge: str) -> None:
    pixels = np.random.default_rng(7).integers(0, 256, (37, 53, 4), dtype=np.uint8)
    origin, step, size = (-0.7, 2.3), (0.83, 0.61), (60, 50)
    expected = opencv_bilinear(pixels, origin, step, size, transparent_edge=edge == "transparent")
    source = torch.from_numpy(pixels).float()
    if edge == "transparent":  # as the device compositor keeps its sprites: one transparent pixel around
        source, origin = torch.nn.functional.pad(source, (0, 0, 1, 1, 1, 1)), (origin[0] + 1, origin[1] + 1)
    drawn = bilinear(source, origin, step, size).round().numpy()
    assert np.abs(drawn - expected).max() <= 1


def test_frames_drawn_by_torch_encode_to_a_checked_video_with_its_poster(
    small_plan: tuple[ShotPlan, AssetResolver],  # noqa: F811
    tmp_path: Path,
) -> None:
    plan, assets = small_plan
    cpu = Compositor.render(plan, DraftRenderer(), assets, colour="video")
    posters: dict[str, Image.Image] = {}
    frame = plan.poster_frame
    encode_plan(cpu, assets, tmp_path / "cpu.mp4", EncodeSettings(preset="ultrafast"), ffmpeg_executable(),
                {frame: lambda image: posters.setdefault("cpu", image)})  # fmt: skip
    device = DeviceCompositor(cpu, "cpu")
    encode_plan(device, assets, tmp_path / "device.mp4", EncodeSettings(preset="ultrafast"), ffmpeg_executable(),
                {frame: lambda image: posters.setdefault("device", image)})  # fmt: skip
    check_video(tmp_path / "device.mp4", plan)
    assert posters["device"].mode == "RGB" and posters["device"].size == plan.size
    assert np.abs(np.asarray(posters["device"]).astype(int) - np.asarray(posters["cpu"])).max() <= 4


def test_compositing_on_a_device_torch_cannot_use_is_refused_with_its_name(
    small_plan: tuple[ShotPlan, AssetResolver],  # noqa: F811
) -> None:
    plan, assets = small_plan
    video = Compositor.render(plan, DraftRenderer(), assets, colour="video")
    with pytest.raises(RenderError, match="'tpu'"):
        DeviceCompositor(video, "tpu")
    rgb = Compositor.render(plan, DraftRenderer(), assets)
    with pytest.raises(RenderError, match="video colour"):
        DeviceCompositor(rgb, "cpu")
    with pytest.raises(RenderError, match="video colour"):
        rgb.video_frames()
    if not torch.cuda.is_available():
        with pytest.raises(RenderError, match="no CUDA device"):
            DeviceCompositor(video, "cuda")


@pytest.mark.skipif(Path("/dev/nvidiactl").exists(), reason="an NVIDIA driver is here")
def test_an_ffmpeg_built_with_nvenc_but_without_a_driver_is_found_out_by_encoding() -> None:
    ffmpeg = ffmpeg_executable()
    encoders = subprocess.run([ffmpeg, "-hide_banner", "-encoders"], capture_output=True, text=True, check=True)
    if "h264_nvenc" not in encoders.stdout:
        pytest.skip("this ffmpeg has no h264_nvenc at all")
    assert not nvenc_works(ffmpeg)


def test_a_missing_binary_has_no_nvenc(tmp_path: Path) -> None:
    assert not nvenc_works(str(tmp_path / "ffmpeg"))


def test_gpu_settings_take_what_this_machine_has_and_note_each_fallback() -> None:
    base = EncodeSettings(preset="fast", crf=23)
    settings, notes = on_gpu(base)
    has_cuda, has_nvenc = cuda_available(), nvenc_works(ffmpeg_executable())
    assert settings.compositing == ("cuda" if has_cuda else "cpu")
    assert settings.codec == ("h264_nvenc" if has_nvenc else "libx264")
    assert (settings.preset, settings.crf) == ("fast", 23)
    assert len(notes) == (not has_cuda) + (not has_nvenc)
    assert all("CUDA" in note or "h264_nvenc" in note for note in notes)


def test_nvenc_argv_asks_for_constant_quality_at_the_matching_preset(tmp_path: Path) -> None:
    settings = EncodeSettings(codec="h264_nvenc", crf=22, preset="veryfast")
    argv = encode_argv(tmp_path / "v.mp4", size=(64, 64), fps=30, frames=3, audio=None, settings=settings)
    pairs = dict(itertools.pairwise(argv))
    assert pairs["-c:v"] == "h264_nvenc" and pairs["-preset"] == "p3" and pairs["-cq"] == "22"
    assert pairs["-rc"] == "vbr" and pairs["-b:v"] == "0" and "-crf" not in argv


def test_output_keys_name_the_compositing_only_off_the_cpu() -> None:
    fields = EncodeSettings().identity()
    assert "compositing" not in fields and fields["codec"] == "libx264"
    assert EncodeSettings(compositing="cuda").identity() == {**fields, "compositing": "cuda"}


def test_run_with_gpu_renders_on_what_this_machine_has_under_the_key_that_names_it(
    write_catalog: Callable[..., Path], templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog([product_row("A")])
    args = ["run", str(catalog), "--template", "quick", "--templates", str(templates_root), "--out",
            str(tmp_path / "out"), "--workers", "1", "--preset", "ultrafast"]  # fmt: skip
    result = CliRunner().invoke(main, [*args, "--gpu"])
    assert result.exit_code == 0, result.output
    (line,) = [json.loads(text) for text in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    expected, notes = on_gpu(EncodeSettings(preset="ultrafast"))
    assert line["status"] == "rendered" and line["encode"]["codec"] == expected.codec
    assert all(f"--gpu: {note}" in result.output for note in notes)
    again = CliRunner().invoke(main, args)  # without --gpu: the same output only if nothing moved to the GPU
    (after,) = [json.loads(text) for text in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines()]
    assert again.exit_code == 0
    assert (after["status"] == "skipped") == (expected == EncodeSettings(preset="ultrafast"))


@cuda
def test_frames_drawn_on_cuda_are_the_cpu_compositors_within_two_levels(
    small_plan: tuple[ShotPlan, AssetResolver],  # noqa: F811
) -> None:
    plan, assets = small_plan
    _agree(Compositor.render(plan, DraftRenderer(), assets, colour="video"), "cuda")


@cuda
def test_a_video_rendered_on_the_gpu_passes_its_checks(
    small_plan: tuple[ShotPlan, AssetResolver],  # noqa: F811
    tmp_path: Path,
) -> None:
    plan, assets = small_plan
    settings, _ = on_gpu(EncodeSettings())
    assert settings.compositing == "cuda"
    checks = render_video(plan, DraftRenderer(), assets, tmp_path / "v.mp4", tmp_path / "p.jpg", settings)
    assert all(check.passed for check in checks.layers)
    assert Image.open(tmp_path / "p.jpg").size == plan.size
