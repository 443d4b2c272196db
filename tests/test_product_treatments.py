"""Product treatments measured on real encoded frames: a reflection below the foot, a zoom to a detail,
a slow turn; each product still passing picture QC at its planned transform.

Plans are built directly on a small canvas over a flat dark keyframe; the product is a bright,
smoothly patterned opaque card (edges a flat colour), so its pixels, their mirror image and its
bounding box can be measured on decoded frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from generator.core.errors import TemplateError
from generator.core.identity import file_sha256
from generator.core.images import AssetResolver, Cutout
from generator.orchestration.studio.forms import apply_edit, form_data, offered_fields
from generator.planning.catalog import load_catalog
from generator.planning.plan.camera import camera_move
from generator.planning.plan.compile import compile_plan
from generator.planning.plan.effects import Easing, Motion
from generator.planning.plan.timeline import footprint_rect, is_pinnable, layer_rect
from generator.planning.plan.treatments import SHADOW_RATE, TURN_DEPTH, Reflection, Treatment, Turn, Zoom, shadow_at
from generator.planning.plan.types import AssetRef, BackgroundSpec, ImagePlacement, PlannedShot, ShotPlan
from generator.planning.templates import load_template, template_schema
from render.backends import KeyframeRequest
from render.colour import pack_420
from render.compose import Compositor, keyframe_requests, layer_source
from render.compose.device import DeviceCompositor
from render.compose.sprites import shot_sprites
from render.encode import EncodeSettings, encode_argv, encode_video, ffmpeg_executable
from render.qc import check_pictures, decode_frames
from tests.conftest import VOICES, product_row

SIZE = (160, 160)
BACKDROP = 20  # grey level of the keyframe
CARD = (40, 48)  # the product's pixels: width, height
EDGE = 4  # columns at each side of the card in one flat colour


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA device")


class Backdrop:
    """A ``Renderer`` whose every keyframe is a flat dark grey."""

    name = "backdrop"
    identity = "backdrop-1"
    cacheable = False
    roles = frozenset({"scene"})

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        return [Image.new("RGB", SIZE, (BACKDROP,) * 3) for _ in requests]


@pytest.fixture
def card(tmp_path: Path) -> tuple[AssetResolver, AssetRef]:
    """A bright opaque card: red across, green down, a soft blue ripple, its side columns flat."""
    w, h = CARD
    ys, xs = np.indices((h, w)) + 0.5
    pixels = np.empty((h, w, 4), np.float64)
    pixels[..., 0] = 140 + 110 * xs / w
    pixels[..., 1] = 130 + 120 * ys / h
    pixels[..., 2] = 180 + 60 * np.sin(2 * np.pi * xs / 17) * np.cos(2 * np.pi * ys / 13)
    pixels[..., 3] = 255
    pixels[:, :EDGE, :3] = pixels[:, -EDGE:, :3] = 235
    Image.fromarray(np.round(pixels).astype(np.uint8), "RGBA").save(tmp_path / "card.png")
    ref = AssetRef(source="catalog:card.png", sha256=file_sha256(tmp_path / "card.png"))
    return AssetResolver({"catalog": tmp_path}), ref


def _layer(ref: AssetRef, box: tuple[float, float, float, float], treatment: Treatment, frames: int,
           shadow: bool = False) -> ImagePlacement:  # fmt: skip
    motion = Motion(enter="none", start=0, frames=0, ease="linear", exit="none", exit_start=frames, exit_frames=0,
                    exit_ease="linear")  # fmt: skip
    return ImagePlacement(kind="product", field="shots[0].product", ref=ref, crop=(0, 0, *CARD), box=box,
                          shadow=shadow, motion=motion, treatment=treatment)  # fmt: skip


def _plan(layer: ImagePlacement, frames: int, move: str = "none", amount: float = 0.0) -> ShotPlan:
    background = BackgroundSpec(prompt="p", negative="", palette=("#000000",) * 2, accent="#000000", seed=0,
                                scene_size=SIZE)  # fmt: skip
    shot = PlannedShot(id="s", start=0, frames=frames, seed=0, background=background, layers=(layer,),
                       transition_in=None, camera=camera_move(move, amount, "linear", 1.6))  # fmt: skip
    return ShotPlan(plan_version=8, template={"id": "t", "version": 1}, product={"sku": "T"}, aspect="1:1", size=SIZE,
                    safe_area=(0.0, 0.0, *map(float, SIZE)), fps=30, frames=frames, poster_frame=frames - 1,
                    shots=(shot,), audio=None)  # fmt: skip


def _video(plan: ShotPlan, assets: AssetResolver, path: Path) -> dict[int, np.ndarray]:
    """Every frame of ``plan`` composited, encoded (ultrafast) and decoded; picture QC must pass on the file."""
    frames = Compositor.render(plan, Backdrop(), assets, colour="video").frames()
    argv = encode_argv(path, size=SIZE, fps=plan.fps, frames=plan.frames, audio=None, executable=ffmpeg_executable(),
                       settings=EncodeSettings(preset="ultrafast", crf=12))  # fmt: skip
    encode_video(frames, argv, size=SIZE)
    checks = check_pictures(path, plan, lambda layer: layer_source(layer, assets), ffmpeg_executable())
    assert checks and all(check.passed for check in checks), checks
    return decode_frames(path, range(plan.frames), SIZE, ffmpeg_executable())


def _reference(assets: AssetResolver, ref: AssetRef) -> Image.Image:
    return assets.image(ref.source, ref.sha256, Cutout(ref.cutout, None)).convert("RGB")


# Reflection -----------------------------------------------------------------------------------------


def test_rows_below_the_foot_mirror_the_rows_above_it_fading_with_distance_under_a_parallax_move(
    card: tuple[AssetResolver, AssetRef], tmp_path: Path
) -> None:
    assets, ref = card
    reflection = Reflection(opacity=0.6, fade=0.5, gap=0.0)
    layer = _layer(ref, (40.0, 20.0, 60.0, 72.0), Treatment(reflection=reflection), 8, shadow=True)
    plan = _plan(layer, 8, move="parallax-left", amount=0.1)
    frame = _video(plan, assets, tmp_path / "reflection.mp4")[7].astype(np.float64) - BACKDROP
    (x, y, w, h), _ = layer_rect(plan.shots[0], layer, 7, SIZE)  # where the parallax carried the product
    foot, columns = y + h, slice(round(x) + 2, round(x + w) - 2)
    rows = np.arange(round(foot) + 1, round(foot + 0.4 * reflection.fade * h))  # leaving the faint tail
    distance = rows + 0.5 - foot
    mirrored = foot - distance - 0.5  # the row (fractional) each one mirrors
    low = np.floor(mirrored).astype(int)
    share = (mirrored - low)[:, None, None]
    above = (1 - share) * frame[low, columns] + share * frame[low + 1, columns]
    below = frame[rows, columns]
    for a, b in zip(above, below):  # each row below has the pattern of its mirror row above
        assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.95
    gains = [float((b * a).sum() / (a * a).sum()) for a, b in zip(above, below)]  # least squares, row by row
    expected = reflection.opacity * (1 - distance / (reflection.fade * h))
    assert np.abs(np.array(gains) - expected).max() < 0.05
    assert np.abs(frame[round(foot + reflection.fade * h) + 2 :, columns]).mean() < 2  # faded out to the floor


def test_a_reflection_reaches_into_the_footprint_and_is_pinned_with_the_product(
    card: tuple[AssetResolver, AssetRef],
) -> None:
    assets, ref = card
    layer = _layer(ref, (40.0, 20.0, 60.0, 72.0), Treatment(reflection=Reflection(opacity=0.5, fade=0.4, gap=0.1)), 8)
    plan = _plan(layer, 8)
    shot = plan.shots[0]
    assert footprint_rect(shot, layer, 0, SIZE)[0] == (40.0, 20.0, 60.0, 72.0 * 1.5)  # what lint's safe zone sees
    assert is_pinnable(shot, layer)
    (request,) = keyframe_requests(plan, assets, frozenset({"scene", "pin"}))
    pinned = np.asarray(request.pinned[0].load())
    foot, end = 20 + 72 * 1.1, 20 + 72 * 1.5  # past the gap, down to where it has faded out
    assert pinned[round(foot) + 1, 50:90, 3].min() > 0 and pinned[round(end) + 1 :, :, 3].max() == 0
    source = lambda layer: layer_source(layer, assets)  # noqa: E731
    assert len(shot_sprites(shot, source, pinning=True)) == 1  # pinned: neither its shadow nor its reflection again
    assert len(shot_sprites(shot, source, pinning=False)) == 2


# Zoom -----------------------------------------------------------------------------------------------


def _error(decoded: np.ndarray, box: tuple[int, int, int, int], expected: Image.Image) -> float:
    """Mean absolute difference of ``decoded`` in ``box`` (x, y, w, h) from ``expected``, leaving a 2-pixel rim."""
    x, y, w, h = box
    region = decoded[y : y + h, x : x + w].astype(np.float64)
    return float(np.abs(region - np.asarray(expected.resize((w, h), Image.Resampling.BILINEAR)))[2:-2, 2:-2].mean())


def test_a_zoom_ends_on_the_detail_resampled_into_the_box_and_passes_between_halfway(
    card: tuple[AssetResolver, AssetRef], tmp_path: Path
) -> None:
    assets, ref = card
    zoom = Zoom(to=(0.25, 0.25, 0.5, 0.5), scale=1.0, ease=Easing.LINEAR)
    box = (40.0, 32.0, 80.0, 96.0)
    layer = _layer(ref, box, Treatment(zoom=zoom), 13)
    frames = _video(_plan(layer, 13), assets, tmp_path / "zoom.mp4")
    reference = _reference(assets, ref)
    whole = reference.crop((0, 0, *CARD))
    detail = reference.crop((10, 12, 30, 36))  # the detail's pixels: [0.25, 0.25, 0.5, 0.5] of 40 x 48
    pixels = (40, 32, 80, 96)
    assert _error(frames[0], pixels, whole) < 3
    assert _error(frames[12], pixels, detail) < 3 < _error(frames[12], pixels, whole)
    outside = np.concatenate([frames[12][:, :38].ravel(), frames[12][:, 122:].ravel(), frames[12][:30].ravel()])
    assert np.abs(outside.astype(np.float64) - BACKDROP).mean() < 2  # the magnified image is cut at the box
    # halfway: the plan's crop, a 1/sqrt(2) of the image, unlike either end
    (ix, iy, iw, ih), window = zoom.at(box, 0.5)
    crop = ((box[0] - ix) / iw * CARD[0], (box[1] - iy) / ih * CARD[1], box[2] / iw * CARD[0], box[3] / ih * CARD[1])
    assert crop[2] == pytest.approx(CARD[0] / 2**0.5) and window == box
    middle = reference.crop((crop[0], crop[1], crop[0] + crop[2], crop[1] + crop[3]))
    assert _error(frames[6], pixels, middle) < 3 < min(_error(frames[6], pixels, e) for e in (whole, detail))


def test_a_zoom_that_grows_its_box_keeps_the_product_inside_the_growing_window(
    card: tuple[AssetResolver, AssetRef], tmp_path: Path
) -> None:
    assets, ref = card
    layer = _layer(ref, (50.0, 40.0, 60.0, 72.0), Treatment(zoom=Zoom(to=(0, 0, 1, 1), scale=1.5, ease="linear")), 9)
    frames = _video(_plan(layer, 9), assets, tmp_path / "grow.mp4")
    (x, y, w, h), _ = layer_rect(_plan(layer, 9).shots[0], layer, 8, SIZE)
    assert (w, h) == pytest.approx((90.0, 108.0))
    lit = np.argwhere(frames[8].mean(axis=2) > 80)
    assert np.allclose(lit.min(axis=0), (y, x), atol=1) and np.allclose(lit.max(axis=0) + 1, (y + h, x + w), atol=1)


# Turn -----------------------------------------------------------------------------------------------


def test_a_turning_product_follows_its_planned_rect_on_every_decoded_frame(
    card: tuple[AssetResolver, AssetRef], tmp_path: Path
) -> None:
    assets, ref = card
    turn = Turn(angle=30.0, direction="left", ease=Easing.LINEAR)
    treatment = Treatment(turn=turn, reflection=Reflection(opacity=0.5, fade=0.3, gap=0.0))
    layer = _layer(ref, (50.0, 30.0, 60.0, 72.0), treatment, 12, shadow=True)
    plan = _plan(layer, 12)
    shot = plan.shots[0]
    assert not is_pinnable(shot, layer)
    frames = _video(plan, assets, tmp_path / "turn.mp4")
    centres = []
    for n in range(12):
        (x, y, w, h), _ = layer_rect(shot, layer, n, SIZE)
        rows = frames[n][round(y + 0.2 * h) : round(y + 0.7 * h)].astype(np.float64).mean(axis=(0, 2))
        lit = np.flatnonzero((rows - BACKDROP) / (235 - BACKDROP) >= 0.5)  # columns half covered or more
        assert abs(lit[0] - x) <= 1 and abs(lit[-1] + 1 - (x + w)) <= 1, (n, lit[0], lit[-1] + 1, x, x + w)
        # its reflection, just below the foot, turns with it
        mirrored = frames[n][round(y + h) + 1].astype(np.float64).mean(axis=1) - BACKDROP
        shown = np.flatnonzero(mirrored > 0.25 * mirrored.max())
        assert abs(shown[0] - x) <= 1.5 and abs(shown[-1] + 1 - (x + w)) <= 1.5
        centres.append(x + w / 2)
    (x, _, w, _), _ = layer_rect(shot, layer, 11, SIZE)
    assert w == pytest.approx(60 * np.cos(np.radians(30)))  # narrowed by cos 30°...
    assert centres[0] - centres[-1] == pytest.approx(
        60 * TURN_DEPTH * np.sin(np.radians(30))
    )  # ...its face carried left


def test_a_turns_shadow_travels_a_share_of_the_product_and_the_backdrop_stays() -> None:
    turn = Turn(angle=20.0, direction="right", ease=Easing.EASE_IN_OUT)
    motion = Motion(enter="pop", start=2, frames=4, ease="linear", exit="fade", exit_start=20, exit_frames=4,
                    exit_ease="linear")  # fmt: skip
    box, band = (10.0, 10.0, 50.0, 80.0), (10.0, 80.0, 50.0, 15.0)
    layer = ImagePlacement(kind="product", field="f", ref=AssetRef(source="s", sha256="0"), crop=(0, 0, 1, 1), box=box,
                           shadow=True, motion=motion, treatment=Treatment(turn=turn))  # fmt: skip
    plan = _plan(layer, 24)
    rects = [layer_rect(plan.shots[0], layer, n, SIZE)[0] for n in range(24)]
    assert rects[5] == box and rects[19][0] > box[0]  # it rests before it turns; it turned right when it leaves
    travel = rects[19][0] + rects[19][2] / 2 - (box[0] + box[2] / 2)
    shadow = shadow_at(band, box, layer.treatment, motion, 24, 19)
    assert shadow[0] - band[0] == pytest.approx(SHADOW_RATE * travel) and 0 < SHADOW_RATE < 1
    assert rects[19] == rects[23] or rects[23][3] == rects[19][3]  # the exit fades: held at its end


# The template language ------------------------------------------------------------------------------

TEMPLATE = """\
id: treated
version: 1
vertical: test
canvas: {fps: 30, aspects: ["1:1"]}
shots:
  - id: hero
    duration: 1.0
    background: {prompt: "studio"}
    product:
      box: center
      enter_duration: 0.2
PRODUCT
"""


def _template(tmp_path: Path, product: str) -> Path:
    path = tmp_path / "templates" / "treated.yaml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(TEMPLATE.replace("PRODUCT", product), encoding="utf-8")
    return path


def test_a_template_plans_each_treatment_with_its_written_defaults(
    tmp_path: Path, write_catalog: object, templates_root: Path
) -> None:
    path = _template(tmp_path, "      reflection: {}\n      turn: {angle: 20}\n")
    catalog = load_catalog(write_catalog([product_row("A")]))  # type: ignore[operator]
    plan = compile_plan(load_template(path), catalog.products[0], "1:1", templates_root, VOICES)
    (layer,) = [layer for layer in plan.shots[0].layers if isinstance(layer, ImagePlacement)]
    assert layer.treatment == Treatment(
        reflection=Reflection(opacity=0.35, fade=0.5, gap=0.0),
        turn=Turn(angle=20, direction="left", ease="ease-in-out"),
    )
    zoomed = _template(tmp_path, "      zoom: {to: [0.5, 0.1, 0.4, 0.2]}\n")
    plan = compile_plan(load_template(zoomed), catalog.products[0], "1:1", templates_root, VOICES)
    zoom = plan.shots[0].layers[0].treatment.zoom  # type: ignore[union-attr]
    assert zoom is not None and zoom.to == (0.5, 0.0, 0.4, 0.4)  # widened to the box's shape, kept inside the image
    properties = template_schema()["$defs"]["ProductLayer"]["properties"]
    assert all(properties[name]["description"] for name in ("reflection", "zoom", "turn"))


@pytest.mark.parametrize(
    ("product", "message", "line"),
    [
        ("      zoom: {to: [0.2, 0.2, 0.3, 0.3]}\n      turn: {}\n", "cannot zoom and turn", 13),
        ("      zoom: {to: [0.2, 0.2, 0.3, 0.3]}\n      reflection: {}\n", "has no reflection", 13),
        ("      turn: {}\n", "too short for its turn", 12),
        ("      zoom: {to: [0.8, 0.2, 0.3, 0.3]}\n", "must lie within the image", 12),
        ("      turn: {angle: 45}\n", "at most 30", 12),
    ],
)
def test_a_treatment_that_cannot_play_is_an_error_at_its_line(
    tmp_path: Path, product: str, message: str, line: int
) -> None:
    text = TEMPLATE.replace("PRODUCT", product)
    if message.startswith("too short"):  # the entrance takes all but one frame of the shot
        text = text.replace("enter_duration: 0.2", "enter_duration: 0.9666666666666667")
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError, match=message) as raised:
        load_template(path)
    assert raised.value.context.get("line") == line, raised.value.context


def test_turning_the_other_way_mirrors_the_travel_and_a_zoom_starts_on_the_whole_image() -> None:
    box = (0.0, 0.0, 40.0, 40.0)
    left, right = (Turn(angle=10, direction=d, ease="linear").at(1.0, box[2]) for d in ("left", "right"))
    assert left[0] == right[0] < 1 and left[1] == -right[1] < 0
    assert Zoom(to=(0.2, 0.3, 0.5, 0.5), scale=1.0, ease="linear").at(box, 0.0) == (box, box)


def test_the_form_offers_a_products_reflection_and_turn_only_in_shots_with_a_product(tmp_path: Path) -> None:
    text = TEMPLATE.replace("PRODUCT", "") + '  - id: plain\n    duration: 1.0\n    background: {prompt: "studio"}\n'
    offered = {".".join(map(str, o["path"])): o["default"] for o in offered_fields(form_data(text))}
    assert offered["shots.0.product.reflection.opacity"] == 0.35 and offered["shots.0.product.turn.angle"] == 12.0
    assert not any(path.startswith("shots.1.product") for path in offered)
    edited = apply_edit(text, {"op": "set", "path": ["shots", 0, "product", "reflection", "fade"], "value": 0.3})
    path = tmp_path / "edited.yaml"
    path.write_text(edited, encoding="utf-8")
    layer = load_template(path).spec.shots[0].product
    assert layer is not None and layer.reflection is not None and layer.reflection.fade == 0.3


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=cuda)])
def test_a_zoom_and_a_turn_drawn_by_torch_are_the_cpu_compositors_within_two_levels(
    card: tuple[AssetResolver, AssetRef], device: str
) -> None:
    assets, ref = card
    zoom = Treatment(zoom=Zoom(to=(0.25, 0.25, 0.5, 0.5), scale=1.2, ease=Easing.LINEAR))
    turn = Treatment(turn=Turn(angle=30.0, direction="right", ease=Easing.LINEAR), reflection=Reflection(
        opacity=0.5, fade=0.5, gap=0.0))  # fmt: skip
    for treatment in (zoom, turn):
        plan = _plan(_layer(ref, (40.0, 20.0, 60.0, 72.0), treatment, 6, shadow=True), 6, "push-in", 0.05)
        compositor = Compositor.render(plan, Backdrop(), assets, colour="video")
        drawn = [frame.packed() for frame in DeviceCompositor(compositor, device).video_frames()]
        expected = [pack_420(frame) for frame in compositor.frames()]
        for a, b in zip(drawn, expected, strict=True):
            difference = np.abs(a.astype(int) - b)
            assert difference.max() <= 2 and difference.mean() < 0.1
