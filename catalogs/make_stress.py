#!/usr/bin/env python3
"""Write a stress catalog: 40 valid rows at the edges of the Google Merchant Center spec.

Every row is valid Merchant data, and each pushes one thing a template has to survive:

* titles from 1 to 150 characters (the spec's maximum), titles with line breaks, titles that are
  one long unbroken token, titles in capitals;
* brands up to 70 characters (the maximum);
* highlights up to 150 characters each (the maximum), up to 10 of them;
* Chinese, Japanese, Korean, Arabic, Hebrew, Thai, Hindi and emoji titles, brands and highlights;
* prices from 0.01 to seven figures, sales from 1 % to 99 % off, and JPY/KRW/INR/EUR/GBP amounts.

The text is built from fixed word lists by row number, never at random, so the file is the same
bytes on every run. Images are copied from the sample catalog, so the catalog folder is
self-contained.

Usage: ``python catalogs/make_stress.py OUT_DIR`` writes ``OUT_DIR/stress.csv`` and
``OUT_DIR/images/``.
"""

from __future__ import annotations

import argparse
import csv
import shutil
from pathlib import Path

SAMPLE_IMAGES = Path(__file__).resolve().parent / "images"
IMAGES = (
    "lipstick-ruby.png", "serum-aqua.png", "headphones-cobalt.png", "phone-graphite.png", "sneaker-crimson.png",
    "handbag-emerald.png", "coffee-bag-amber.png", "honey-jar-gold.png", "lamp-teal.png", "mug-tangerine.png",
    "camera-violet.jpg", "watch-lime.png",
)  # fmt: skip
COLUMNS = (
    "id", "title", "description", "link", "image_link", "price", "sale_price", "brand", "product_type",
    "google_product_category", "color", "size", "product_highlight", "availability",
)  # fmt: skip
WORDS = (
    "Ultra", "Lightweight", "Waterproof", "Premium", "Organic", "Stainless", "Steel", "Insulated", "Travel",
    "Bottle", "with", "Leak-Proof", "Lid", "and", "Carrying", "Strap", "for", "Hiking", "Camping", "Cycling",
    "Gym", "Office", "Everyday", "Use", "Double-Wall", "Vacuum", "Keeps", "Drinks", "Cold", "Hot", "Hours",
    "BPA-Free", "Dishwasher-Safe", "Matte", "Finish", "Extra-Large", "Capacity", "Ergonomic", "Handle",
)  # fmt: skip
BRAND_WORDS = (
    "Maison", "des", "Artisans", "Réunis", "de", "Provence", "&", "Cie", "International", "Outdoor", "Supply",
)  # fmt: skip
HIGHLIGHT_WORDS = (
    "Keeps", "drinks", "ice-cold", "for", "24", "hours", "and", "hot", "12", "hours", "thanks", "to",
    "double-wall", "vacuum", "insulation", "made", "from", "food-grade", "18/8", "stainless", "steel",
    "with", "a", "powder-coated", "finish", "that", "resists", "scratches", "everyday", "knocks",
)  # fmt: skip


def words(source: tuple[str, ...], start: int, length: int, sep: str = " ") -> str:
    """The longest run of ``source`` words (cycled from ``start``) within ``length`` characters."""
    out = ""
    index = start
    while True:
        word = source[index % len(source)]
        candidate = f"{out}{sep}{word}" if out else word
        if len(candidate) > length:
            return out
        out, index = candidate, index + 1


def title_rows() -> list[dict[str, str]]:
    """Latin titles, brands and highlights at and around the spec's lengths."""
    rows = []
    for n, (title_len, brand_len, highlight_len, highlights) in enumerate([
        (1, 1, 0, 0), (12, 4, 20, 1), (41, 12, 40, 3), (60, 20, 60, 3), (75, 30, 80, 3), (90, 40, 100, 5),
        (110, 50, 120, 5), (130, 60, 140, 10), (150, 70, 150, 10), (150, 70, 150, 3), (149, 69, 149, 2),
        (140, 24, 150, 4), (35, 70, 30, 1), (150, 8, 150, 1), (100, 70, 10, 10), (55, 35, 150, 2),
        (120, 15, 75, 3), (145, 45, 145, 6), (80, 65, 120, 4), (25, 60, 150, 3), (150, 70, 25, 2), (66, 33, 99, 3),
    ]):  # fmt: skip
        title = words(WORDS, n * 3, title_len) or "X"
        brand = words(BRAND_WORDS, 0, brand_len) or "Q"
        rows.append({
            "title": title, "brand": brand,
            "product_highlight": "|".join(words(HIGHLIGHT_WORDS, n + k, highlight_len) for k in range(highlights)),
        })  # fmt: skip
    return rows


def shape_rows() -> list[dict[str, str]]:
    """Line breaks, unbroken tokens, capitals, punctuation, and every script templates must draw."""
    long_token = "XJ-9000-PRO-MAX-ULTRA-2026-EDITION-" + "A1B2C3D4E5F6" * 3
    return [
        {"title": "Insulated Travel Bottle\nwith Leak-Proof Lid", "brand": "Hydro Peak"},
        {"title": "Classic Cotton Tee\nCrew Neck\nRelaxed Fit\nOrganic Cotton", "brand": "Basics Co."},
        {"title": "  Linen   Shirt \n\n Short   Sleeve  ", "brand": "  Coast  Line "},
        {"title": long_token[:100], "brand": "Nova"},
        {"title": "Donaudampfschifffahrtsgesellschaft Kapitänsmütze aus Schurwolle, handgefertigt", "brand": "Hutmacherei Österreich"},
        {"title": words(WORDS, 5, 150).upper(), "brand": words(("GLOBAL", "OUTDOOR", "SUPPLY", "COMPANY"), 0, 70).upper()},
        {"title": "“Smart” Plug – 2-Pack (10A, 2.4 GHz Wi-Fi) — Works with Alexa/Google/SmartThings; App & Voice Control!", "brand": "Plug & Play™"},
        {"title": "轻薄羽绒服 女款 冬季保暖 连帽外套 防风防水 可收纳便携 多色可选 加大码", "brand": "北极星户外用品有限公司",
         "product_highlight": "90%白鸭绒填充，轻盈保暖|防泼水面料，雨雪天气也能穿|可收纳进口袋，出行方便"},
        {"title": "国産ひのき 天然木 まな板 抗菌 食洗機対応 大きめサイズ 45×25cm 日本製 職人手作り 贈り物にも最適", "brand": "木工房たくみ",
         "product_highlight": "天然ひのきの抗菌作用で清潔|刃当たりがやさしく包丁が長持ち|一枚ずつ職人が手仕上げ"},
        {"title": "한국 전통 유기농 녹차 티백 100개입 제주산 첫물차 선물용 고급 패키지", "brand": "제주 녹차 농원",
         "product_highlight": "제주 유기농 녹차 잎만 사용|첫물차 특유의 부드러운 맛"},
        {"title": "عطر العود الملكي للرجال والنساء، ثبات طويل يدوم حتى ٢٤ ساعة، ١٠٠ مل", "brand": "دار العطور الشرقية",
         "product_highlight": "زيت عود طبيعي|ثبات يدوم طوال اليوم|عبوة هدايا فاخرة"},
        {"title": "שמן זית כתית מעולה מהגליל, כבישה קרה ראשונה, 750 מ\"ל", "brand": "משק הגליל"},
        {"title": "ชุดกระทะเทฟลอนเคลือบหินอ่อน 3 ชิ้น ไม่ติดกระทะ ใช้ได้กับเตาทุกประเภท รวมเตาแม่เหล็กไฟฟ้า", "brand": "ครัวไทยพลัส",
         "product_highlight": "เคลือบหินอ่อนไม่ติดกระทะ|ใช้ได้กับเตาแม่เหล็กไฟฟ้า"},
        {"title": "हस्तनिर्मित सूती कुर्ता पुरुषों के लिए, आरामदायक फिट, सभी मौसम के लिए उपयुक्त", "brand": "खादी ग्रामोद्योग",
         "product_highlight": "शुद्ध सूती कपड़ा|हाथ से बुना हुआ"},
        {"title": "🔥 Summer Sale 🌞 Beach Towel 🏖️ Extra Large 👨‍👩‍👧‍👦 Family Size ✨", "brand": "Sunny Days 🌈",
         "product_highlight": "Quick-dry microfibre 💨|Sand-free 🏝️|Fits the whole family 👨‍👩‍👧‍👦"},
        {"title": "Café Crème Brûlée — Édition Limitée, Torréfaction Artisanale Française, Grains Entiers 1 kg", "brand": "Brûlerie Saint-Émilion"},
        {"title": "Zeitgeist® Wanduhr „Bauhaus“ – geräuschloses Quarzuhrwerk, Ø 30 cm, Eiche massiv", "brand": "Gebrüder Uhrmacher GmbH & Co. KG"},
        {"title": "Mixed 日本製 Ceramic Mug マグカップ 350ml — Handmade in 有田 Arita", "brand": "Arita Kiln 有田焼"},
    ]  # fmt: skip


PRICES = (
    ("0.01 USD", ""), ("19.99 USD", "19.98 USD"), ("1,299,999.99 USD", "12,999.99 USD"), ("24.00 USD", "0.24 USD"),
    ("1.299,00 EUR", "999,00 EUR"), ("£1,049.50", ""), ("1,980 JPY", "1,480 JPY"), ("₩129,000", "₩99,000"),
    ("1,24,999.00 INR", "99,999.00 INR"), ("9.99 CAD", ""),
)  # fmt: skip


def stress_rows() -> list[dict[str, str]]:
    """All 40 rows, in order, with every column filled as Merchant data."""
    specs = title_rows() + shape_rows()
    rows = []
    for n, spec in enumerate(specs):
        price, sale = PRICES[n % len(PRICES)]
        row = dict.fromkeys(COLUMNS, "")
        row.update(
            id=f"STRESS-{n + 1:03d}",
            title=spec["title"],
            description=f"Stress row {n + 1}. " + words(HIGHLIGHT_WORDS, n, 300),
            link=f"https://shop.example.com/p/stress-{n + 1:03d}",
            image_link=f"images/{IMAGES[n % len(IMAGES)]}",
            price=price,
            sale_price=sale,
            brand=spec["brand"],
            product_type=("Home & Garden > Kitchen & Dining > Drinkware > Bottles", "Apparel & Accessories > Clothing",
                          "Health & Beauty > Personal Care", "Electronics > Audio", "Food, Beverages & Tobacco")[n % 5],
            google_product_category=str(500000 + n),
            color=("midnight blue / sand", "red", "", "sage green, oatmeal and charcoal heather", "黒")[n % 5],
            size=("XS", "", "45 × 25 cm", "One size fits most (adjustable strap 60–140 cm)", "500 g")[n % 5],
            product_highlight=spec.get("product_highlight", "Durable|Easy to clean|Great gift"),
            availability="in stock",
        )  # fmt: skip
        rows.append(row)
    return rows


def write_stress(folder: Path) -> Path:
    """Write ``folder/stress.csv`` and its images; returns the CSV's path."""
    images = folder / "images"
    images.mkdir(parents=True, exist_ok=True)
    for name in IMAGES:
        shutil.copyfile(SAMPLE_IMAGES / name, images / name)
    path = folder / "stress.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(stress_rows())
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write stress.csv and images/ into")
    print(write_stress(parser.parse_args().out))


if __name__ == "__main__":
    main()
