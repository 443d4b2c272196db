"""Platform checks in lint: the plans lint made, measured against each platform asked for, as findings.

One finding per platform, rule and template line, naming the row and aspect where the rule is broken worst and
how many more rows break it; a warning, or an error when the check is strict.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Literal

from generator.planning.catalog import Product
from generator.planning.lint import Finding
from generator.planning.plan.types import ShotPlan
from generator.planning.platform_checks import Violation, check_plan
from generator.planning.platforms import PLATFORMS, PlatformCheck
from generator.planning.templates import Template


class PlatformLint:
    """Collects what ``check`` finds in each plan lint makes of ``template``; ``findings`` reports it."""

    def __init__(self, template: Template, check: PlatformCheck) -> None:
        self.template = template
        self.check = check
        self.platforms = [PLATFORMS[name] for name in check.platforms]
        self._found: dict[tuple[str, str, str, int | None, int | None], list[tuple[Violation, str, str]]]
        self._found = defaultdict(list)

    def add(self, plan: ShotPlan, product: Product, who: str) -> None:
        """Check ``plan`` (made for ``product``, named ``who`` in messages) against every platform showing its aspect."""
        for platform in self.platforms:
            if plan.aspect not in platform.aspects:
                continue
            for violation in check_plan(plan, platform, self.template.spec, (product.brand,)):
                where = self.template.error("", _path(violation.field))
                line, column = where.context.get("line"), where.context.get("column")
                key = (
                    platform.name, violation.rule.id, str(where.context.get("file")),
                    line if isinstance(line, int) else None, column if isinstance(column, int) else None,
                )  # fmt: skip
                self._found[key].append((violation, plan.aspect, who))

    def findings(self) -> list[Finding]:
        """One finding per platform, rule and line, at the worst row; and one per platform the template makes
        no aspect of."""
        severity: Literal["error", "warning"] = "error" if self.check.strict else "warning"
        findings = []
        aspects = self.template.spec.canvas.aspects
        for platform in self.platforms:
            if not set(platform.aspects) & set(aspects):
                where = self.template.error("", ("canvas", "aspects"))
                message = (
                    f"{platform.title}: the template makes no {' or '.join(platform.aspects)} video, which "
                    f"{platform.title} shows; add one to canvas.aspects to check it"
                )
                findings.append(Finding.of(where, severity=severity, prefix=message))
        for (name, _, file, line, column), broken in self._found.items():
            worst, aspect, who = max(broken, key=lambda item: item[0].excess)
            rule, title = worst.rule, PLATFORMS[name].title
            others = len(dict.fromkeys(w for _, _, w in broken if w != who))
            more = f" (and {others} more row{'s' if others > 1 else ''})" if others else ""
            message = (
                f"{who}{more} in {aspect}: {title} {rule.id}: {worst.measured} (limit: {worst.limit}). "
                f"{rule.sentence} Source: {rule.source.cite()}"
            )
            findings.append(Finding(severity, message, Path(file), line, column))
        return findings


def _path(field: str) -> tuple[str | int, ...]:
    """``shots[1].text[0]`` as the path ``Template.error`` takes."""
    return tuple(int(p) if p.isdigit() else p for p in field.replace("[", ".").replace("]", "").split(".") if p)
