"""What each language calls the things a voice-over line reads out: currencies, units, percent,
a reduction, abbreviations. Languages are keyed by their language part (``pt`` for ``pt_BR``).

A noun is written ``one|other`` (the same for both without ``|``), with ``f:`` before a
feminine noun so the number before it agrees (``una libra``, ``duas libras``). Which form a
count takes is the locale's CLDR plural rule.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Noun:
    """A counted noun: its form for one, for other counts, and whether it is feminine."""

    one: str
    other: str
    feminine: bool = False

    @classmethod
    def parse(cls, spec: str) -> Noun:
        feminine = spec.startswith("f:")
        one, _, other = spec.removeprefix("f:").partition("|")
        return cls(one, other or one, feminine)


@dataclass(frozen=True)
class Words:
    """How one language says what the rules need.

    ``off`` wraps a reduction (``{}`` is the amount) unless a word of ``off_words`` is next to
    it. ``money_and`` joins a price's major and minor amounts; ``minor_named`` says whether the
    minor unit is named after them (``and ninety-nine cents``) or left out (``Euro neunundneunzig``).
    ``plural`` names the CLDR plural categories that take a noun's other form (Arabic: 3 to 10 only).
    ``years``: a lone 1900-2099 may be a year (``twenty twenty-four``), ``1990s`` a decade.
    ``masculine`` and ``feminine`` are regex substitutions on a whole number said before such a noun.
    """

    point: str
    minus: str
    percent: str
    off: str
    off_words: frozenset[str]
    number: str
    money_and: str
    minor_named: bool
    abbreviations: Mapping[str, str]
    ordinals: frozenset[str] = frozenset()
    plural: frozenset[str] = frozenset({"zero", "two", "few", "many", "other"})
    years: bool = False
    masculine: tuple[tuple[str, str], ...] = ()
    feminine: tuple[tuple[str, str], ...] = ()
    joiner: str = " "
    nouns: Mapping[str, Noun] = field(default_factory=dict)


# ISO code -> (major unit, minor unit) nouns; other currencies take CLDR's name (babel), minor unnamed
CURRENCIES: dict[str, tuple[str, str | None]] = {
    "USD": ("dollar", "cent"), "CAD": ("dollar", "cent"), "AUD": ("dollar", "cent"), "NZD": ("dollar", "cent"),
    "EUR": ("euro", "cent"), "GBP": ("pound", "penny"), "JPY": ("yen", None), "CHF": ("franc", "rappen"),
    "SEK": ("krona", "ore"), "NOK": ("krone", "ore"), "DKK": ("krone", "ore"), "BRL": ("real", "centavo"),
    "MXN": ("peso", "centavo"), "AED": ("dirham", "fils"),
}  # fmt: skip

# unit symbol as written after a number -> noun; symbols of two letters or more also match in any case
UNITS: dict[str, str] = {
    "ml": "ml", "l": "l", "L": "l", "mg": "mg", "g": "g", "kg": "kg", "mm": "mm", "cm": "cm", "m": "m", "km": "km",
    "in": "in", '"': "in", "″": "in", "ft": "ft", "oz": "oz", "lb": "lb", "lbs": "lb", "GB": "GB", "TB": "TB",
    "MB": "MB", "Go": "GB", "To": "TB", "Mo": "MB", "W": "W", "V": "V", "Hz": "Hz", "GHz": "GHz", "mAh": "mAh",
    "MP": "MP", "pcs": "pcs", "pc": "pcs", "x": "x", "×": "x",
}  # fmt: skip
UNITS_ANY_CASE = {s.lower(): u for s, u in UNITS.items() if len(s) > 1 and s not in ("in", "Go", "To", "Mo")}
GLUED_ONLY = frozenset({"in", '"', "″", "x", "×"})  # "5 in stock", "2 x 3" are not units

_COLUMNS = ("en", "de", "fr", "es", "it", "nl", "pt", "ja")
_NOUNS: dict[str, tuple[str, ...]] = {
    "dollar": ("dollar|dollars", "Dollar", "dollar|dollars", "dólar|dólares", "dollaro|dollari", "dollar", "dólar|dólares", "ドル"),
    "euro": ("euro|euros", "Euro", "euro|euros", "euro|euros", "euro", "euro", "euro|euros", "ユーロ"),
    "pound": ("pound|pounds", "Pfund", "f:livre|livres", "f:libra|libras", "f:sterlina|sterline", "pond", "f:libra|libras", "ポンド"),
    "yen": ("yen", "Yen", "yen|yens", "yen|yenes", "yen", "yen", "iene|ienes", "円"),
    "franc": ("franc|francs", "Franken", "franc|francs", "franco|francos", "franco|franchi", "frank", "franco|francos", "フラン"),
    "krona": ("krona|kronor", "f:Krone|Kronen", "f:couronne|couronnes", "f:corona|coronas", "f:corona|corone", "kroon|kronen", "f:coroa|coroas", ""),
    "krone": ("krone|kroner", "f:Krone|Kronen", "f:couronne|couronnes", "f:corona|coronas", "f:corona|corone", "kroon|kronen", "f:coroa|coroas", ""),
    "real": ("real|reais", "Real|Reais", "réal|réaux", "real|reales", "real|reais", "real", "real|reais", "レアル"),
    "peso": ("peso|pesos", "Peso|Pesos", "peso|pesos", "peso|pesos", "peso|pesos", "peso", "peso|pesos", "ペソ"),
    "dirham": ("dirham|dirhams", "Dirham", "dirham|dirhams", "dírham|dírhams", "dirham", "dirham", "dirham|dirhams", "ディルハム"),
    "cent": ("cent|cents", "Cent", "centime|centimes", "céntimo|céntimos", "centesimo|centesimi", "cent", "centavo|centavos", "セント"),
    "penny": ("penny|pence", "Penny|Pence", "penny|pence", "penique|peniques", "penny|pence", "penny|pence", "pêni|pence", "ペンス"),
    "rappen": ("centime|centimes", "Rappen", "centime|centimes", "céntimo|céntimos", "centesimo|centesimi", "rappen", "centavo|centavos", ""),
    "ore": ("öre", "Öre", "öre", "öre", "öre", "öre", "öre", ""),
    "centavo": ("centavo|centavos", "Centavo|Centavos", "centavo|centavos", "centavo|centavos", "centavo|centavos", "centavo", "centavo|centavos", ""),
    "fils": ("fils", "Fils", "fils", "fils", "fils", "fils", "fils", ""),
    "ml": ("milliliter|milliliters", "Milliliter", "millilitre|millilitres", "mililitro|mililitros", "millilitro|millilitri", "milliliter", "mililitro|mililitros", "ミリリットル"),
    "l": ("liter|liters", "Liter", "litre|litres", "litro|litros", "litro|litri", "liter", "litro|litros", "リットル"),
    "mg": ("milligram|milligrams", "Milligramm", "milligramme|milligrammes", "miligramo|miligramos", "milligrammo|milligrammi", "milligram", "miligrama|miligramas", "ミリグラム"),
    "g": ("gram|grams", "Gramm", "gramme|grammes", "gramo|gramos", "grammo|grammi", "gram", "grama|gramas", "グラム"),
    "kg": ("kilogram|kilograms", "Kilogramm", "kilo|kilos", "kilo|kilos", "chilo|chili", "kilo", "quilo|quilos", "キロ"),
    "mm": ("millimeter|millimeters", "Millimeter", "millimètre|millimètres", "milímetro|milímetros", "millimetro|millimetri", "millimeter", "milímetro|milímetros", "ミリ"),
    "cm": ("centimeter|centimeters", "Zentimeter", "centimètre|centimètres", "centímetro|centímetros", "centimetro|centimetri", "centimeter", "centímetro|centímetros", "センチ"),
    "m": ("meter|meters", "Meter", "mètre|mètres", "metro|metros", "metro|metri", "meter", "metro|metros", "メートル"),
    "km": ("kilometer|kilometers", "Kilometer", "kilomètre|kilomètres", "kilómetro|kilómetros", "chilometro|chilometri", "kilometer", "quilômetro|quilômetros", "キロメートル"),
    "in": ("inch|inches", "Zoll", "pouce|pouces", "f:pulgada|pulgadas", "pollice|pollici", "inch", "f:polegada|polegadas", "インチ"),
    "ft": ("foot|feet", "Fuß", "pied|pieds", "pie|pies", "piede|piedi", "voet", "pé|pés", "フィート"),
    "oz": ("ounce|ounces", "f:Unze|Unzen", "f:once|onces", "f:onza|onzas", "f:oncia|once", "ons", "f:onça|onças", "オンス"),
    "lb": ("pound|pounds", "Pfund", "f:livre|livres", "f:libra|libras", "f:libbra|libbre", "pond", "f:libra|libras", "ポンド"),
    "GB": ("gigabyte|gigabytes", "Gigabyte", "gigaoctet|gigaoctets", "gigabyte|gigabytes", "gigabyte", "gigabyte", "gigabyte|gigabytes", "ギガバイト"),
    "TB": ("terabyte|terabytes", "Terabyte", "téraoctet|téraoctets", "terabyte|terabytes", "terabyte", "terabyte", "terabyte|terabytes", "テラバイト"),
    "MB": ("megabyte|megabytes", "Megabyte", "mégaoctet|mégaoctets", "megabyte|megabytes", "megabyte", "megabyte", "megabyte|megabytes", "メガバイト"),
    "W": ("watt|watts", "Watt", "watt|watts", "vatio|vatios", "watt", "watt", "watt|watts", "ワット"),
    "V": ("volt|volts", "Volt", "volt|volts", "voltio|voltios", "volt", "volt", "volt|volts", "ボルト"),
    "Hz": ("hertz", "Hertz", "hertz", "hercio|hercios", "hertz", "hertz", "hertz", "ヘルツ"),
    "GHz": ("gigahertz", "Gigahertz", "gigahertz", "gigahercio|gigahercios", "gigahertz", "gigahertz", "gigahertz", "ギガヘルツ"),
    "mAh": ("milliamp hour|milliamp hours", "f:Milliamperestunde|Milliamperestunden", "milliampère-heure|milliampères-heure", "miliamperio hora|miliamperios hora", "milliampere ora", "milliampère-uur", "miliampère-hora|miliampères-hora", "ミリアンペアアワー"),
    "MP": ("megapixel|megapixels", "Megapixel", "mégapixel|mégapixels", "megapíxel|megapíxeles", "megapixel", "megapixel", "megapixel|megapixels", "メガピクセル"),
    "pcs": ("piece|pieces", "Stück", "f:pièce|pièces", "f:pieza|piezas", "pezzo|pezzi", "stuk|stuks", "f:peça|peças", "個"),
    "x": ("time|times", "mal", "fois", "f:vez|veces", "f:volta|volte", "keer", "f:vez|vezes", "倍"),
}  # fmt: skip
_ARABIC_NOUNS = {
    "dollar": "دولار|دولارات", "euro": "يورو", "pound": "جنيه|جنيهات", "yen": "ين", "dirham": "درهم|دراهم",
    "fils": "فلس|فلوس", "cent": "سنت|سنتات", "penny": "بنس|بنسات",
}  # fmt: skip

_WORDS = {
    "en": Words(
        point="point", minus="minus", percent="percent", off="{} off", off_words=frozenset({"off"}), number="number",
        money_and=" and ", minor_named=True, ordinals=frozenset({"st", "nd", "rd", "th"}), years=True,
        abbreviations={"&": "and", "+": "plus", "w/": "with", "w/o": "without", "approx.": "approximately",
                       "incl.": "including", "excl.": "excluding", "vs.": "versus", "vs": "versus", "etc.": "et cetera"},
    ),
    "de": Words(
        point="Komma", minus="minus", percent="Prozent", off="{} Rabatt", off_words=frozenset({"rabatt"}),
        number="Nummer", money_and=" ", minor_named=False, masculine=(("eins$", "ein"),), feminine=(("eins$", "eine"),),
        abbreviations={"&": "und", "+": "plus", "ca.": "circa", "inkl.": "inklusive", "zzgl.": "zuzüglich",
                       "bzw.": "beziehungsweise", "z.b.": "zum Beispiel", "usw.": "und so weiter", "vs.": "versus"},
    ),
    "fr": Words(
        point="virgule", minus="moins", percent="pour cent", off="{} de réduction",
        off_words=frozenset({"réduction", "remise"}), number="numéro", money_and=" ", minor_named=False,
        ordinals=frozenset({"er", "e", "ème"}), feminine=((r"\bun$", "une"),),
        abbreviations={"&": "et", "+": "plus", "env.": "environ", "etc.": "et cetera"},
    ),
    "es": Words(
        point="coma", minus="menos", percent="por ciento", off="{} de descuento", off_words=frozenset({"descuento"}),
        number="número", money_and=" con ", minor_named=False, ordinals=frozenset({"º", "ª"}),
        masculine=(("veintiuno$", "veintiún"), ("uno$", "un")), feminine=(("uno$", "una"), (r"ientos\b", "ientas")),
        abbreviations={"&": "y", "+": "más", "aprox.": "aproximadamente", "incl.": "incluido", "etc.": "etcétera"},
    ),
    "it": Words(
        point="virgola", minus="meno", percent="per cento", off="{} di sconto", off_words=frozenset({"sconto"}),
        number="numero", money_and=" e ", minor_named=False, ordinals=frozenset({"º", "ª"}),
        masculine=(("^uno$", "un"),), feminine=(("^uno$", "una"),),
        abbreviations={"&": "e", "+": "più", "ca.": "circa", "incl.": "incluso", "ecc.": "eccetera"},
    ),
    "nl": Words(
        point="komma", minus="min", percent="procent", off="{} korting", off_words=frozenset({"korting"}),
        number="nummer", money_and=" ", minor_named=False, ordinals=frozenset({"e", "ste", "de"}),
        abbreviations={"&": "en", "+": "plus", "ca.": "circa", "incl.": "inclusief", "excl.": "exclusief"},
    ),
    "pt": Words(
        point="vírgula", minus="menos", percent="por cento", off="{} de desconto", off_words=frozenset({"desconto"}),
        number="número", money_and=" e ", minor_named=True, ordinals=frozenset({"º", "ª"}),
        feminine=((r"\bum\b", "uma"), (r"\bdois\b", "duas"), (r"entos\b", "entas")),
        abbreviations={"&": "e", "+": "mais", "aprox.": "aproximadamente", "incl.": "incluído"},
    ),
    "ja": Words(
        point="点", minus="マイナス", percent="パーセント", off="{}オフ", off_words=frozenset({"オフ", "割引"}),
        number="ナンバー", money_and="", minor_named=True, joiner="", abbreviations={"&": "アンド", "+": "プラス"},
    ),
    "ar": Words(
        point="فاصلة", minus="سالب", percent="بالمئة", off="خصم {}", off_words=frozenset({"خصم"}), number="رقم",
        money_and=" و ", minor_named=True, plural=frozenset({"few"}), abbreviations={"&": "و", "+": "زائد"},
    ),
}  # fmt: skip


def _nouns(language: str) -> dict[str, Noun]:
    if language == "ar":
        return {key: Noun.parse(spec) for key, spec in _ARABIC_NOUNS.items()}
    column = _COLUMNS.index(language)
    return {key: Noun.parse(row[column]) for key, row in _NOUNS.items() if row[column]}


WORDS = {language: dataclasses.replace(found, nouns=_nouns(language)) for language, found in _WORDS.items()}
