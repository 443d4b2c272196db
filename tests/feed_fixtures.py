"""Catalogs laid out as the platforms publish them, with tiny local images: Google's Merchant Center RSS 2.0
example feed (``g:`` namespace) and Shopify's product CSV template, extended with the fields of issue 26."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

# Distinct, saturated colours, so a decoded frame tells which image it shows.
MAIN, BLUE, GREEN = (220, 30, 30), (20, 40, 235), (20, 200, 40)


def picture(path: Path, colour: tuple[int, int, int], size: int = 48) -> Path:
    """A transparent PNG holding an opaque square of ``colour``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((size // 6, size // 6, size - size // 6, size - size // 6), fill=(*colour, 255))
    image.save(path)
    return path


def google_rss(folder: Path) -> Path:
    """Google's RSS 2.0 example layout: a channel with title, link and description, and ``g:`` items."""
    picture(folder / "images" / "tee.png", MAIN)
    picture(folder / "images" / "tee-back.png", BLUE)
    picture(folder / "images" / "tee-side.png", GREEN)
    picture(folder / "images" / "speaker.png", MAIN)
    path = folder / "feed.xml"
    path.write_text(
        """<?xml version="1.0"?>
<rss xmlns:g="http://base.google.com/ns/1.0" version="2.0">
<channel>
<title>Example - Feed Store</title>
<link>https://store.example.com</link>
<description>An example RSS 2.0 document with two items</description>
<item>
<g:id>TEE_123</g:id>
<g:title>Organic Cotton Tee</g:title>
<g:description>A soft tee of organic cotton.</g:description>
<g:link>https://store.example.com/product/tee</g:link>
<g:image_link>images/tee.png</g:image_link>
<g:additional_image_link>images/tee-back.png</g:additional_image_link>
<g:additional_image_link>images/tee-side.png</g:additional_image_link>
<g:availability>in_stock</g:availability>
<g:price>25.00 USD</g:price>
<g:sale_price>19.99 USD</g:sale_price>
<g:sale_price_effective_date>2026-12-01T00:00-0800/2026-12-13T23:59-0800</g:sale_price_effective_date>
<g:google_product_category>Apparel &amp; Accessories &gt; Clothing &gt; Shirts &amp; Tops</g:google_product_category>
<g:product_type>Apparel &gt; Tops</g:product_type>
<g:brand>Feed Store</g:brand>
<g:gtin>00012345600012</g:gtin>
<g:condition>new</g:condition>
<g:color>Blue</g:color>
<g:size>M</g:size>
<g:material>Organic cotton</g:material>
<g:product_detail>
<g:section_name>General</g:section_name>
<g:attribute_name>Fit</g:attribute_name>
<g:attribute_value>Relaxed</g:attribute_value>
</g:product_detail>
<g:product_detail>
<g:section_name>Care</g:section_name>
<g:attribute_name>Washing</g:attribute_name>
<g:attribute_value>Machine wash, 30 °C</g:attribute_value>
</g:product_detail>
<g:product_highlight>Soft organic cotton</g:product_highlight>
<g:product_highlight>Relaxed fit</g:product_highlight>
</item>
<item>
<g:id>SPK_456</g:id>
<g:title>Pocket Speaker</g:title>
<g:description>A speaker that fits a pocket.</g:description>
<g:link>ftp://store.example.com/speaker</g:link>
<g:image_link>images/speaker.png</g:image_link>
<g:additional_image_link>images/missing.png</g:additional_image_link>
<g:availability>in_stock</g:availability>
<g:price>49.00 USD</g:price>
<g:google_product_category>Electronics &gt; Audio</g:google_product_category>
<g:brand>Feed Store</g:brand>
<g:condition>new</g:condition>
</item>
</channel>
</rss>
""",
        encoding="utf-8",
    )
    return path


# Shopify's product CSV template header, then the review metafield columns review apps fill.
SHOPIFY_HEADER = (
    "Handle", "Title", "Body (HTML)", "Vendor", "Product Category", "Type", "Tags", "Published",
    "Option1 Name", "Option1 Value", "Option2 Name", "Option2 Value", "Option3 Name", "Option3 Value",
    "Variant SKU", "Variant Grams", "Variant Inventory Tracker", "Variant Inventory Qty", "Variant Inventory Policy",
    "Variant Fulfillment Service", "Variant Price", "Variant Compare At Price", "Variant Requires Shipping",
    "Variant Taxable", "Variant Barcode", "Image Src", "Image Position", "Image Alt Text", "Gift Card", "SEO Title",
    "SEO Description", "Variant Image", "Variant Weight Unit", "Variant Tax Code", "Cost per item", "Status",
    "Rating (product.metafields.reviews.rating)", "Rating count (product.metafields.reviews.rating_count)",
)  # fmt: skip


def shopify_csv(folder: Path) -> Path:
    """A Shopify export: a mug in two colours with three images, rated 4.6 of 5 by 1,204 reviews."""
    import csv

    picture(folder / "images" / "mug.png", MAIN)
    picture(folder / "images" / "mug-side.png", BLUE)
    picture(folder / "images" / "mug-top.png", GREEN)
    rating = '{"scale_min":"1.0","scale_max":"5.0","value":"4.6"}'
    first = {
        "Handle": "stoneware-mug", "Title": "Stoneware Mug", "Body (HTML)": "<p>A <b>stoneware</b> mug.</p>",
        "Vendor": "Clay Co", "Product Category": "Home & Garden > Kitchen & Dining > Tableware",
        "Type": "Mugs", "Tags": "kitchen", "Published": "true", "Option1 Name": "Color", "Option1 Value": "Sand",
        "Variant SKU": "MUG-SAND", "Variant Price": "18.00", "Variant Compare At Price": "24.00",
        "Image Src": "images/mug.png", "Image Position": "1", "Status": "active",
        "Rating (product.metafields.reviews.rating)": rating,
        "Rating count (product.metafields.reviews.rating_count)": "1204",
    }  # fmt: skip
    rows = [
        first,
        {"Handle": "stoneware-mug", "Option1 Value": "Slate", "Variant SKU": "MUG-SLATE", "Variant Price": "24.00",
         "Image Src": "images/mug-side.png", "Image Position": "2"},
        {"Handle": "stoneware-mug", "Image Src": "images/mug-top.png", "Image Position": "3"},
    ]  # fmt: skip
    path = folder / "products_export.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, SHOPIFY_HEADER, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path
