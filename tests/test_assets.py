"""Reference images: confinement to roots, safe loading, deterministic cutouts, plan-time lookup."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFile

from generator.core.errors import AssetError
from generator.core.images import DEFAULT_MAX_PIXELS, AssetResolver, Cutout, apply_cutout, open_image
from generator.planning.assets import AssetRoot, load_image_asset, resolve_ref

# --- helpers -------------------------------------------------------------------------------------

BACKGROUND = (246, 244, 242)  # a plain, light studio background
OBJECT_BOX = (40, 40, 119, 119)  # inclusive pixel box of the product in a 160x160 photo
OBJECT_COLOUR = (30, 40, 150)  # saturated dark blue
HIGHLIGHT_BOX = (72, 72, 87, 87)  # a white highlight inside the product


def make_rgba_png(path: Path, size: int = 64) -> Path:
    """Transparent PNG with an opaque circle in the middle."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((size // 4, size // 4, 3 * size // 4 - 1, 3 * size // 4 - 1), fill=(200, 30, 30, 255))
    image.save(path)
    return path


def make_studio_jpeg(path: Path) -> Path:
    """A product shot: a saturated rectangle with a white highlight, on a plain light background."""
    image = Image.new("RGB", (160, 160), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle(OBJECT_BOX, fill=OBJECT_COLOUR)
    draw.ellipse(HIGHLIGHT_BOX, fill=(255, 255, 255))
    image.save(path, quality=92)
    return path


def make_dark_jpeg(path: Path) -> Path:
    image = Image.new("RGB", (96, 96), (25, 25, 30))
    ImageDraw.Draw(image).rectangle((30, 30, 65, 65), fill=(220, 180, 40))
    image.save(path, quality=92)
    return path


def make_busy_jpeg(path: Path) -> Path:
    rng = np.random.default_rng(7)
    Image.fromarray(rng.integers(0, 256, (96, 96, 3), dtype=np.uint8)).save(path, quality=92)
    return path


def make_noise_png(path: Path, size: int = 128) -> Path:
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)
    return path


def load(path: Path, **kwargs: int):
    return load_image_asset(path.resolve(), f"catalog:{path.name}", **kwargs)


def alpha_of(path: Path) -> np.ndarray:
    asset = load(path)
    return np.asarray(apply_cutout(open_image(asset.path, asset.source), asset.cutout).getchannel("A"))


def names_limit(message: str, limit: int) -> bool:
    """Whether ``message`` states ``limit`` (written plainly or with thousands separators)."""
    return re.search(rf"(?<![\d,.]){limit}(?![\d,.])|{limit:,}", message) is not None


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12000x12000 1-bit PNG: 144 megapixels in a file of a few kilobytes."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    Image.new("1", (12000, 12000)).save(path)
    return path


@pytest.fixture
def no_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if any image's pixel data is decoded."""

    def refuse(self: ImageFile.ImageFile):  # pragma: no cover - only runs on failure
        raise AssertionError("image pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


# --- resolve_ref ---------------------------------------------------------------------------------


def test_reference_inside_the_root_resolves_to_a_machine_independent_source(tmp_path: Path) -> None:
    root = tmp_path / "feed"
    (root / "images").mkdir(parents=True)
    target = make_rgba_png(root / "images" / "a.png")

    path, source = resolve_ref(" images/a.png ", root, [AssetRoot("catalog", root)])

    assert path == target.resolve()
    assert source == "catalog:images/a.png"


def test_reference_may_use_a_second_root(tmp_path: Path) -> None:
    root, shared = tmp_path / "feed", tmp_path / "shared"
    root.mkdir()
    shared.mkdir()
    make_rgba_png(shared / "b.png")

    path, source = resolve_ref(str(shared / "b.png"), root, [AssetRoot("catalog", root), AssetRoot("shared", shared)])

    assert (path, source) == ((shared / "b.png").resolve(), "shared:b.png")


def test_path_traversal_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "feed"
    root.mkdir()
    make_rgba_png(tmp_path / "secret.png")

    with pytest.raises(AssetError, match="escapes"):
        resolve_ref("../secret.png", root, [AssetRoot("catalog", root)])


def test_traversal_hidden_in_a_longer_path_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "feed"
    (root / "images").mkdir(parents=True)

    with pytest.raises(AssetError, match="escapes"):
        resolve_ref("images/../../secret.png", root, [AssetRoot("catalog", root)])


def test_absolute_path_outside_the_roots_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "feed"
    root.mkdir()
    outside = make_rgba_png(tmp_path / "outside.png")

    with pytest.raises(AssetError, match="escapes"):
        resolve_ref(str(outside), root, [AssetRoot("catalog", root)])


def test_root_with_a_shared_name_prefix_is_not_an_allowed_root(tmp_path: Path) -> None:
    root = tmp_path / "feed"
    root.mkdir()
    (tmp_path / "feed-private").mkdir()
    make_rgba_png(tmp_path / "feed-private" / "a.png")

    with pytest.raises(AssetError, match="escapes"):
        resolve_ref("../feed-private/a.png", root, [AssetRoot("catalog", root)])


def test_symlink_inside_the_root_pointing_outside_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "feed"
    root.mkdir()
    outside = make_rgba_png(tmp_path / "outside.png")
    os.symlink(outside, root / "link.png")

    with pytest.raises(AssetError, match="escapes"):
        resolve_ref("link.png", root, [AssetRoot("catalog", root)])


@pytest.mark.parametrize("ref", ["https://example.com/a.png", "file:///etc/passwd", "s3://bucket/a.png"])
def test_url_references_are_refused(tmp_path: Path, ref: str) -> None:
    with pytest.raises(AssetError, match="remote reference"):
        resolve_ref(ref, tmp_path, [AssetRoot("catalog", tmp_path)])


def test_empty_reference_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AssetError, match="empty"):
        resolve_ref("   ", tmp_path, [AssetRoot("catalog", tmp_path)])


# --- loading -------------------------------------------------------------------------------------


def test_bomb_fixture_is_small_on_disk(bomb: Path) -> None:
    data = bomb.read_bytes()
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")  # PNG IHDR
    assert (width, height) == (12000, 12000)
    assert len(data) < 100_000


@pytest.mark.parametrize("limit", [DEFAULT_MAX_PIXELS, 1_000], ids=["default-limit", "small-limit"])
def test_decompression_bomb_is_refused_before_decoding(bomb: Path, no_decoding: None, limit: int) -> None:
    with pytest.raises(AssetError) as caught:
        load_image_asset(bomb, "catalog:bomb.png", max_pixels=limit)

    assert "pixels" in caught.value.message
    assert caught.value.context["path"] == "catalog:bomb.png"


@pytest.mark.parametrize("limit", [DEFAULT_MAX_PIXELS, 1_000], ids=["default-limit", "small-limit"])
def test_decompression_bomb_message_names_the_configured_limit(bomb: Path, no_decoding: None, limit: int) -> None:
    with pytest.raises(AssetError) as caught:
        load_image_asset(bomb, "catalog:bomb.png", max_pixels=limit)

    assert "12000x12000" in caught.value.message or "144000000" in caught.value.message
    assert names_limit(caught.value.message, limit), caught.value.message


def test_image_over_a_small_max_pixels_is_refused_before_decoding(tmp_path: Path, no_decoding: None) -> None:
    path = make_rgba_png(tmp_path / "small.png", size=64)

    with pytest.raises(AssetError) as caught:
        load(path, max_pixels=1_000)

    assert names_limit(caught.value.message, 1_000), caught.value.message
    assert "64x64" in caught.value.message


def test_image_at_the_limit_is_accepted(tmp_path: Path) -> None:
    path = make_rgba_png(tmp_path / "small.png", size=64)

    assert load(path, max_pixels=64 * 64).size == (64, 64)


def test_truncated_png_is_unreadable(tmp_path: Path) -> None:
    whole = make_noise_png(tmp_path / "whole.png")
    truncated = tmp_path / "truncated.png"
    data = whole.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])

    with pytest.raises(AssetError, match="unreadable image"):
        load(truncated)


def test_random_bytes_are_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "noise.png"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())

    with pytest.raises(AssetError, match="unreadable image"):
        load(path)


@pytest.mark.parametrize("fmt", ["GIF", "BMP"])
def test_other_formats_are_unsupported(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"image.{fmt.lower()}"
    Image.new("RGB", (16, 16), (200, 0, 0)).save(path, format=fmt)

    with pytest.raises(AssetError, match=f"unsupported image format {fmt}"):
        load(path)


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(AssetError, match="not found"):
        load(tmp_path / "nope.png")


def test_fully_transparent_image_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    Image.new("RGBA", (16, 16), (0, 0, 0, 0)).save(path)

    with pytest.raises(AssetError, match="transparent"):
        load(path)


def test_asset_records_size_and_content_hash(tmp_path: Path) -> None:
    path = make_rgba_png(tmp_path / "a.png", size=48)

    asset = load(path)

    assert asset.size == (48, 48)
    assert asset.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert asset.source == "catalog:a.png"


# --- cutouts -------------------------------------------------------------------------------------


def test_product_on_light_background_is_keyed_out(tmp_path: Path) -> None:
    path = make_studio_jpeg(tmp_path / "studio.jpg")

    asset = load(path)
    alpha = alpha_of(path)

    assert asset.cutout.method == "light-background"
    assert asset.cutout.background is not None
    assert max(abs(a - b) for a, b in zip(asset.cutout.background, BACKGROUND)) <= 3
    for corner in [(0, 0), (0, -1), (-1, 0), (-1, -1)]:
        assert alpha[corner] == 0
    left, top, _, bottom = OBJECT_BOX
    assert alpha[(top + bottom) // 2, left + 4] == 255  # solid part of the product


def test_light_highlight_inside_the_product_stays_opaque(tmp_path: Path) -> None:
    path = make_studio_jpeg(tmp_path / "studio.jpg")

    alpha = alpha_of(path)

    hl, ht, hr, hb = HIGHLIGHT_BOX
    centre = ((ht + hb) // 2, (hl + hr) // 2)
    rgb = np.asarray(Image.open(path).convert("RGB"))
    assert rgb[centre].min() > 235  # the highlight really is as light as the background
    assert alpha[centre] == 255
    assert alpha[ht + 2 : hb - 1, hl + 2 : hr - 1].min() == 255


def test_light_background_content_box_is_tight_around_the_product(tmp_path: Path) -> None:
    path = make_studio_jpeg(tmp_path / "studio.jpg")

    box = load(path).content_box

    left, top, right, bottom = OBJECT_BOX  # inclusive; a bbox's right/bottom are exclusive
    expected = (left, top, right + 1, bottom + 1)
    # JPEG ringing and the soft alpha edge may add a pixel or two, never much more.
    assert all(abs(got - want) <= 3 for got, want in zip(box, expected)), box


def test_rgba_png_uses_its_own_alpha_and_tight_content_box(tmp_path: Path) -> None:
    path = make_rgba_png(tmp_path / "a.png", size=64)
    source_alpha = np.asarray(Image.open(path).getchannel("A"))
    ys, xs = np.nonzero(source_alpha)

    asset = load(path)

    assert asset.cutout == Cutout("alpha")
    assert asset.content_box == (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1)
    assert np.array_equal(alpha_of(path), source_alpha)


@pytest.mark.parametrize("make", [make_dark_jpeg, make_busy_jpeg], ids=["dark", "busy"])
def test_photo_on_dark_or_busy_background_is_opaque(tmp_path: Path, make) -> None:
    path = make(tmp_path / "photo.jpg")

    asset = load(path)

    assert asset.cutout.method == "opaque"
    assert asset.content_box == (0, 0, *asset.size)
    assert alpha_of(path).min() == 255


def test_apply_cutout_is_deterministic(tmp_path: Path) -> None:
    path = make_studio_jpeg(tmp_path / "studio.jpg")
    asset = load(path)

    first = apply_cutout(open_image(asset.path, asset.source), asset.cutout)
    second = apply_cutout(open_image(asset.path, asset.source), asset.cutout)

    assert first.mode == "RGBA"
    assert first.tobytes() == second.tobytes()


def test_apply_cutout_opaque_keeps_every_pixel(tmp_path: Path) -> None:
    image = Image.open(make_busy_jpeg(tmp_path / "busy.jpg"))

    result = apply_cutout(image, Cutout("opaque"))

    assert result.mode == "RGBA"
    assert np.asarray(result.getchannel("A")).min() == 255
    assert np.array_equal(np.asarray(result.convert("RGB")), np.asarray(image.convert("RGB")))


# --- AssetResolver -------------------------------------------------------------------------------


def test_resolver_finds_the_file_behind_a_source(tmp_path: Path) -> None:
    path = make_rgba_png(tmp_path / "a.png")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    resolver = AssetResolver({"catalog": tmp_path})

    assert resolver.path("catalog:a.png", digest) == path.resolve()
    assert resolver.image("catalog:a.png", digest, Cutout("alpha")).mode == "RGBA"


def test_resolver_refuses_a_file_changed_after_planning(tmp_path: Path) -> None:
    path = make_rgba_png(tmp_path / "a.png")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    make_rgba_png(path, size=32)  # rewritten with other content

    with pytest.raises(AssetError, match="sha256"):
        AssetResolver({"catalog": tmp_path}).path("catalog:a.png", digest)


def test_resolver_refuses_unknown_root_names(tmp_path: Path) -> None:
    path = make_rgba_png(tmp_path / "a.png")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    with pytest.raises(AssetError, match="'templates'"):
        AssetResolver({"catalog": tmp_path}).path("templates:a.png", digest)


def test_resolver_refuses_sources_escaping_their_root(tmp_path: Path) -> None:
    root = tmp_path / "feed"
    root.mkdir()
    outside = make_rgba_png(tmp_path / "a.png")
    digest = hashlib.sha256(outside.read_bytes()).hexdigest()

    with pytest.raises(AssetError, match="not found under its root"):
        AssetResolver({"catalog": root}).path("catalog:../a.png", digest)


def test_webp_with_alpha_is_accepted_and_keeps_its_alpha(tmp_path: Path) -> None:
    png = make_rgba_png(tmp_path / "a.png")
    webp = tmp_path / "a.webp"
    Image.open(png).save(webp, "WEBP", lossless=True)
    asset = load_image_asset(webp, "catalog:a.webp")
    assert asset.cutout.method == "alpha"
    assert asset.content_box == load_image_asset(png, "catalog:a.png").content_box
