"""Voice-over lines read for the speech engine: prices, percentages, numbers, units, model numbers,
abbreviations, in each language, with the span of every written word in the spoken text."""

from __future__ import annotations

import subprocess
import sys

import pytest

from generator.planning.voice import SpokenLine, spoken_line


def test_the_issue_examples() -> None:
    assert (
        spoken_line("$1,299.99", "en_US").spoken == "one thousand two hundred ninety-nine dollars and ninety-nine cents"
    )
    assert spoken_line("19,99 €", "de_DE").spoken == "neunzehn Euro neunundneunzig"
    assert spoken_line("-30%", "en_US").spoken == "thirty percent off"


def _check(text: str, locale: str, spoken: str, currency: str | None = None) -> None:
    assert spoken_line(text, locale, currency).spoken == spoken


@pytest.mark.parametrize(
    ("text", "locale", "currency", "spoken"),
    [
        ("$20", "en_US", None, "twenty dollars"),
        ("€5.00", "en_US", None, "five euros"),
        ("1 $", "en_US", None, "one dollar"),
        ("$0.99", "en_US", None, "ninety-nine cents"),
        ("£1.50", "en_GB", None, "one pound and fifty pence"),
        ("USD 12", "en_US", None, "twelve dollars"),
        ("12 EUR", "de_DE", None, "zwölf Euro"),
        ("$20", "en_US", "CAD", "twenty dollars"),
        ("$20", "fr_FR", "CAD", "vingt dollars"),  # no dollar in France: the product's currency decides
        ("$5", "de_DE", None, "fünf Dollar"),  # nor in Germany and no currency given: $ is USD
        ("¥500", "en_US", None, "five hundred yen"),
        ("¥500", "en_US", "CNY", "five hundred Chinese yuan"),  # not in the lexicon: CLDR's name
        ("0,99 €", "de_DE", None, "neunundneunzig Cent"),
        ("1.299,00 €", "de_DE", None, "eintausendzweihundertneunundneunzig Euro"),
        ("19,99 €", "fr_FR", None, "dix-neuf euros quatre-vingt-dix-neuf"),
        (
            "1\u202f299,99\u00a0$US",
            "fr_FR",
            None,
            "mille deux cent quatre-vingt-dix-neuf dollars quatre-vingt-dix-neuf",
        ),
        ("19,99 €", "es_ES", None, "diecinueve euros con noventa y nueve"),
        ("1 €", "es_ES", None, "un euro"),
        ("21 £", "es_ES", None, "veintiuna libras"),
        ("19,99 €", "it_IT", None, "diciannove euro e novantanove"),
        ("€ 19,99", "nl_NL", None, "negentien euro negenennegentig"),
        ("R$ 1.299,90", "pt_BR", None, "mil duzentos e noventa e nove reais e noventa centavos"),
        ("2 £", "pt_BR", None, "duas libras"),
        ("¥1,299", "ja_JP", None, "千二百九十九円"),
        ("AED 199", "ar_AE", None, "مائة و تسعة و تسعون درهم"),
        ("-20 €", "fr_FR", None, "vingt euros de réduction"),
        ("-20 € de remise", "fr_FR", None, "vingt euros de remise"),
        ("TOP 10", "en_US", None, "TOP ten"),  # TOP is an ISO code, but not one the lexicon names
    ],
)
def test_prices(text: str, locale: str, currency: str | None, spoken: str) -> None:
    _check(text, locale, spoken, currency)


@pytest.mark.parametrize(
    ("text", "locale", "spoken"),
    [
        ("30%", "en_US", "thirty percent"),
        ("-30% off", "en_US", "thirty percent off"),  # the line says "off" already
        ("Save 2.5%", "en_US", "Save two point five percent"),
        ("+30%", "en_US", "plus thirty percent"),
        ("\u221230\u2009%", "en_US", "thirty percent off"),
        ("\u221230 %", "en_US", "thirty percent off"),
        ("30 %", "de_DE", "dreißig Prozent"),
        ("-30%", "de_DE", "dreißig Prozent Rabatt"),
        ("-30%", "fr_FR", "trente pour cent de réduction"),
        ("-30%", "es_ES", "treinta por ciento de descuento"),
        ("-30%", "it_IT", "trenta per cento di sconto"),
        ("-30%", "nl_NL", "dertig procent korting"),
        ("-30%", "pt_BR", "trinta por cento de desconto"),
    ],
)
def test_percentages(text: str, locale: str, spoken: str) -> None:
    _check(text, locale, spoken)


@pytest.mark.parametrize(
    ("text", "locale", "spoken"),
    [
        ("2 pack", "en_US", "two pack"),
        ("2.5", "en_US", "two point five"),
        ("2,5", "de_DE", "zwei Komma fünf"),
        ("1,299 sold", "en_US", "one thousand two hundred ninety-nine sold"),
        ("1.299", "de_DE", "eintausendzweihundertneunundneunzig"),
        ("1\u202f299 avis", "fr_FR", "mille deux cent quatre-vingt-dix-neuf avis"),
        ("-5", "en_US", "minus five"),
        ("007", "en_US", "zero zero seven"),
        ("1st 2nd 3rd 4th 21st", "en_US", "first second third fourth twenty-first"),
        ("1er", "fr_FR", "premier"),
        ("1ª", "es_ES", "primera"),
        ("Summer 2024", "en_US", "Summer twenty twenty-four"),
        ("New for 2024.", "en_US", "New for twenty twenty-four."),
        ("1999 reviews", "en_US", "one thousand nine hundred ninety-nine reviews"),
        ("the 1990s", "en_US", "the nineteen nineties"),
        ("2024", "de_DE", "zweitausendvierundzwanzig"),
    ],
)
def test_numbers(text: str, locale: str, spoken: str) -> None:
    _check(text, locale, spoken)


@pytest.mark.parametrize(
    ("text", "locale", "spoken"),
    [
        ("500ml", "en_US", "five hundred milliliters"),
        ("500 ml", "en_US", "five hundred milliliters"),
        ("2kg", "en_US", "two kilograms"),
        ("15 cm", "en_US", "fifteen centimeters"),
        ("1.5L", "en_US", "one point five liters"),
        ("1 oz", "en_US", "one ounce"),
        ('55" TV', "en_US", "fifty-five inches TV"),
        ("55in", "en_US", "fifty-five inches"),
        ("55-inch", "en_US", "fifty-five inch"),
        ("5 in stock", "en_US", "five in stock"),
        ("4K 5G", "en_US", "four K five G"),
        ("128GB", "en_US", "one hundred twenty-eight gigabytes"),
        ("2TB 65W 120Hz", "en_US", "two terabytes sixty-five watts one hundred twenty hertz"),
        ("5000mAh", "en_US", "five thousand milliamp hours"),
        ("2x faster", "en_US", "two times faster"),
        ("x2", "en_US", "two times"),
        ("500 ml", "de_DE", "fünfhundert Milliliter"),
        ("1 l", "de_DE", "ein Liter"),
        ("2kg", "de_DE", "zwei Kilogramm"),
        ("15 cm", "de_DE", "fünfzehn Zentimeter"),
        ("1,5 l", "fr_FR", "un virgule cinq litre"),
        ("1x", "es_ES", "una vez"),
        ("500ml", "ja_JP", "五百ミリリットル"),
    ],
)
def test_units(text: str, locale: str, spoken: str) -> None:
    _check(text, locale, spoken)


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        ("WH-1000XM5", "W H one thousand X M five"),
        ("A2", "A two"),
        ("iPhone 15", "iPhone fifteen"),
        ("2-in-1", "two in one"),
        ("Tom & Jerry", "Tom and Jerry"),
        ("w/ case", "with case"),
        ("Buds + case", "Buds plus case"),
        ("Approx. 5 kg", "approximately five kilograms"),
        ("incl. case, vs. rivals", "including case, versus rivals"),
        ("No. 5 and #1 seller", "number five and number one seller"),
        ("Just say No.", "Just say No."),
        ("Brand™", "Brand"),
    ],
)
def test_model_numbers_and_abbreviations(text: str, spoken: str) -> None:
    _check(text, "en_US", spoken)


@pytest.mark.parametrize(
    ("text", "locale", "spoken"),
    [
        ("Salz & Pfeffer, inkl. Mühle", "de_DE", "Salz und Pfeffer, inklusive Mühle"),
        ("Nr. 1", "de_DE", "Nummer eins"),
        ("Sel & poivre", "fr_FR", "Sel et poivre"),
        ("خصم ٣٠٪ على كل شيء", "ar_AE", "خصم ثلاثون بالمئة على كل شيء"),
        ("٣ قطع", "ar_AE", "ثلاثة قطع"),
        ("١٢٫٥ كغ", "ar_AE", "اثنا عشر فاصلة خمسة كغ"),
        ("今なら30%オフ", "ja_JP", "今なら三十パーセントオフ"),
        ("2個セット", "ja_JP", "二個セット"),
        ("Bara 5 kvar", "sv_SE", "Bara fem kvar"),  # num2words, no lexicon: plain numbers only
        ("Only 5 left, $5", "xx_XX", "Only 5 left, $5"),  # num2words lacks the language: as written
    ],
)
def test_other_languages(text: str, locale: str, spoken: str) -> None:
    _check(text, locale, spoken)


def _said(line: SpokenLine) -> list[str]:
    return [line.spoken[start:end] for start, end in line.spans]


def test_spans_cover_each_written_word_and_the_words_stay_as_written() -> None:
    line = spoken_line("Now $1,299.99, -30% off!", "en_US")

    assert line.words == ("Now", "$1,299.99,", "-30%", "off!")
    assert line.written == "Now $1,299.99, -30% off!"
    assert _said(line) == [
        "Now",
        "one thousand two hundred ninety-nine dollars and ninety-nine cents,",
        "thirty percent",
        "off!",
    ]


def test_words_read_together_give_the_first_the_span_and_the_next_an_empty_one_at_its_end() -> None:
    line = spoken_line("Nur 19,99 € heute", "de_DE")

    assert _said(line) == ["Nur", "neunzehn Euro neunundneunzig", "", "heute"]
    assert line.spans[2] == (line.spans[1][1], line.spans[1][1])


def test_words_without_letters_or_digits_are_not_spoken() -> None:
    line = spoken_line("🔥 New drop — now •", "en_US")

    assert line.spoken == "New drop now"
    assert line.spans == ((0, 0), (0, 3), (4, 8), (8, 8), (9, 12), (12, 12))


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("  Now\n\t$1,299.99,  -30 % off!! 🔥 ", "en_US"),
        ("¿Solo 19,99 € hoy? ¡Ya!", "es_ES"),
        ("1\u202f299,99\u00a0€ — 2x 500 ml", "fr_FR"),
        ("", "en_US"),
    ],
)
def test_spoken_is_the_spoken_words_joined_by_single_spaces(text: str, locale: str) -> None:
    line = spoken_line(text, locale)

    assert line.written == " ".join(text.split())
    assert line.words == tuple(text.split())
    assert len(line.spans) == len(line.words)
    assert line.spoken == " ".join(said for said in _said(line) if said)
    ends = [0, *(end for _, end in line.spans)]
    assert all(start in (before, before + 1) for (start, _), before in zip(line.spans, ends))


def test_voice_imports_nothing_from_rendering() -> None:
    code = (
        "import sys, generator.planning.voice; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'render', 'torch', 'diffusers'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"
