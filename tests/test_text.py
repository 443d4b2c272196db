"""The text engine with real fonts: font runs, bidi, shaping, script-aware wrapping, fitting, drawing."""

from __future__ import annotations

import itertools
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from icu4py.breakers import LineBreaker
from PIL import Image, ImageDraw, ImageFont

from generator.core.fonts import find_font, font_chain
from generator.core.shaping import GlyphRun, MissingGlyphError, TextFitError, TextLayout, missing_glyphs, shape_line
from generator.planning.textfit import fit_text
from render.text import draw_text

REPO = Path(__file__).resolve().parent.parent
DEJAVU = ("DejaVu Sans",)


def chain(lang: str = "en") -> tuple[str, ...]:
    """The default chain behind Noto Sans for ``lang``."""
    return font_chain("Noto Sans", lang=lang)


def ink(image: Image.Image) -> np.ndarray:
    """Alpha channel as a boolean array: where something was drawn."""
    return np.asarray(image)[..., 3] > 0


def glyphs(runs: tuple[GlyphRun, ...]) -> list[int]:
    return [g for run in runs for g in run.glyphs]


def clusters(runs: tuple[GlyphRun, ...]) -> list[int]:
    return [c for run in runs for c in run.clusters]


# --- Font resolution -----------------------------------------------------------------------------


def test_font_chain_orders_families_and_picks_the_cjk_variant_by_language(noto: None) -> None:
    ja = font_chain("DejaVu Sans", "bold", fallback=("Noto Sans Hebrew", "No Such Font"), lang="ja")
    assert ja[:3] == ("DejaVu Sans", "Noto Sans Hebrew", "Noto Sans")
    assert "No Such Font" not in ja and len(set(ja)) == len(ja)
    assert ja.index("Noto Sans Arabic") < ja.index("Noto Sans CJK JP") < ja.index("Noto Color Emoji")
    variants = {lang: next(f for f in chain(lang) if "CJK" in f) for lang in ("ja", "ko", "zh", "zh_TW", "zh-HK", "en")}
    assert variants == {
        "ja": "Noto Sans CJK JP",
        "ko": "Noto Sans CJK KR",
        "zh": "Noto Sans CJK SC",
        "zh_TW": "Noto Sans CJK TC",
        "zh-HK": "Noto Sans CJK HK",
        "en": "Noto Sans CJK SC",
    }


def test_an_uninstalled_primary_family_or_weight_is_a_lookup_error(noto: None) -> None:
    with pytest.raises(LookupError, match=r"installed families: .*DejaVu Sans"):
        font_chain("No Such Font")
    with pytest.raises(LookupError, match="bold"):
        find_font("Noto Color Emoji", "bold")  # as a primary family, a missing bold is an error...
    runs = shape_line("ok 🔥", font_chain("DejaVu Sans", "bold"), "bold", 40)
    assert runs[-1].family == "Noto Color Emoji"  # ...as a fallback it falls back to regular


def test_collections_index_every_face(noto: None) -> None:
    assert find_font("Noto Sans CJK KR") == find_font("Noto Sans CJK JP")
    assert find_font("Noto Sans CJK KR").suffix == ".ttc"
    (run,) = shape_line("한국", chain("ko"), "regular", 40, "ko")
    assert run.family == "Noto Sans CJK KR" and run.face > 0


def test_adgen_font_path_is_searched_first(tmp_path: Path) -> None:
    shutil.copy(find_font("DejaVu Sans"), tmp_path / "Copy.ttf")
    script = "from generator.core.fonts import find_font; print(find_font('DejaVu Sans'))"
    env = {**os.environ, "ADGEN_FONT_PATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "Copy.ttf")


# --- Shaping: scripts, bidi, fallback ------------------------------------------------------------


def test_arabic_is_joined_right_to_left_in_the_arabic_font(noto: None) -> None:
    title = "عرض خاص على سماعات لاسلكية"
    runs = shape_line(title, chain("ar"), "regular", 48, "ar")
    assert {(run.family, run.direction) for run in runs} == {("Noto Sans Arabic", "rtl")}
    assert 0 not in glyphs(runs)
    order = clusters(runs)
    assert order[0] == len(title) - 1 and order[-1] == 0
    assert all(a >= b for a, b in itertools.pairwise(order)), "visual order of an RTL line runs from the end"

    def shape(text: str) -> tuple[int, ...]:
        (run,) = shape_line(text, chain("ar"), "regular", 48, "ar")
        return run.glyphs

    assert shape("سلام")[::-1] != tuple(shape(letter)[0] for letter in "سلام"), "joined, not isolated, forms"
    price = shape("سعر")
    assert len(price) == 3 and not set(price) & {shape(letter)[0] for letter in "سعر"}, "initial, medial, final"


def test_arabic_with_a_latin_brand_and_digits_is_reordered_per_bidi(noto: None) -> None:
    line = "خصم 20% على Nike"
    runs = shape_line(line, chain("ar"), "regular", 48, "ar")
    assert (runs[0].text, runs[0].direction) == ("Nike", "ltr"), "the last word of an RTL line is leftmost"
    assert runs[-1].text.startswith("خصم") and runs[-1].direction == "rtl", "the first word is rightmost"
    assert "".join(run.text for run in reversed(runs)) == line
    digits = next(run for run in runs if run.text == "20")
    assert digits.direction == "ltr" and digits.clusters == (4, 5), "numbers read left to right inside RTL"
    assert all(run.direction == "rtl" for run in runs if any("\u0600" <= ch <= "\u06ff" for ch in run.text))


@pytest.mark.parametrize(
    "line", ["רק ב-49.90 ₪", "Sale: עכשיו 50% (Nike)", "מבצע ענק היום"], ids=["price", "brackets", "words"]
)
def test_bidi_draws_like_pillows_own_whole_line_layout(line: str) -> None:
    """With one font, our runs drawn one by one match raqm/FriBiDi laying out the whole line."""
    layout = TextLayout((line,), 60, 70)
    ours = draw_text(layout, DEJAVU, "regular", (900, 100), color="#FFFFFF", align="left", lang="he")
    font = ImageFont.truetype(str(find_font("DejaVu Sans")), 60, layout_engine=ImageFont.Layout.RAQM)
    ascent, descent = font.getmetrics()
    reference = Image.new("RGBA", (900, 100), (0, 0, 0, 0))
    baseline = (100 - 60) / 2 + ascent * 60 / (ascent + descent)
    ImageDraw.Draw(reference).text((0, baseline), line, (255, 255, 255, 255), font, anchor="ls")
    assert ours.tobytes() == reference.tobytes()


def test_hebrew_is_right_to_left_without_notdef(noto: None) -> None:
    runs = shape_line("מבצע ענק היום", chain("he"), "regular", 48, "he")
    assert {(run.family, run.direction) for run in runs} == {("Noto Sans Hebrew", "rtl")}
    assert 0 not in glyphs(runs)


@pytest.mark.parametrize(("lang", "family"), [("ja", "Noto Sans CJK JP"), ("zh", "Noto Sans CJK SC")])
def test_cjk_uses_the_variant_of_the_language(noto: None, lang: str, family: str) -> None:
    line = "今日は直営店で特売"
    runs = shape_line(line, chain(lang), "regular", 40, lang)
    assert {run.family for run in runs} == {family}
    assert len(glyphs(runs)) == len(line) and 0 not in glyphs(runs)
    assert clusters(runs) == list(range(len(line)))
    assert sum(run.width for run in runs) == pytest.approx(40 * len(line)), "full-width characters are one em each"


def test_cjk_variants_draw_different_glyphs(noto: None) -> None:
    ja, zh = (shape_line("直", chain(lang), "regular", 40, lang)[0].glyphs for lang in ("ja", "zh"))
    assert ja != zh


def test_cjk_wraps_between_characters_but_not_before_closing_punctuation(noto: None) -> None:
    title = "今日は、とてもいい天気ですね。新しい靴を買いに行きましょう。週末限定の特別セールです。"
    layout = fit_text(title, chain("ja"), "regular", 60, 40, 1.2, (400.0, 800.0), "ja")
    assert len(layout.lines) >= 3 and "".join(layout.lines) == title
    for line in layout.lines:
        assert line[0] not in "。、", f"kinsoku: {line!r} starts with closing punctuation"
        assert sum(run.width for run in shape_line(line, chain("ja"), "regular", layout.font_size, "ja")) <= 400


def test_devanagari_forms_conjuncts(noto: None) -> None:
    line = "नमस्ते दुनिया"
    (run,) = shape_line(line, chain("hi"), "regular", 48, "hi")
    assert run.family == "Noto Sans Devanagari" and 0 not in run.glyphs
    assert len(run.glyphs) != len(line), "conjuncts and matras merge or reorder glyphs"
    assert run.clusters[0] == 0 and set(run.clusters) <= set(range(len(line)))
    assert list(run.clusters) == sorted(run.clusters), "each glyph maps back to its place in the line"


def test_thai_wraps_at_dictionary_word_boundaries(noto: None) -> None:
    text = "สวัสดีครับยินดีต้อนรับ"
    boundaries = {end for _, end in LineBreaker(text, "th").segments()}
    layout = fit_text(text, chain("th"), "regular", 48, 48, 1.2, (260.0, 400.0), "th")
    assert len(layout.lines) >= 2 and "".join(layout.lines) == text
    ends = np.cumsum([len(line) for line in layout.lines])
    assert set(ends.tolist()) <= boundaries, "every line ends at an ICU word boundary"
    assert all(0 not in glyphs(shape_line(line, chain("th"), "regular", 48, "th")) for line in layout.lines)


def test_emoji_use_the_colour_font_and_zwj_sequences_stay_one_glyph(noto: None) -> None:
    runs = shape_line("New drop 🔥👟", chain(), "regular", 48)
    assert [(run.family, run.text) for run in runs] == [("Noto Sans", "New drop "), ("Noto Color Emoji", "🔥👟")]
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    (run,) = shape_line(family, chain(), "regular", 48)
    assert run.family == "Noto Color Emoji" and len(run.glyphs) == 1 and run.clusters == (0,) and run.glyphs != (0,)


def test_emoji_presentation_beats_an_earlier_monochrome_glyph(noto: None) -> None:
    fonts = font_chain("DejaVu Sans")  # DejaVu Sans has a monochrome heart
    assert shape_line("\u2764\ufe0f", fonts, "regular", 48)[0].family == "Noto Color Emoji"
    assert shape_line("\u2764", fonts, "regular", 48)[0].family == "DejaVu Sans", "text presentation by default"


def test_emoji_are_drawn_in_colour(noto: None) -> None:
    layout = TextLayout(("New drop 🔥👟",), 60, 70)
    image = draw_text(layout, chain(), "regular", (600, 100), color="#FFFFFF", align="left", stroke=2, shadow=True)
    runs = shape_line(layout.lines[0], chain(), "regular", 60)
    start = runs[0].width
    pixels = np.asarray(image).astype(int)[:, round(start) : round(start + runs[1].width)]
    saturated = (pixels[..., :3].max(axis=2) - pixels[..., :3].min(axis=2) > 80) & (pixels[..., 3] > 200)
    assert saturated.sum() > 500, "the emoji region holds coloured (non-grey) pixels"
    text = np.asarray(image).astype(int)[:, : round(start) - 10]
    assert (text[..., :3].max(axis=2) - text[..., :3].min(axis=2)).max() < 10, "the Latin text stays grey"


# --- Missing glyphs ------------------------------------------------------------------------------


def test_missing_glyphs_are_reported_once_in_order(noto: None) -> None:
    fonts = chain()
    assert missing_glyphs("a\ue000b\u0378\ue000 \u200d\ufe0f", fonts) == ("\ue000", "\u0378")
    assert missing_glyphs("Ok 🔥 عرض 今日", fonts) == ()
    message = r"no font in the chain \(Noto Sans, .*\) has a glyph for '\\ue000' \(U\+E000\)"
    with pytest.raises(MissingGlyphError, match=message) as caught:
        fit_text("Sale \ue000", fonts, "regular", 60, 40, 1.2, (800.0, 200.0))
    assert caught.value.missing == ("\ue000",)
    assert isinstance(caught.value, TextFitError)
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (copy.missing, str(copy)) == (caught.value.missing, str(caught.value))


# --- Wrapping and fitting ------------------------------------------------------------------------


def test_a_title_that_fits_keeps_the_maximum_size() -> None:
    layout = fit_text("Summer sale", DEJAVU, "bold", 100, 40, 1.15, (900.0, 300.0))
    assert layout == TextLayout(("Summer sale",), 100, 115)


def test_a_longer_title_shrinks_to_the_largest_size_that_fits() -> None:
    title = "Limited edition trail running shoes with breathable mesh upper"
    layout = fit_text(title, DEJAVU, "bold", 100, 30, 1.15, (700.0, 300.0))
    assert 30 < layout.font_size < 100
    assert " ".join(layout.lines) == title
    assert all(sum(r.width for r in shape_line(line, DEJAVU, "bold", layout.font_size)) <= 700 for line in layout.lines)
    with pytest.raises(TextFitError):
        fit_text(title, DEJAVU, "bold", layout.font_size + 1, layout.font_size + 1, 1.15, (700.0, 300.0))


def test_text_too_long_even_at_the_minimum_size_is_an_error() -> None:
    with pytest.raises(TextFitError, match="minimum size 40 px"):
        fit_text("word " * 60, DEJAVU, "regular", 80, 40, 1.15, (600.0, 200.0))
    with pytest.raises(TextFitError, match="does not fit"):  # never broken inside a word
        fit_text("Supercalifragilisticexpialidocious", DEJAVU, "regular", 80, 40, 1.15, (300.0, 600.0))
    with pytest.raises(TextFitError, match="at most the size"):
        fit_text("Sale", DEJAVU, "regular", 40, 80, 1.15, (300.0, 600.0))


def test_newlines_are_kept_and_spaces_collapse_and_trailing_spaces_are_free() -> None:
    layout = fit_text("  Big   sale \n\n today  ", DEJAVU, "regular", 50, 50, 1.2, (900.0, 500.0))
    assert layout.lines == ("Big sale", "today")
    width = sum(run.width for run in shape_line("Sale", DEJAVU, "regular", 50))
    assert fit_text("Sale ", DEJAVU, "regular", 50, 50, 1.2, (width, 100.0)).lines == ("Sale",)


def test_wrapped_lines_keep_their_paragraphs_direction(noto: None) -> None:
    """A line of an Arabic paragraph that starts with a Latin brand still reads right to left."""
    layout = fit_text("عرض خاص Nike Air بسعر 20% فقط", chain("ar"), "regular", 48, 48, 1.2, (260.0, 400.0), "ar")
    assert layout.lines[:2] == ("عرض خاص", "\u200fNike Air"), "an invisible RLM keeps the brand's line RTL"
    line = TextLayout(layout.lines[1:2], 48, 57)
    image = draw_text(line, chain("ar"), "regular", (260, 80), color="#FFFFFF", align="start", lang="ar")
    columns = np.flatnonzero(ink(image).any(axis=0))
    assert columns[-1] >= 250 and columns[0] > 50, "start is the right edge"


# --- Drawing -------------------------------------------------------------------------------------


def test_mixed_scripts_draw_every_run_in_its_own_font(noto: None) -> None:
    line = "Sale セール تخفيض"
    fonts = chain("ja")
    runs = shape_line(line, fonts, "regular", 60, "ja")
    assert [(run.family, run.text) for run in runs] == [
        ("Noto Sans", "Sale "),
        ("Noto Sans CJK JP", "セール "),
        ("Noto Sans Arabic", "تخفيض"),
    ]
    assert 0 not in glyphs(runs)
    layout = TextLayout((line,), 60, 70)
    image = draw_text(layout, fonts, "regular", (900, 100), color="#FFFFFF", align="left", lang="ja")
    alpha, x = ink(image), 0.0
    for run in runs:
        if run.text.strip():
            assert alpha[:, round(x) + 2 : round(x + run.width) - 2].any(), f"{run.text!r} drew nothing"
        x += run.width
    cjk = runs[1]
    x = runs[0].width
    tofu = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(tofu).text((x, 50), cjk.text, font=ImageFont.truetype(str(find_font("Noto Sans")), 60), anchor="ls")
    region = slice(round(x), round(x + cjk.width))
    assert not np.array_equal(alpha[:, region], ink(tofu)[:, region]), "the CJK run is not the primary font's boxes"


def test_measured_width_matches_the_drawn_text() -> None:
    line = "Limited edition trail shoes"
    width = sum(run.width for run in shape_line(line, DEJAVU, "regular", 48))
    font = ImageFont.truetype(str(find_font("DejaVu Sans")), 48, layout_engine=ImageFont.Layout.RAQM)
    assert width == pytest.approx(font.getlength(line), abs=0.5)
    image = draw_text(TextLayout((line,), 48, 56), DEJAVU, "regular", (800, 80), color="#FFFFFF", align="right")
    columns = np.flatnonzero(ink(image).any(axis=0))
    assert 790 <= columns[-1] <= 799


def test_drawing_is_deterministic(noto: None) -> None:
    layout = fit_text("New drop 🔥 عرض خاص 今日 Nike", chain(), "bold", 64, 30, 1.2, (500.0, 300.0))
    first, second = (
        draw_text(
            layout, chain(), "bold", (500, 300), color="#FFFFFF", align="center", stroke=3, shadow=True, plate="#E4572E"
        )
        for _ in range(2)
    )
    assert first.tobytes() == second.tobytes()


@pytest.mark.parametrize(("align", "side"), [("start", "right"), ("end", "left"), ("left", "left"), ("right", "right")])
def test_start_and_end_follow_the_line_direction(noto: None, align: str, side: str) -> None:
    image = draw_text(
        TextLayout(("عرض خاص",), 48, 56), chain("ar"), "regular", (600, 80), color="#FFFFFF", align=align, lang="ar"
    )
    columns = np.flatnonzero(ink(image).any(axis=0))
    assert (columns[-1] >= 590) if side == "right" else (columns[0] <= 10)
    assert (columns[0] > 300) if side == "right" else (columns[-1] < 300)


def test_start_is_left_for_a_latin_line() -> None:
    image = draw_text(TextLayout(("Sale",), 48, 56), DEJAVU, "regular", (600, 80), color="#FFFFFF", align="start")
    columns = np.flatnonzero(ink(image).any(axis=0))
    assert columns[0] <= 10 and columns[-1] < 300
