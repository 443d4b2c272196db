"""Batch specs: which products a scheduled batch renders, through which templates, stored where, and when.

::

    batches/*.yaml ─► loading (YAML with the line of every field; spec's models; errors at their lines)
                   ─► Batch ─► checks (secrets, template ids, the local catalog: what the environment holds)
                            ─► filter (the catalog's products the batch selects)

Loading reuses the templates' YAML and schema helpers, so a bad spec is told as a template is:
``file:line, field ...: message``, with a "did you mean" for a misspelt field. Every error is a
``ConfigError`` (exit 2).
"""

from __future__ import annotations

from generator.planning.batches.checks import batch_problems
from generator.planning.batches.filter import select_products
from generator.planning.batches.loading import Batch, batch_schema, load_batch
from generator.planning.batches.spec import (
    BatchSpec,
    CatalogBlock,
    Condition,
    ExecutorBlock,
    Filter,
    Limits,
    Notify,
    OnRemoved,
    PriceRange,
    Schedule,
)

__all__ = [
    "Batch",
    "BatchSpec",
    "CatalogBlock",
    "Condition",
    "ExecutorBlock",
    "Filter",
    "Limits",
    "Notify",
    "OnRemoved",
    "PriceRange",
    "Schedule",
    "batch_problems",
    "batch_schema",
    "load_batch",
    "select_products",
]
