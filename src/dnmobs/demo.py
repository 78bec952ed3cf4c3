"""`dnmobs demo`: generate the built-in sample, ingest it into a fresh store, show what it holds."""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.console import Console

from dnmobs.extract.rates import import_rates
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
    for step in sorted(steps, key=lambda s: s.command != "rates"):
        if step.command == "rates":
            for path in step.paths:
                got = import_rates(con, path)
                console.print(f"rates {step.label}: {len(got):,} imported", markup=False)
            continue
        rep = ingest(con, [str(p) for p in step.paths], Options(**step.options))
        t = rep.totals
        console.print(f"ingest {step.label}: read {t['read']:,}, stored {t['stored']:,}, "
                      f"quarantined {t['quarantined']:,}, skipped {t['skipped']:,}")
        for e in rep.errors:
            console.print(f"  error: {e}", markup=False)
    for renderable in status_table(status(con)):
        console.print(renderable)
    _show_offers(con, console)
    _show_identities(con, console)
    con.close()
    console.print(f"\nstore: {db}\nsample files: {sample_dir}")
    return db


def _show_offers(con, console: Console) -> None:
    """What is sold: offers by substance, with the median price per gram in USD, market by market."""
    from rich.table import Table
    from rich.text import Text

    t = Table(title="what is sold (offers of drugs, by substance)", title_justify="left")
    for col in ("substance", "class", "offers", "markets", "median USD/g", "median USD/unit"):
        t.add_column(col, justify="right" if col.startswith(("offers", "median")) else "left")
    for sub, cls, n, markets, per_g, per_u in con.execute("""
        SELECT substance, any_value(substance_class), count(*), count(DISTINCT market),
               median(usd_per_gram), median(usd_per_unit)
        FROM offers WHERE is_drug AND substance IS NOT NULL
        GROUP BY substance ORDER BY count(*) DESC LIMIT 12
    """).fetchall():
        t.add_row(Text(sub), Text(cls or "-"), f"{n:,}", str(markets),
                  f"{per_g:,.2f}" if per_g is not None else "-", f"{per_u:,.2f}" if per_u is not None else "-")
    console.print(t)
    no_usd = con.execute("SELECT count(*) FILTER (price_usd IS NULL), count(*) FROM offers").fetchone()
    console.print(f"offers without a USD price: {no_usd[0]:,} of {no_usd[1]:,} (each says why in price_note)",
                  markup=False)


def _show_identities(con, console: Console) -> None:
    """Link the sample's vendors and show the identities with records on several markets or names."""
    from dnmobs.link.run import link

    rep = link(con)
    console.print(f"\nlink: {rep.vendors} vendors -> {rep.identities} identities; {rep.key_links} links by shared "
                  f"PGP keys, {rep.model_links} without a shared key", markup=False)
    for label, score, keyed, members in con.execute("""
        SELECT i.label, i.score, i.key_linked,
               string_agg(m.market || ':' || m.handle, ', ' ORDER BY m.market, m.handle)
        FROM identities i JOIN identity_members m USING (identity_id)
        WHERE i.n_members > 1 GROUP BY ALL ORDER BY i.label
    """).fetchall():
        basis = "same PGP key" if keyed else "no shared key"
        console.print(f"  {label}: {members} (score {score:.2f}, {basis})", markup=False)
