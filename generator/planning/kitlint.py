"""Lint of a brand kit's colours: the kit's text colour must read on its backgrounds, and the call to
action (drawn in the text colour) on its ``primary`` plate, by the WCAG contrast ratio; a problem names
the kit's file and line."""

from __future__ import annotations

from generator.core.errors import TemplateError
from generator.planning.templates.brand import Kit

TEXT_RATIO = 4.5  # WCAG AA for text of any size: the link and body texts are small on a phone
PLATE_RATIO = 3.0  # WCAG AA for large text: the call to action is bold and large


def _luminance(color: str) -> float:
    """WCAG relative luminance of ``#RRGGBB``."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours: 1 (none) to 21 (black on white)."""
    low, high = sorted((_luminance(a), _luminance(b)))
    return (high + 0.05) / (low + 0.05)


def kit_contrast_problems(kit: Kit) -> list[TemplateError]:
    """One error per pair of the kit's colours that must contrast and does not, at the first colour's line."""
    colors = kit.spec.colors
    text = colors.get("text")
    if text is None:
        return []
    pairs: list[tuple[str, float]] = [(name, TEXT_RATIO) for name in ("background", "background-2") if name in colors]
    pairs += [("primary", PLATE_RATIO)] if "primary" in colors else []
    problems = []
    for name, needed in pairs:
        ratio = contrast(text, colors[name])
        if ratio < needed:
            problems.append(kit.error(
                f"the text colour {text} on {name} {colors[name]} has a contrast of {ratio:.2f}:1, under {needed:g}:1; "
                f"make one lighter or darker", ("colors", "text"),
            ))  # fmt: skip
    return problems
