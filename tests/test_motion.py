"""Motion measured on real composited frames: easing curves, the camera (push, pans, parallax),
entrances and exits, transitions, frame reuse and determinism.

Plans are built directly on a small canvas; keyframes come from a ``Renderer`` that shows given
images, and the product is a dark square with a bright Gaussian blob, so its position can be
tracked to a hundredth of a pixel by the intensity-weighted centroid.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from generator.core.errors import RenderError
from generator.core.identity import file_sha256
from generator.core.images import AssetResolver, Cutout
from generator.planning.plan.camera import CameraView, Pan, Parallax, Pull, Push, Still, camera_move
from generator.planning.plan.effects import LAYER_MOVES, POP_FROM, Appear, Easing, Fade, Motion, Pop, Slide
from generator.planning.plan.timeline import is_pinnable, layer_rect, settled_frame
from generator.planning.plan.transitions import Crossfade, SlideOver, Transition, Wipe, Zoom, transition
from generator.planning.plan.types import AssetRef, BackgroundSpec, ImagePlacement, PlannedShot, ShotPlan, TextPlacement
from render.backends import KeyframeRequest
from render.colour import to_video
from render.compose import Compositor, layer_pixels, layer_source
from render.encode import encode_argv, encode_video, ffmpeg_executable
from render.qc import LayerCheck, check_pictures

SIZE = (320, 320)
SMOOTH = 0.05  # px: largest change of a frame's displacement from the mean of its neighbours'
Box = tuple[float, float, float, float]


class Backdrops:
    """A ``Renderer`` showing ``images[i]`` as the keyframe of the shot whose background seed is ``i``."""

    name = "backdrops"
    identity = "backdrops-1"
    cacheable = False
    roles = frozenset({"scene"})

    def __init__(self, images: Sequence[Image.Image]) -> None:
        self.images = images

    def render(self, requests: Sequence[KeyframeRequest]) -> list[Image.Image]:
        return [self.images[request.seed] for request in requests]


def _blob(center: tuple[float, float], size: tuple[int, int] = SIZE, sigma: float = 4.0, floor: int = 0) -> Image.Image:
    """A grey image of level ``floor`` with a bright Gaussian blob centred at ``center`` (pixel coordinates)."""
    ys, xs = np.indices(size[::-1]) + 0.5
    level = floor + (255 - floor) * np.exp(-((xs - center[0]) ** 2 + (ys - center[1]) ** 2) / (2 * sigma**2))
    return Image.fromarray(np.round(level).astype(np.uint8)).convert("RGB")


def _flat(level: int) -> Image.Image:
    return Image.new("RGB", SIZE, (level, level, level))


def _centroid(frame: Image.Image, window: Box | None = None) -> tuple[float, float]:
    """Intensity-weighted centroid (pixel coordinates) of ``frame`` in ``window`` (x0, y0, x1, y1)."""
    x0, y0, x1, y1 = (int(v) for v in (window or (0, 0, *frame.size)))
    values = np.asarray(frame, dtype=np.float64)[y0:y1, x0:x1, 0]
    ys, xs = np.indices(values.shape) + 0.5
    total = values.sum()
    return (float((xs * values).sum() / total) + x0, float((ys * values).sum() / total) + y0)


def _jerk(points: Sequence[tuple[float, float]]) -> float:
    """max_i |d_i - (d_{i-1} + d_{i+1}) / 2|, d_i the displacement from point i to point i + 1."""
    p = np.asarray(points)
    d = np.diff(p, axis=0)
    return float(np.linalg.norm(d[1:-1] - (d[:-2] + d[2:]) / 2, axis=1).max())


def _travel(points: Sequence[tuple[float, float]]) -> float:
    return float(np.linalg.norm(np.asarray(points[-1]) - np.asarray(points[0])))


@pytest.fixture
def product(tmp_path: Path) -> tuple[AssetResolver, AssetRef]:
    """A 32x32 opaque dark square with a bright blob in its middle, as a catalog image."""
    square = _blob((16, 16), size=(32, 32)).convert("RGBA")
    square.save(tmp_path / "product.png")
    ref = AssetRef(source="catalog:product.png", sha256=file_sha256(tmp_path / "product.png"))
    return AssetResolver({"catalog": tmp_path}), ref


def _motion(shot_frames: int, enter: str = "none", frames: int = 0, ease: str = "linear", start: int = 0,
            exit: str = "none", exit_frames: int = 0, exit_ease: str = "linear") -> Motion:  # fmt: skip
    return Motion(enter=enter, start=start, frames=frames, ease=ease, exit=exit, exit_start=shot_frames - exit_frames,
                  exit_frames=exit_frames, exit_ease=exit_ease)  # fmt: skip


def _layer(ref: AssetRef, box: Box, motion: Motion) -> ImagePlacement:
    return ImagePlacement(
        kind="product", field="shots[0].product", ref=ref, crop=(0, 0, 32, 32), box=box, shadow=False, motion=motion
    )


def _shot(frames: int, *layers: ImagePlacement | TextPlacement, move: str = "none", amount: float = 0.0,
          camera_ease: str = "ease-in-out", depth: float = 1.6, transition: Transition | None = None) -> PlannedShot:  # fmt: skip
    background = BackgroundSpec(
        prompt="p", negative="", palette=("#000000", "#000000"), accent="#000000", seed=0, scene_size=SIZE
    )
    return PlannedShot(
        id="s", start=0, frames=frames, seed=0, background=background, layers=layers, transition_in=transition,
        camera=camera_move(move, amount, camera_ease, depth),
    )  # fmt: skip


def _plan(*shots: PlannedShot) -> ShotPlan:
    """``shots`` one after another; shot ``i`` shows keyframe ``i``."""
    placed, start = [], 0
    for index, shot in enumerate(shots):
        background = shot.background.model_copy(update={"seed": index})
        placed.append(shot.model_copy(update={"id": f"s{index}", "start": start, "background": background}))
        start += shot.frames
    return ShotPlan(
        plan_version=3, template={"id": "motion", "version": 1}, product={"sku": "T"}, aspect="1:1", size=SIZE,
        safe_area=(0.0, 0.0, *map(float, SIZE)), fps=30, frames=start, poster_frame=0, shots=tuple(placed), audio=None,
    )  # fmt: skip


def _view(shot: PlannedShot, frame: int) -> CameraView:
    return shot.camera.view(frame, shot.frames, SIZE)


def _frames(
    plan: ShotPlan, keyframes: Sequence[Image.Image], assets: AssetResolver | None = None, workers: int = 2
) -> list[Image.Image]:
    return list(Compositor.render(plan, Backdrops(keyframes), assets or AssetResolver({})).frames(workers))


# Easing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("easing", list(Easing))
def test_each_easing_runs_from_0_to_1_and_only_ease_out_back_overshoots(easing: Easing) -> None:
    curve = easing.curve
    assert curve(0.0) == pytest.approx(0.0, abs=1e-12) and curve(1.0) == pytest.approx(1.0, abs=1e-12)
    assert easing.apply(0.0) == 0.0 and easing.apply(1.0) == 1.0
    assert easing.apply(-0.5) == 0.0 and easing.apply(1.5) == 1.0
    values = np.array([curve(t) for t in np.linspace(0, 1, 401)])
    if easing is Easing.EASE_OUT_BACK:
        assert values.max() > 1.05 and values.min() >= -1e-12
    else:
        assert np.all(np.diff(values) >= 0) and values.max() <= 1.0


def test_ease_in_out_is_the_sine_curve_the_camera_always_used() -> None:
    for t in np.linspace(0, 1, 11):
        assert Easing.EASE_IN_OUT.apply(float(t)) == pytest.approx(0.5 - 0.5 * math.cos(math.pi * t), abs=1e-15)


# The camera -----------------------------------------------------------------------------------------


def _snapped(keyframe: Image.Image, views: Sequence[CameraView]) -> list[Image.Image]:
    """``keyframe`` through each view with its crop box snapped to whole pixels: the stepping the compositor avoids."""
    frames = []
    for view in views:
        left, top, right, bottom = (round(v) for v in view.box(SIZE))
        frames.append(keyframe.resize(SIZE, Image.Resampling.BILINEAR, box=(left, top, right, bottom)))
    return frames


@pytest.mark.parametrize(("move", "amount"), [("push-in", 0.03), ("pan-right", 0.03)])
def test_a_slow_camera_move_glides_without_stepping(move: str, amount: float) -> None:
    keyframe = _blob((270.0, 255.0))
    plan = _plan(_shot(60, move=move, amount=amount))
    frames = _frames(plan, [keyframe])
    track = [_centroid(frame) for frame in frames]
    assert _travel(track) > 4.0  # the blob really moves: 4.4 px for the push, 9.6 px for the pan
    assert _jerk(track) < SMOOTH
    # The same measurement catches a camera snapped to whole pixels.
    views = [_view(plan.shots[0], frame) for frame in range(60)]
    assert _jerk([_centroid(frame) for frame in _snapped(keyframe, views)]) > 4 * SMOOTH


def test_a_slow_slide_entrance_glides_without_stepping(product: tuple[AssetResolver, AssetRef]) -> None:
    assets, ref = product
    layer = _layer(
        ref, (40.0, 150.0, 32.0, 32.0), _motion(90, "slide-right", 90)
    )  # 0.8 px a frame, from past the left edge
    shot = _shot(90, layer)
    frames = _frames(_plan(shot), [_flat(0)], assets)
    rects = [layer_rect(shot, layer, n, SIZE)[0] for n in range(90)]
    shown = [n for n, rect in enumerate(rects) if rect[0] >= 0]
    assert len(shown) > 30
    track = [_centroid(frames[n]) for n in shown]
    assert all(abs(x - (rects[n][0] + 16)) < 0.03 and abs(y - 166) < 0.03 for n, (x, y) in zip(shown, track))
    assert _travel(track) > 20 and _jerk(track) < SMOOTH
    # Pasted at whole pixels, the same entrance steps.
    source = assets.image(ref.source, ref.sha256, Cutout("alpha"))
    snapped = []
    for n in shown:
        x, y, w, h = rects[n]
        image, origin = layer_pixels(layer, source, (float(round(x)), float(round(y)), w, h), SIZE) or pytest.fail(
            "off canvas"
        )
        canvas = _flat(0)
        canvas.paste(image, origin, image)
        snapped.append(_centroid(canvas))
    assert _jerk(snapped) > 4 * SMOOTH


@pytest.mark.parametrize("rect", [(40.3, 150.6, 32.0, 32.0), (40.3, 150.6, 57.5, 45.2), (40.3, 150.6, 21.7, 19.4)])
def test_a_layer_is_resampled_as_pillows_bilinear_resize_of_its_reference_at_any_scale(
    product: tuple[AssetResolver, AssetRef], rect: Box
) -> None:
    """Kept and enlarged layers go through OpenCV's warp, reduced ones through Pillow: both sample as Pillow does."""
    assets, ref = product
    layer = _layer(ref, rect, _motion(1))
    source = assets.image(ref.source, ref.sha256, Cutout("alpha"))
    image, origin = layer_pixels(layer, source, rect, SIZE) or pytest.fail("off canvas")
    x, y, w, h = rect
    padded = Image.new("RGBa", (40, 40), (0, 0, 0, 0))  # the reference with a 4-pixel transparent border
    padded.paste(source.convert("RGBa"), (4, 4))
    box = (4 + (origin[0] - x) * 32 / w, 4 + (origin[1] - y) * 32 / h)
    box += (box[0] + image.width * 32 / w, box[1] + image.height * 32 / h)
    expected = np.asarray(padded.resize(image.size, Image.Resampling.BILINEAR, box=box).convert("RGBA"), dtype=int)
    got = np.asarray(image, dtype=int)
    assert origin == (40, 150) and np.abs(got[..., 3] - expected[..., 3]).max() <= 1
    assert np.abs(got[..., :3] * got[..., 3:] - expected[..., :3] * expected[..., 3:]).max() <= 2 * 255


def test_parallax_moves_the_product_depth_times_as_far_as_the_background(
    product: tuple[AssetResolver, AssetRef],
) -> None:
    assets, ref = product
    layer = _layer(ref, (180.0, 180.0, 48.0, 48.0), _motion(40))
    shot = _shot(40, layer, move="parallax-left", amount=0.05, depth=2.0)
    first, *_, last = _frames(_plan(shot), [_blob((60.0, 60.0))], assets)
    background = (0, 0, 140, 120)
    foreground = (150, 160, 280, 260)
    moved_background = _centroid(last, background)[0] - _centroid(first, background)[0]
    moved_product = _centroid(last, foreground)[0] - _centroid(first, foreground)[0]
    assert moved_background == pytest.approx(0.05 * SIZE[0], abs=0.05)  # across the whole margin, rightwards
    assert moved_product / moved_background == pytest.approx(2.0, abs=0.01)
    assert not is_pinnable(shot, layer) and is_pinnable(_shot(40, layer, move="pan-left", amount=0.05), layer)


def test_text_stays_in_screen_space_under_every_camera_move() -> None:
    text = TextPlacement(
        field="shots[0].text[0]", text="Hi", lines=("Hi",), fonts=("DejaVu Sans",), lang="en", weight="bold", font_size=40,
        line_height=48, color="#ffffff", align="center", stroke=0, shadow=False, plate=None, box=(40.0, 250.0, 240.0, 50.0),
        motion=_motion(20),
    )  # fmt: skip
    for move in ("push-in", "pan-up", "parallax-right"):
        shot = _shot(20, move=move, amount=0.06)
        assert all(layer_rect(shot, text, frame, SIZE) == (text.box, 1.0) for frame in range(20))


@pytest.mark.parametrize(
    ("move", "direction"), [("pan-left", (1, 0)), ("pan-right", (-1, 0)), ("pan-up", (0, 1)), ("pan-down", (0, -1))]
)
def test_a_pan_moves_the_picture_against_the_way_the_camera_turns(move: str, direction: tuple[int, int]) -> None:
    first, *_, last = _frames(_plan(_shot(12, move=move, amount=0.05)), [_blob((160.0, 160.0))])
    (x0, y0), (x1, y1) = _centroid(first), _centroid(last)
    assert (x1 - x0, y1 - y0) == pytest.approx((16.0 * direction[0], 16.0 * direction[1]), abs=0.05)


def test_an_overshooting_easing_never_takes_the_camera_past_the_keyframe() -> None:
    shot = _shot(12, move="pan-left", amount=0.05, camera_ease="ease-out-back")
    views = [_view(shot, frame) for frame in range(12)]
    assert max(abs(view.dx) for view in views) == pytest.approx(0.025 * SIZE[0]) and views[-1] == views[-2] == views[-3]
    assert len(_frames(_plan(shot), [_blob((160.0, 160.0))])) == 12


def test_frames_past_the_end_of_a_shot_hold_its_last_view() -> None:
    shot = _shot(20, move="pull-out", amount=0.1, camera_ease="ease-out-cubic")
    assert _view(shot, 0) == CameraView(1.1) and _view(shot, 19) == CameraView()
    assert _view(shot, 25) == _view(shot, 19)


# Entrances and exits --------------------------------------------------------------------------------


def test_exits_fade_out_slide_off_and_pop_away(product: tuple[AssetResolver, AssetRef]) -> None:
    assets, ref = product
    fade = _layer(ref, (20.0, 40.0, 32.0, 32.0), _motion(30, exit="fade", exit_frames=10, exit_ease="ease-in-cubic"))
    slide = _layer(
        ref, (140.0, 40.0, 32.0, 32.0), _motion(30, exit="slide-left", exit_frames=10, exit_ease="ease-in-cubic")
    )
    pop = _layer(ref, (240.0, 40.0, 32.0, 32.0), _motion(30, exit="pop", exit_frames=10, exit_ease="ease-in-cubic"))
    shot = _shot(30, fade, slide, pop)
    frames = _frames(_plan(shot), [_flat(60)], assets)
    # Before the exits every layer rests; at the last frame every one is gone.
    assert all(layer_rect(shot, layer, 19, SIZE) == (layer.box, 1.0) for layer in (fade, slide, pop))
    assert layer_rect(shot, fade, 29, SIZE)[1] == 0.0
    (x, _, w, _), _ = layer_rect(shot, slide, 29, SIZE)
    assert x + w <= 1e-9
    (_, _, w, h), opacity = layer_rect(shot, pop, 29, SIZE)
    assert (w, h, opacity) == pytest.approx((0.6 * 32, 0.6 * 32, 0.0))
    assert np.array_equal(np.asarray(frames[29]), np.asarray(_flat(60)))
    # On the way: the fade thins, the slide accelerates leftwards, the pop shrinks about its centre.
    opacities = [layer_rect(shot, fade, n, SIZE)[1] for n in range(20, 30)]
    assert all(a > b for a, b in itertools.pairwise(opacities))
    xs = [layer_rect(shot, slide, n, SIZE)[0][0] for n in range(19, 30)]
    steps = np.diff(xs)
    assert np.all(steps < 0) and np.all(np.diff(steps) < 0)
    sizes = [layer_rect(shot, pop, n, SIZE)[0] for n in range(19, 30)]
    assert all(a[2] > b[2] and a[0] + a[2] / 2 == pytest.approx(256.0) for a, b in itertools.pairwise(sizes))
    frame = np.asarray(frames[25], dtype=np.int16)[:, :, 0]
    assert (frame[40:72, 20:52] != 60).any()  # the fading square still shows
    shown = np.nonzero((frame[30:82, 230:282] != 60).any(axis=0))[0]
    assert 0.6 * 32 < len(shown) < 32  # the pop is narrower than at rest


def test_a_resting_frame_is_reused_and_an_exit_is_not(product: tuple[AssetResolver, AssetRef]) -> None:
    assets, ref = product
    layer = _layer(ref, (100.0, 100.0, 32.0, 32.0), _motion(20, exit="fade", exit_frames=5))
    frames = _frames(_plan(_shot(20, layer)), [_flat(60)], assets)
    assert all(frame is frames[0] for frame in frames[:15])
    assert len({id(frame) for frame in frames[15:]}) == 5
    assert not is_pinnable(_shot(20, layer), layer)


def test_picture_qc_checks_a_product_before_its_exit_and_counts_the_exit_as_motion(
    product: tuple[AssetResolver, AssetRef], tmp_path: Path
) -> None:
    assets, ref = product
    layer = _layer(ref, (100.0, 100.0, 96.0, 96.0), _motion(30, exit="fade", exit_frames=10))
    plan = _plan(_shot(30, layer))
    frames = _frames(plan, [_flat(60)], assets)

    def check(frames: list[Image.Image], name: str) -> list[LayerCheck]:
        argv = encode_argv(tmp_path / name, size=SIZE, fps=30, frames=30, audio=None, executable=ffmpeg_executable())
        encode_video([to_video(frame) for frame in frames], argv, size=SIZE)
        return check_pictures(tmp_path / name, plan, lambda layer: layer_source(layer, assets), ffmpeg_executable())

    (sample,) = check(frames, "exit.mp4")
    assert sample.frame == 19 and sample.passed  # the last frame before the exit, not the empty last one
    with pytest.raises(RenderError, match="frozen"):
        check([frames[0]] * 30, "frozen.mp4")


# Transitions ----------------------------------------------------------------------------------------

BLEND = 6  # frames: the blend's progress goes in sevenths, so edges fall between pixels
MID = 3  # the blend frame checked, at progress 4/7


def _transition(
    kind: str, direction: str, outgoing: Image.Image, incoming: Image.Image
) -> tuple[list[Image.Image], int]:
    """Two 12-frame shots joined by a linear ``kind`` transition; the frames and the first one of the second shot."""
    joining = transition(kind, BLEND, direction, "linear")
    return _frames(_plan(_shot(12), _shot(12, transition=joining)), [outgoing, incoming]), 12


def _progress(index: int) -> float:
    return (index + 1) / (BLEND + 1)


def _levels(frame: Image.Image) -> np.ndarray:
    return np.asarray(frame, dtype=np.float64)[:, :, 0]


def _ends_approach_the_shots(
    frames: list[Image.Image], start: int, outgoing: Image.Image, incoming: Image.Image
) -> None:
    a, b = _levels(outgoing), _levels(incoming)
    first, last, mid = (_levels(frames[start + k]) for k in (0, BLEND - 1, MID))
    assert np.abs(first - a).mean() < np.abs(first - b).mean() and np.abs(last - b).mean() < np.abs(last - a).mean()
    assert np.abs(mid - a).max() > 20 and np.abs(mid - b).max() > 20
    assert np.array_equal(_levels(frames[start - 1]), a) and np.array_equal(_levels(frames[start + BLEND]), b)


def test_a_crossfade_mixes_the_shots_by_its_progress() -> None:
    frames, start = _transition("crossfade", "left", _flat(40), _flat(200))
    _ends_approach_the_shots(frames, start, _flat(40), _flat(200))
    p = _progress(MID)
    assert np.abs(_levels(frames[start + MID]) - (40 + 160 * p)).max() <= 1


# Where the blend's picture travels, per direction: (axis of a frame array, +1 along it, -1 against it).
_AXES = {"left": (1, -1), "right": (1, 1), "up": (0, -1), "down": (0, 1)}


@pytest.mark.parametrize("direction", sorted(_AXES))
def test_a_wipe_edge_sweeps_the_way_it_travels_and_reveals_the_incoming_shot_behind_it(direction: str) -> None:
    frames, start = _transition("wipe", direction, _flat(40), _flat(200))
    _ends_approach_the_shots(frames, start, _flat(40), _flat(200))
    axis, sign = _AXES[direction]
    cover = (_levels(frames[start + MID]) - 40) / 160  # 0: outgoing, 1: incoming
    profile = cover.mean(axis=1 - axis)[::sign]  # ordered from where the edge came from to where it goes
    assert np.all(np.diff(profile) <= 0) and profile[0] == 1 and profile[-1] == 0  # incoming behind the edge
    assert 1 <= np.count_nonzero((profile > 0) & (profile < 1)) <= 4  # a soft edge, a few pixels wide
    assert profile.sum() == pytest.approx(SIZE[0] * _progress(MID), abs=0.5)  # at its fractional place


@pytest.mark.parametrize("direction", sorted(_AXES))
def test_a_slide_brings_the_incoming_shot_in_from_the_opposite_side_at_sub_pixel_positions(direction: str) -> None:
    incoming = _blob((160.0, 160.0))
    frames, start = _transition("slide", direction, _flat(40), incoming)
    _ends_approach_the_shots(frames, start, _flat(40), incoming)
    axis, sign = _AXES[direction]
    offset = -sign * SIZE[0] * (1 - _progress(MID))  # where the incoming shot is, along the axis it travels
    mid = frames[start + MID]
    levels = _levels(mid)
    expected = [160.0, 160.0]
    expected[1 - axis] += offset  # centroid coordinates are (x, y); array axis 1 is x
    x, y = expected
    window = (x - 20, y - 20, x + 20, y + 20)
    assert _centroid(mid, window) == pytest.approx((x, y), abs=0.02)
    ahead = np.take(levels, 0 if sign < 0 else -1, axis=axis)  # the far side, where the incoming shot goes
    assert np.all(ahead == 40)  # the outgoing shot stays where the incoming one has not reached


def test_a_zoom_transition_enlarges_the_outgoing_shot_as_it_fades() -> None:
    outgoing = _blob((220.0, 220.0), sigma=5.0)
    frames, start = _transition("zoom", "left", outgoing, _flat(0))
    _ends_approach_the_shots(frames, start, outgoing, _flat(0))
    scale = 1 + 0.15 * _progress(MID)
    assert _centroid(frames[start + MID], (180, 180, 280, 280)) == pytest.approx((160 + 60 * scale,) * 2, abs=0.03)
    peaks = [_levels(frames[start + k]).max() for k in range(BLEND)]
    assert all(a > b for a, b in itertools.pairwise(peaks))  # fading out


# Effects, applied directly -------------------------------------------------------------------------

REST: Box = (100.0, 120.0, 40.0, 30.0)
ANCHOR: Box = (100.0, 120.0, 40.0, 36.0)  # the layer with its contact shadow


@pytest.mark.parametrize("move", list(LAYER_MOVES.values()), ids=list(LAYER_MOVES))
def test_every_entrance_and_exit_leaves_a_layer_at_rest_when_no_way_has_gone(move: Appear | Fade | Pop | Slide) -> None:
    for entering in (True, False):
        assert move.apply(REST, ANCHOR, SIZE, 0.0, 1.0, entering=entering) == (REST, 1.0)
    assert LAYER_MOVES[move.name] is move


def test_a_fade_only_changes_opacity_and_a_pop_shrinks_about_the_anchor_centre() -> None:
    assert Appear().apply(REST, ANCHOR, SIZE, 1.0, 0.0, entering=True) == (REST, 1.0)
    assert Fade().apply(REST, ANCHOR, SIZE, 0.25, 0.75, entering=True) == (REST, 0.75)
    assert Fade().apply(REST, ANCHOR, SIZE, 1.0, 0.0, entering=False) == (REST, 0.0)
    (x, y, w, h), opacity = Pop().apply(REST, ANCHOR, SIZE, 1.0, 0.2, entering=True)
    assert (w, h) == pytest.approx((POP_FROM * REST[2], POP_FROM * REST[3])) and opacity == pytest.approx(0.5)
    centre = (ANCHOR[0] + ANCHOR[2] / 2, ANCHOR[1] + ANCHOR[3] / 2)
    # Every corner of the rect keeps its place relative to the anchor's centre, scaled by POP_FROM.
    assert (x - centre[0], y - centre[1]) == pytest.approx(
        ((REST[0] - centre[0]) * POP_FROM, (REST[1] - centre[1]) * POP_FROM)
    )


@pytest.mark.parametrize("side", ["left", "right", "up", "down"])
def test_a_slide_takes_the_whole_anchor_just_past_an_edge(side: str) -> None:
    slide = LAYER_MOVES[f"slide-{side}"]
    assert isinstance(slide, Slide) and slide.side == side
    width, height = SIZE

    def anchor_after(entering: bool) -> Box:
        (x, y, _, _), opacity = slide.apply(REST, ANCHOR, SIZE, 1.0, 0.0, entering=entering)
        assert opacity == 1.0
        return (ANCHOR[0] + x - REST[0], ANCHOR[1] + y - REST[1], ANCHOR[2], ANCHOR[3])

    # Where each edge is reached: the anchor's far side on it, (x, y, w, h) -> touching value.
    past = {
        "left": lambda a: a[0] + a[2],
        "right": lambda a: a[0] - width,
        "up": lambda a: a[1] + a[3],
        "down": lambda a: a[1] - height,
    }
    opposite = {"left": "right", "right": "left", "up": "down", "down": "up"}
    assert past[opposite[side]](anchor_after(entering=True)) == pytest.approx(0.0)  # came from the other edge
    assert past[side](anchor_after(entering=False)) == pytest.approx(0.0)  # leaves off the edge it travels to


def test_a_motion_hides_the_layer_before_its_start_then_enters_rests_and_exits() -> None:
    motion = Motion(enter="fade", start=2, frames=4, ease="linear", exit="fade", exit_start=10, exit_frames=4,
                    exit_ease="linear")  # fmt: skip
    opacities = [motion.apply(REST, ANCHOR, SIZE, frame)[1] for frame in range(16)]
    assert opacities[:2] == [0.0, 0.0]
    assert opacities[2:6] == pytest.approx([0.25, 0.5, 0.75, 1.0])  # linear: a quarter more each frame
    assert opacities[6:10] == [1.0] * 4 and list(motion.shown(16)) == [6, 7, 8, 9] and motion.leaves(16) == 10
    assert opacities[10:14] == pytest.approx([0.75, 0.5, 0.25, 0.0]) and opacities[14:] == [0.0, 0.0]


def test_each_camera_move_views_the_keyframe_as_it_names() -> None:
    width, _ = SIZE
    amount, last = 0.1, 9
    still = Still(amount=amount, ease=Easing.LINEAR, depth=1.0)
    assert not still.moves and {still.view(frame, last + 1, SIZE) for frame in range(12)} == {CameraView()}
    push = Push(amount=amount, ease=Easing.LINEAR, depth=1.0)
    pull = Pull(amount=amount, ease=Easing.LINEAR, depth=1.0)
    assert push.view(0, last + 1, SIZE) == pull.view(last, last + 1, SIZE) == CameraView(1.0)
    assert push.view(last, last + 1, SIZE) == pull.view(0, last + 1, SIZE) == CameraView(1 + amount)
    pan = Pan(move="pan-left", amount=amount, ease=Easing.LINEAR, depth=2.0)
    # Zoomed by 1 + amount, from one margin to the other: the picture travels right under a left pan.
    assert pan.view(0, last + 1, SIZE) == CameraView(1 + amount, -amount / 2 * width, 0.0)
    assert pan.view(last, last + 1, SIZE) == CameraView(1 + amount, amount / 2 * width, 0.0)
    parallax = Parallax(move="parallax-left", amount=amount, ease=Easing.LINEAR, depth=2.0)
    assert parallax.view(4, last + 1, SIZE) == pan.view(4, last + 1, SIZE)
    assert (pan.layer_depth, parallax.layer_depth, push.layer_depth) == (1.0, 2.0, 1.0)
    assert not Push(amount=0.0, ease=Easing.LINEAR, depth=1.0).moves


def test_each_transition_blends_two_frames_as_it_names() -> None:
    before, after = _flat(40), _blob((160.0, 160.0))
    linear = {"frames": 6, "direction": "left", "ease": Easing.LINEAR}
    crossfade, zoom = Crossfade(**linear), Zoom(**linear)
    assert [crossfade.progress(local, 6) for local in range(6)] == pytest.approx([(k + 1) / 7 for k in range(6)])
    assert crossfade.apply(before, after, 0.25).tobytes() == Image.blend(before, after, 0.25).tobytes()
    assert zoom.apply(before, after, 1.0).tobytes() == after.tobytes()
    wipe = Wipe(**linear)
    assert wipe.apply(before, after, 1.0).tobytes() == after.tobytes()
    assert wipe.apply(before, after, 0.0).tobytes() == before.tobytes()
    half = SlideOver(**linear).apply(before.copy(), after, 0.5)  # travelling left: in from the right, half way
    assert np.array_equal(_levels(half)[:, : SIZE[0] // 2], _levels(before)[:, : SIZE[0] // 2])
    assert np.array_equal(_levels(half)[:, SIZE[0] // 2 :], _levels(after)[:, : SIZE[0] // 2])


def test_the_settled_frame_is_past_the_blend_and_every_entrance_within_the_shot() -> None:
    motion = _motion(30, "fade", 10, start=2)
    layer = TextPlacement(
        field="shots[0].text[0]", text="Hi", lines=("Hi",), fonts=("DejaVu Sans",), lang="en", weight="bold", font_size=40,
        line_height=48, color="#ffffff", align="center", stroke=0, shadow=False, plate=None, box=(40.0, 250.0, 240.0, 50.0),
        motion=motion,
    )  # fmt: skip
    assert settled_frame(_shot(30)) == 0
    assert settled_frame(_shot(30, layer)) == motion.start + motion.frames
    assert settled_frame(_shot(30, layer, transition=transition("wipe", 20, "up", "linear"))) == 20
    assert settled_frame(_shot(8, layer)) == 7


# Determinism ----------------------------------------------------------------------------------------


def test_composing_a_plan_twice_gives_the_same_bytes(product: tuple[AssetResolver, AssetRef]) -> None:
    assets, ref = product
    entering = _layer(
        ref, (60.0, 60.0, 40.0, 40.0), _motion(16, "pop", 6, "ease-out-back", exit="slide-down", exit_frames=4)
    )
    first = _shot(16, entering, move="parallax-right", amount=0.04, depth=1.5)
    second = _shot(
        16,
        entering,
        move="push-in",
        amount=0.05,
        transition=transition("wipe", 5, "up", "ease-in-out"),
    )
    plan = _plan(first, second)
    keyframes = [_blob((100.0, 200.0), floor=30), _blob((200.0, 100.0), floor=90)]
    once, again = _frames(plan, keyframes, assets, workers=1), _frames(plan, keyframes, assets, workers=4)
    assert [frame.tobytes() for frame in once] == [frame.tobytes() for frame in again]


def test_a_shots_kept_worlds_are_let_go_once_no_later_frame_draws_on_it() -> None:
    blend = transition("crossfade", 4, "left", "linear")
    plan = _plan(_shot(8, move="push-in", amount=0.05), _shot(8, transition=blend), _shot(8, transition=blend))
    compositor = Compositor.render(plan, Backdrops([_blob((100, 100)), _flat(90), _flat(200)]), AssetResolver({}))
    held = [tuple(bool(shot._worlds) for shot in compositor._shots) for _ in compositor.frames()]
    assert held[0][0] and not held[16][0]  # let go once the second shot, blends into it included, is given
    assert [bool(shot._worlds) for shot in compositor._shots] == [False, False, True]
    again = list(compositor.frames())  # drawing again makes the worlds anew: the same frames
    assert [np.asarray(frame).tobytes() for frame in again] == [np.asarray(frame).tobytes() for frame in _frames(
        plan, [_blob((100, 100)), _flat(90), _flat(200)])]  # fmt: skip
