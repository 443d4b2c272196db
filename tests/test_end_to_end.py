"""The whole line on real parts: sample rows through the shipped templates to decoded MP4s."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from PIL import Image

from generator.orchestration.cli import main
from generator.planning.plan.types import ImagePlacement, ShotPlan
from tests.conftest import REPO, sample_subset, stored_plan
from tests.media import decode_frame, decode_hashes, loudness, probe, top_level_boxes

SAMPLE_SKUS = ("BEA-001", "ELE-005", "BEA-005")  # lipstick on sale, the JPEG camera, the bad row


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path, Path]:
    folder = tmp_path_factory.mktemp("sample")
    catalog = sample_subset(folder, SAMPLE_SKUS)
    out = folder / "out"
    result = CliRunner().invoke(main, ["run", str(catalog), "--out", str(out)])
    return result, out, catalog


def _manifest(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]


def _rendered(out: Path, sku: str) -> tuple[Path, ShotPlan]:
    line = next(m for m in _manifest(out) if m["sku"] == sku and m["status"] in ("rendered", "skipped"))
    plan = stored_plan(Path(str(line["job"])))
    return Path(str(line["video"])), plan


def test_good_rows_give_video_poster_and_job_and_bad_row_is_reported(sample_run: tuple[Result, Path, Path]) -> None:
    result, out, _ = sample_run
    assert result.exit_code == 1, result.output
    manifest = _manifest(out)
    by_sku = {m["sku"]: m for m in manifest}
    assert {by_sku["BEA-001"]["status"], by_sku["ELE-005"]["status"]} == {"rendered"}
    for sku in ("BEA-001", "ELE-005"):
        line = by_sku[sku]
        for key in ("video", "poster", "job"):
            assert Path(str(line[key])).is_file()
        assert Path(str(line["video"])).name.endswith(f"9x16-{str(line['output_key'])[:12]}.mp4")
        assert Image.open(str(line["poster"])).size == (1080, 1920)
    bad = by_sku["BEA-005"]
    assert bad["status"] == "failed" and bad["row"] == 4
    assert "row 4" in str(bad["error"]) and "price" in str(bad["error"]) and "twelve dollars" in str(bad["error"])
    assert "row 4" in result.output
    assert not list(out.rglob("*.part"))


@pytest.mark.parametrize("sku", ["BEA-001", "ELE-005"])
def test_encoded_streams_match_the_plan(sample_run: tuple[Result, Path, Path], sku: str) -> None:
    video, plan = _rendered(sample_run[1], sku)
    info = probe(video)
    assert (info.video_codec, info.video_profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    assert info.size == (1080, 1920) and info.fps == 30
    assert info.audio_codec == "aac"
    decoded = decode_hashes(video)
    assert len(decoded.hashes) == plan.frames
    assert abs(float(decoded.duration) - plan.frames / plan.fps) <= 1 / plan.fps
    boxes = top_level_boxes(video)
    assert boxes.index("moov") < boxes.index("mdat")


def _signature_colour(image_path: Path) -> np.ndarray:
    """Median colour of the reference's saturated, opaque pixels."""
    image = Image.open(image_path).convert("RGBA")
    rgba = np.asarray(image).reshape(-1, 4)
    hsv = np.asarray(image.convert("RGB").convert("HSV")).reshape(-1, 3)
    chosen = rgba[(rgba[:, 3] > 250) & (hsv[:, 1] > 150) & (hsv[:, 2] > 60)][:, :3]
    assert len(chosen) > 1000
    return np.median(chosen, axis=0)


def _share_like(frame: np.ndarray, box: tuple[float, float, float, float], colour: np.ndarray) -> float:
    x, y, w, h = (int(v) for v in box)
    region = frame[y : y + h, x : x + w].astype(np.float32)
    return float((np.linalg.norm(region - colour, axis=2) < 45).mean())


def test_product_pixels_appear_in_the_first_second_only_as_the_entrance_plays(
    sample_run: tuple[Result, Path, Path],
) -> None:
    video, plan = _rendered(sample_run[1], "BEA-001")
    first, product = next(
        (shot, layer) for shot in plan.shots for layer in shot.layers
        if isinstance(layer, ImagePlacement) and layer.kind == "product"
    )  # fmt: skip
    colour = _signature_colour(REPO / "catalogs" / "images" / "lipstick-ruby.png")
    start = first.start + product.motion.start
    entered = start + product.motion.frames + 3
    assert entered < plan.fps  # the platforms' rule: the product within the first second
    assert _share_like(decode_frame(video, entered), product.box, colour) > 0.15
    assert _share_like(decode_frame(video, start), product.box, colour) < 0.005  # its entrance's first frame


def test_jpeg_product_is_cut_out_and_recorded_in_the_plan(sample_run: tuple[Result, Path, Path]) -> None:
    _, plan = _rendered(sample_run[1], "ELE-005")
    layers = [
        layer
        for shot in plan.shots
        for layer in shot.layers
        if isinstance(layer, ImagePlacement) and layer.kind == "product"
    ]
    assert layers and {layer.ref.cutout for layer in layers} == {"light-background"}
    assert layers[0].ref.cutout_background is not None and min(layers[0].ref.cutout_background) > 200


def test_every_voiced_sample_video_is_at_minus_14_lufs_under_minus_1_dbtp_with_its_captions_beside_it(
    sample_run: tuple[Result, Path, Path],
) -> None:
    _, out, _ = sample_run
    voiced = [m for m in _manifest(out) if m["status"] == "rendered" and m.get("voice")]
    assert len(voiced) == 2  # the shipped templates speak
    for line in voiced:
        integrated, peak = loudness(Path(str(line["video"])))  # measured by ffmpeg on the decoded audio
        assert abs(integrated + 14) <= 1.0 and peak <= -1.0, (line["sku"], integrated, peak)
        assert [Path(str(p)).suffix for p in line["captions"]] == [".vtt", ".srt"]  # type: ignore[union-attr]
        assert all(Path(str(p)).is_file() for p in line["captions"])  # type: ignore[union-attr]


def test_second_run_skips_everything_already_rendered(sample_run: tuple[Result, Path, Path]) -> None:
    _, out, catalog = sample_run
    videos = sorted(out.rglob("*.mp4"))
    stamps = [v.stat().st_mtime_ns for v in videos]
    result = CliRunner().invoke(main, ["run", str(catalog), "--out", str(out)])
    assert result.exit_code == 1
    statuses = {m["sku"]: m["status"] for m in _manifest(out)}
    assert statuses == {"BEA-001": "skipped", "ELE-005": "skipped", "BEA-005": "failed"}
    assert [v.stat().st_mtime_ns for v in videos] == stamps
