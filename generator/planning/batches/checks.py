"""A loaded batch spec checked against where it runs: its secrets, its templates and its local catalog."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Collection, Mapping
from pathlib import Path

from generator.core.errors import ConfigError
from generator.planning.batches.loading import Batch, FieldPath
from generator.planning.templates.schema import did_you_mean

SECRET_PREFIX = "whsec_"
SECRET_BYTES = (24, 64)  # the Standard Webhooks spec's bounds on a signing key, decoded


def batch_problems(
    batch: Batch, template_ids: Collection[str], environ: Mapping[str, str], *, catalog: bool = True
) -> list[ConfigError]:
    """Every reason ``batch`` cannot run here, each at the line of the field to fix.

    Args:
        batch: a loaded spec.
        template_ids: the ids of the templates available to it.
        environ: the environment variables (``os.environ``); secrets are checked, never printed.
        catalog: whether a local catalog file must be there now (a scheduler reading its specs asks
            only at fire time: an export may land just before it).
    """
    problems = [*_secret_problems(batch, environ), *_template_problems(batch, template_ids)]
    source = batch.catalog_source
    if catalog and isinstance(source, Path) and not source.is_file():
        problems.append(batch.error("catalog file not found", ("catalog", "source"), path=source))
    return problems


def _secret_problems(batch: Batch, environ: Mapping[str, str]) -> list[ConfigError]:
    problems = []
    for index, notify in enumerate(batch.spec.notify):
        at = ("notify", index, "secret_env")
        value = environ.get(notify.secret_env)
        if value is None:
            message = f"environment variable {notify.secret_env} is not set"
            problems.append(batch.error(message, at, rule=f"set it to the webhook's {SECRET_PREFIX} secret"))
        elif (reason := _secret_flaw(value)) is not None:
            message = f"environment variable {notify.secret_env} does not hold a webhook secret: {reason}"
            rule = f"{SECRET_PREFIX} then {SECRET_BYTES[0]} to {SECRET_BYTES[1]} bytes in base64"
            problems.append(batch.error(message, at, rule=rule))
    return problems


def _secret_flaw(value: str) -> str | None:
    """Why ``value`` is not a Standard Webhooks secret, or None; the message never repeats the secret."""
    if not value.startswith(SECRET_PREFIX):
        return f"it does not start with {SECRET_PREFIX}"
    try:
        key = base64.b64decode(value.removeprefix(SECRET_PREFIX), validate=True)
    except binascii.Error:
        return f"what follows {SECRET_PREFIX} is not base64"
    low, high = SECRET_BYTES
    if not low <= len(key) <= high:
        return f"it decodes to {len(key)} bytes"
    return None


def _template_problems(batch: Batch, template_ids: Collection[str]) -> list[ConfigError]:
    templates = () if batch.spec.templates == "auto" else batch.spec.templates
    named: list[tuple[FieldPath, str]] = [(("templates", index), name) for index, name in enumerate(templates)]
    if batch.spec.fallback_template is not None:
        named.append((("fallback_template",), batch.spec.fallback_template))
    return [
        batch.error(
            f"unknown template {name!r}" + did_you_mean(name, template_ids),
            where,
            available=", ".join(sorted(template_ids)) or "none",
        )
        for where, name in named
        if name not in template_ids
    ]
