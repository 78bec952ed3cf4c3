"""The built-in sample: a seeded world written out in the raw formats real sources have.

Each writer module renders part of the world as files and returns the ingest steps for them
(paths plus the options to ingest them with). `generate` runs every writer in WRITERS.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from dnmobs.sample.world import World, build


@dataclass
class Step:
    """One command the demo makes: `dnmobs ingest` (options are ingest Options fields: format, market,
    crawl_date, mapping) or `dnmobs rates import` (rates run first, so offers get USD prices)."""

    label: str
    paths: list[Path]
    options: dict = field(default_factory=dict)
    command: str = "ingest"  # or "rates"


# Writers run in this order; each is a module with write(world, out_dir) -> list[Step].
WRITERS = ["dnmobs.sample.snapshots", "dnmobs.sample.vendor_tables", "dnmobs.sample.vendor_snapshots",
           "dnmobs.sample.pages", "dnmobs.sample.messengers"]


def generate(out_dir: Path, seed: int = 7) -> tuple[World, list[Step]]:
    world = build(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    steps: list[Step] = []
    for name in WRITERS:
        steps.extend(importlib.import_module(name).write(world, out_dir))
    return world, steps
