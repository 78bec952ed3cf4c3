"""`dnmobs demo`: generate the built-in sample, ingest it into a fresh store, show what it holds."""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.console import Console

from dnmobs.ingest import Options, ingest
from dnmobs.sample import generate
from dnmobs.status import status, status_table
from dnmobs.store import connect


def run_demo(out_dir: Path, seed: int = 7, console: Console | None = None) -> Path:
    console = console or Console()
    out_dir = out_dir.resolve()
    sample_dir = out_dir / "sample"
    db = out_dir / "dnmobs.duckdb"
    if sample_dir.exists():
        shutil.rmtree(sample_dir)
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    world, steps = generate(sample_dir, seed=seed)
    console.print(f"sample: {len(world.vendors)} vendors, {len(world.listings)} listings, "
                  f"{len(world.crawl_dates)} weekly crawls, written to {sample_dir}")
    con = connect(db)
    for step in steps:
        rep = ingest(con, [str(p) for p in step.paths], Options(**step.options))
        t = rep.totals
        console.print(f"ingest {step.label}: read {t['read']:,}, stored {t['stored']:,}, "
                      f"quarantined {t['quarantined']:,}, skipped {t['skipped']:,}")
        for e in rep.errors:
            console.print(f"  error: {e}", markup=False)
    for renderable in status_table(status(con)):
        console.print(renderable)
    con.close()
    console.print(f"\nstore: {db}\nsample files: {sample_dir}")
    return db
