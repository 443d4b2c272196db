"""Creative guidance per platform, as data: each platform's rules with their values and published sources.

A platform is a table of rules; each rule has an id, its value(s), a sentence a marketer understands, and the
published source it comes from. ``docs/platforms.md`` gives every figure with its address and, where sources
disagree or publish none, which value was chosen and why. ``generator.planning.platform_checks`` measures a
plan against a platform; ``generator.planning.platform_lint`` turns what it finds into lint findings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from generator.core.errors import ConfigError
from generator.core.geometry import Aspect

DOC = "docs/platforms.md"
# Points of width a phone shows a full-width video in (iPhone 12 to 16), to turn a minimum type size in points
# into pixels of the video: a video ``w`` pixels wide shows ``w / PHONE_WIDTH_PT`` pixels per point.
PHONE_WIDTH_PT = 390


@dataclass(frozen=True)
class Source:
    """Where a rule's value is published: its title and address; ``section``: the part of ``docs/platforms.md``."""

    title: str
    url: str
    section: str

    def cite(self) -> str:
        return f"{self.url} ({DOC}#{self.section})"


@dataclass(frozen=True)
class Rule:
    """One check: ``id`` (``opening.product``), its value(s), what it asks in a marketer's words, and its source."""

    id: str
    value: tuple[float, ...]
    sentence: str
    source: Source


@dataclass(frozen=True)
class Platform:
    """A placement's rules, and the aspects it shows (plans in other aspects are not checked against it)."""

    name: str
    title: str
    aspects: tuple[Aspect, ...]
    rules: Mapping[str, Rule]


@dataclass(frozen=True)
class PlatformCheck:
    """What lint checks: the platforms by name, and whether their findings are errors (``strict``) or warnings."""

    platforms: tuple[str, ...]
    strict: bool = False


_SENTENCES: Mapping[str, str] = MappingProxyType({
    "opening.product": "Show the product within the first {0:g} s: viewers decide in a glance whether to stay.",
    "opening.brand": "Show the brand (its name in a text, or a logo) within the first {0:g} s.",
    "opening.hook": "End the opening shot (the hook) within {0:g} s: open fast, then move on.",
    "ending.cta": "End on a call to action: the last shot needs a text in the 'cta' style.",
    "legibility.text-area": "Keep text to at most {0:.0%} of the picture at any moment: let the product speak.",
    "legibility.ui-zone": "Keep text and the product out of the edges the app's buttons and captions cover "
    "(top {0:.0%}, right {1:.0%}, bottom {2:.0%}, left {3:.0%}).",
    "legibility.type-size": "Make every text at least {0:g} pt on a phone that shows the video full width.",
    "length": "Keep the whole ad between {0:g} and {1:g} s long.",
})  # fmt: skip


def _platform(
    name: str, title: str, aspects: tuple[Aspect, ...], rules: Mapping[str, tuple[tuple[float, ...], Source]]
) -> Platform:
    table = {
        rule_id: Rule(rule_id, value, _SENTENCES[rule_id].format(*value), source)
        for rule_id, (value, source) in rules.items()
    }
    return Platform(name, title, aspects, MappingProxyType(table))


def _source(section: str, title: str, url: str) -> Source:
    return Source(title, url, section)


_META_MOBILE = (
    "Meta for Business, 'Want better video ads for mobile?'",
    "https://www.facebook.com/business/news/want-to-better-video-ads-for-mobile-well-show-you-how",
)
_META_LOGO = (
    "Meta's video playbook as summarised by Curious Marketers: 'logo visible within the first 3 seconds'",
    "https://curiousmarketers.club/2024/05/31/how-to-make.html",
)
_SAFE_ZONES = (
    "Shotstack, 'Vertical video safe zones for TikTok, Reels, Stories, Shorts' (Meta's and Google's margins)",
    "https://shotstack.io/learn/vertical-video-safe-zones/",
)
_TEXT_SHARE = (
    "Clarigital, Meta image and video ads: the retired 20% text rule and why its principle stands",
    "https://clarigital.com/codex/paid-advertising/facebook-instagram/image-video-ads",
)
_FEED_SPEC = ("XYZ Lab, Meta ads specs: feed video 1 second to 241 minutes", "https://www.xyzlab.com/meta-ads-specs")
_TIKTOK_SPEC = (
    "TikTok Ads Manager Help, Video Ads Specifications: In-Feed 5-60 s (9-15 s suggested)",
    "https://ads.tiktok.com/help/article?aid=6669199281502552069",
)
_TIKTOK_ZONE = (
    "AdFuse, TikTok ad sizes and specs: keep the top 150 px, bottom 440 px and right 150 px clear",
    "https://adfuseai.com/blog/tiktok-ad-sizes-specs-guide",
)
_TIKTOK_HOOK = (
    "gqv.ai, TikTok ad specs and best practices: 'hook in first 3 seconds'",
    "https://gqv.ai/tools/tiktok-video-specs",
)
_SHORTS_SPEC = (
    "Google Ads Help, YouTube Shorts ads specifications: under 60 s recommended",
    "https://support.google.com/google-ads/answer/16041697",
)
_ABCD = (
    "Animoto on YouTube's ABCDs: brand within the first five seconds",
    "https://animoto.com/blog/video-marketing/abcd-youtube-video-ads/",
)
_HIG = (
    "Apple Human Interface Guidelines, Typography: iOS minimum text size 11 pt",
    "https://developer.apple.com/design/human-interface-guidelines/typography",
)


def _meta(section: str, zone: tuple[float, float, float, float]) -> dict[str, tuple[tuple[float, ...], Source]]:
    """Meta's rules, shared by Reels and the feed (which differ in their UI zones)."""
    return {
        "opening.product": ((1.0,), _source(section, *_META_MOBILE)),
        "opening.brand": ((3.0,), _source(section, *_META_LOGO)),
        "opening.hook": ((3.0,), _source(section, *_META_MOBILE)),
        "ending.cta": ((), _source(section, *_META_MOBILE)),
        "legibility.text-area": ((0.20,), _source(section, *_TEXT_SHARE)),
        "legibility.ui-zone": (zone, _source(section, *(_SAFE_ZONES if any(zone) else _FEED_SPEC))),
        "legibility.type-size": ((11.0,), _source(section, *_HIG)),
        "length": ((1.0, 15.0), _source(section, *_META_MOBILE)),
    }


PLATFORMS: Mapping[str, Platform] = MappingProxyType({
    "reels": _platform("reels", "Reels", ("9:16",), _meta("reels", (0.14, 0.06, 0.35, 0.06))),
    "tiktok": _platform("tiktok", "TikTok", ("9:16",), {
        "opening.product": ((1.0,), _source("tiktok", *_META_MOBILE)),
        "opening.brand": ((3.0,), _source("tiktok", *_META_LOGO)),
        "opening.hook": ((3.0,), _source("tiktok", *_TIKTOK_HOOK)),
        "ending.cta": ((), _source("tiktok", *_TIKTOK_HOOK)),
        "legibility.text-area": ((0.20,), _source("tiktok", *_TEXT_SHARE)),
        "legibility.ui-zone": ((150 / 1920, 150 / 1080, 440 / 1920, 0.06), _source("tiktok", *_TIKTOK_ZONE)),
        "legibility.type-size": ((11.0,), _source("tiktok", *_HIG)),
        "length": ((5.0, 60.0), _source("tiktok", *_TIKTOK_SPEC)),
    }),
    "shorts": _platform("shorts", "YouTube Shorts", ("9:16",), {
        "opening.product": ((1.0,), _source("shorts", *_META_MOBILE)),
        "opening.brand": ((5.0,), _source("shorts", *_ABCD)),
        "opening.hook": ((3.0,), _source("shorts", *_TIKTOK_HOOK)),
        "ending.cta": ((), _source("shorts", *_ABCD)),
        "legibility.text-area": ((0.20,), _source("shorts", *_TEXT_SHARE)),
        "legibility.ui-zone": ((288 / 1920, 192 / 1080, 672 / 1920, 48 / 1080), _source("shorts", *_SAFE_ZONES)),
        "legibility.type-size": ((11.0,), _source("shorts", *_HIG)),
        "length": ((1.0, 60.0), _source("shorts", *_SHORTS_SPEC)),
    }),
    "feed": _platform("feed", "Meta feed", ("4:5", "1:1", "16:9"), _meta("feed", (0.0, 0.0, 0.0, 0.0))),
})  # fmt: skip


def platform_names(values: Sequence[str]) -> tuple[str, ...]:
    """Platform names from ``values``, each a name or a comma list (``reels,tiktok``), in order, once each.

    Raises:
        ConfigError: a name no platform has.
    """
    names = [name.strip().lower() for value in values for name in value.split(",") if name.strip()]
    for name in names:
        if name not in PLATFORMS:
            raise ConfigError(f"unknown platform {name!r}; use one of {', '.join(PLATFORMS)}")
    return tuple(dict.fromkeys(names))
