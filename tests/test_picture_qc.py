"""Per-video picture checks on decoded frames: product fidelity, mascot similarity, frozen shots."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from generator.core.errors import EncodeError, RenderError
from generator.core.images import AssetResolver
from generator.orchestration.runs.rows import RunOptions
from generator.orchestration.runs.run import run_batch
from generator.orchestration.stores.store import LocalStore
from generator.planning.catalog import load_catalog
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.timeline import layer_rect, settled_frame
from generator.planning.plan.types import ImagePlacement, ShotPlan
from generator.planning.templates import load_template
from render.backends.draft import DraftRenderer
from render.colour import to_rgb, to_video
from render.compose import Compositor, layer_source
from render.encode import EncodeSettings, encode_argv, encode_video, ffmpeg_executable
from render.qc import FIDELITY_ERROR, check_pictures, decode_argv, decode_frames
from render.scale import scale_plan
from render.video import FULL_SETTINGS
from tests.conftest import VOICES, product_row

WriteCatalog = Callable[..., Path]


def _still(write_catalog: WriteCatalog, templates_root: Path) -> tuple[ShotPlan, AssetResolver]:
    path = write_catalog([product_row("P1")])
    (product,) = load_catalog(path).rows()
    plan = compile_plan(load_template(templates_root / "test" / "still.yaml"), product, "1:1", templates_root, VOICES)  # type: ignore[arg-type]
    return plan, AssetResolver({"catalog": path.parent, "templates": templates_root})


def _encode(frames: list[Image.Image], plan: ShotPlan, out: Path, settings: EncodeSettings = FULL_SETTINGS) -> Path:
    argv = encode_argv(
        out, size=plan.size, fps=plan.fps, frames=plan.frames, audio=None, settings=settings,
        executable=ffmpeg_executable(),
    )  # fmt: skip
    encode_video(frames, argv, size=plan.size)
    return out


def _rendered(plan: ShotPlan, assets: AssetResolver, out: Path) -> Path:
    return _encode(list(Compositor.render(plan, DraftRenderer(), assets, colour="video").frames()), plan, out)


def _check(video: Path, plan: ShotPlan, assets: AssetResolver, moving: frozenset[str] = frozenset()) -> list:  # type: ignore[type-arg]
    return check_pictures(video, plan, lambda layer: layer_source(layer, assets), ffmpeg_executable(), moving)


def test_decode_argv_reads_the_chosen_frames_as_bt709() -> None:
    argv = decode_argv(Path("v.mp4"), [3, 40])
    line = " ".join(argv)
    assert "select=eq(n\\,3)+eq(n\\,40)" in line and "in_color_matrix=bt709" in line and "-pix_fmt rgb24" in line
    assert "flags=accurate_rnd+full_chroma_int" in line
    run = decode_argv(Path("v.mp4"), [*range(5, 300), 301])  # ffmpeg parses at most 100 terms
    assert "select=between(n\\,5\\,299)+eq(n\\,301)" in " ".join(run)


@pytest.mark.parametrize("colour", [(220, 30, 30), (20, 40, 235), (20, 200, 40), (250, 220, 10)])
def test_the_checks_read_a_saturated_colour_as_the_encoder_stored_it(tmp_path: Path, colour: tuple[int, ...]) -> None:
    """The checks' decoder adds no error of its own: a flat frame reads back as its exact BT.709 round trip."""
    plan = ShotPlan.model_construct(size=(64, 64), fps=30, frames=2)
    frame = to_video(Image.new("RGB", plan.size, colour))
    video = _encode([frame, frame], plan, tmp_path / "flat.mp4")
    decoded = decode_frames(video, [1], plan.size, ffmpeg_executable())[1].astype(int)
    exact = np.asarray(to_rgb(frame), dtype=int)
    assert np.abs(decoded - exact).max() <= 1, (decoded.reshape(-1, 3).mean(axis=0), exact[0, 0])


def test_every_rendered_video_reports_how_close_its_product_and_mascot_are(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    catalog = write_catalog([product_row("A"), product_row("B", image_link="images/serum-aqua.png")])
    options = RunOptions(template_id="still", templates_root=templates_root)
    report = run_batch(catalog, LocalStore(tmp_path / "out"), options)
    assert report.exit_code == 0
    for line in (tmp_path / "out" / "manifest.jsonl").read_text().splitlines():
        fidelity = json.loads(line)["fidelity"]
        assert set(fidelity) == {"product", "mascot"}
        assert all(0 < error <= FIDELITY_ERROR for error in fidelity.values())  # lossy, but within the limit


def test_a_video_encoded_with_the_wrong_colour_matrix_fails_product_fidelity(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    plan, assets = _still(write_catalog, templates_root)
    frames = list(Compositor.render(plan, DraftRenderer(), assets, colour="video").frames())
    good = _encode(frames, plan, tmp_path / "good.mp4")
    checks = _check(good, plan, assets)
    assert {c.kind for c in checks} == {"product", "mascot"} and all(c.passed for c in checks)
    # The same frames through ffmpeg's default conversion (BT.601, untagged), as players read HD video.
    bad = tmp_path / "bt601.mp4"
    raw = b"".join(to_rgb(frame).tobytes() for frame in frames)
    subprocess.run(
        [ffmpeg_executable(), "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{plan.size[0]}x{plan.size[1]}",
         "-r", str(plan.fps), "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(bad)],
        input=raw, check=True,
    )  # fmt: skip
    with pytest.raises(RenderError, match=r"qc: product fidelity failed: .*colour cast") as caught:
        _check(bad, plan, assets)
    assert isinstance(caught.value.context["frame"], int) and "frame " in str(caught.value)


def test_over_a_generated_clip_a_product_is_checked_on_every_frame_it_rests(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    still, assets = _still(write_catalog, templates_root)
    plan = scale_plan(still, 0.25)
    table = plan.shots[0]  # the product and mascot enter, then rest until its end
    clip = [Image.new("RGB", plan.size, (8 * n, 90, 240 - 8 * n)) for n in range(table.frames)]
    compositor = Compositor.render(plan, DraftRenderer(), assets, colour="video").with_clips({table.id: clip})
    frames = list(compositor.frames())
    fast = EncodeSettings(preset="ultrafast")
    moving = frozenset({table.id})
    images = [layer for layer in table.layers if isinstance(layer, ImagePlacement)]
    resting = [
        (layer.kind, table.start + n)
        for layer in images
        for n in range(table.transition_in.frames if table.transition_in else 0, layer.motion.leaves(table.frames))
        if layer_rect(table, layer, n, plan.size)[1] == 1.0
    ]
    checks = _check(_encode(frames, plan, tmp_path / "good.mp4", fast), plan, assets, moving)
    assert all(c.passed for c in checks)
    assert [(c.kind, c.frame) for c in checks if c.shot == table.id] == resting and len(resting) > 2 * len(images)
    # The product painted over in one frame amid its rest, not the last one before it leaves.
    (product,) = [layer for layer in images if layer.kind == "product"]
    local = (settled_frame(table) + product.motion.leaves(table.frames) - 1) // 2
    (x, y, w, h), _ = layer_rect(table, product, local, plan.size)
    damaged = to_rgb(frames[table.start + local])
    ImageDraw.Draw(damaged).rectangle((x, y, x + w, y + h), fill=(40, 200, 90))
    frames[table.start + local] = to_video(damaged)
    bad = _encode(frames, plan, tmp_path / "bad.mp4", fast)
    with pytest.raises(RenderError, match="qc: product fidelity failed") as caught:
        _check(bad, plan, assets, moving)
    assert caught.value.context["frame"] == table.start + local and f"frame {table.start + local}" in str(caught.value)
    once = _check(bad, plan, assets)  # not moving: each layer sampled in its last frame at rest, the damage unseen
    last = [table.start + layer.motion.leaves(table.frames) - 1 for layer in images]
    assert all(c.passed for c in once) and [c.frame for c in once if c.shot == table.id] == last


def test_a_product_away_from_its_planned_place_fails(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    plan, assets = _still(write_catalog, templates_root)
    video = _rendered(plan, assets, tmp_path / "v.mp4")
    shots = []
    for shot in plan.shots:
        layers = tuple(
            layer.model_copy(update={"box": (layer.box[0] + 24, *layer.box[1:])})
            if isinstance(layer, ImagePlacement) and layer.kind == "product" else layer
            for layer in shot.layers
        )  # fmt: skip
        shots.append(shot.model_copy(update={"layers": layers}))
    moved = plan.model_copy(update={"shots": tuple(shots)})
    with pytest.raises(RenderError, match="qc: product fidelity failed"):
        _check(video, moved, assets)


def test_a_shot_whose_plan_moves_but_whose_frames_do_not_is_frozen(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    plan, assets = _still(write_catalog, templates_root)
    frames = list(Compositor.render(plan, DraftRenderer(), assets, colour="video").frames())
    table = plan.shots[0]  # a push-in: every frame differs from the one before
    assert not np.array_equal(np.asarray(frames[0]), np.asarray(frames[table.frames - 1]))
    stuck = [frames[0]] * table.frames + frames[table.frames :]
    with pytest.raises(RenderError, match="qc: the shot is frozen") as caught:
        _check(_encode(stuck, plan, tmp_path / "v.mp4"), plan, assets)
    assert str(caught.value).startswith("shot table: qc: the shot is frozen")


def test_a_video_that_cannot_be_decoded_fails_its_check_with_ffmpegs_words(
    write_catalog: WriteCatalog, templates_root: Path, tmp_path: Path
) -> None:
    plan, assets = _still(write_catalog, templates_root)
    video = _rendered(plan, assets, tmp_path / "v.mp4")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(video.read_bytes()[: video.stat().st_size // 2])  # the frames' index (moov) is at the front
    with pytest.raises(EncodeError, match=r"qc: decoding \d+ frames for checking failed") as caught:
        _check(cut, plan, assets)
    assert caught.value.stderr_tail
