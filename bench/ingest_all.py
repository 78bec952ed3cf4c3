"""Ingest ALL of ../shared/data into a fresh store, dataset by dataset, with the built-in formats
detected from content; then ingest it all again.

Prints one row per dataset (sources, read, stored, quarantined, skipped, errors, seconds), checks
that read = stored + quarantined + skipped holds for every source, both in the reports and in the
store's own `sources` and `quarantine` tables, and that the second run stores nothing.

Dream's file carries no date: it is ingested with --crawl-date 2017-07-01 (the month the listings
were collected). Files that are not listing data (mozzarella's counts/ and bpi/ tables, Matanga's
scraper log and the researchers' label and date tables, the BTC rate files, which `extract.rates`
imports, the style sheets and fonts saved with the Agora pages) must each give a one-line
"unknown format" (or "binary content") error: they are listed, and any other error is flagged
as unexpected. Extraction of offers is off unless --extract (this measures ingest).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# dataset -> (path under data/, crawl date override)
DATASETS = {
    "agora panel-ada": ("agora-2014/panel-ada", None),
    "agora vendors-ada": ("agora-2014/vendors-ada", None),
    "agora panel-mozzarella": ("agora-2014/panel-mozzarella", None),
    "agora pages 2014-04-06": ("agora-2014/pages-2014-04-06-dev.tar.gz", None),
    "alphabay scrape-dev": ("alphabay-2017", None),
    "dream cocaine": ("dream-2017-cocaine", date(2017, 7, 1)),
    "matanga 2020": ("matanga-2020", None),
    "rates": ("rates", None),
}
# not listing data: an "unknown format" error is the right answer for these
NOT_LISTINGS = ("panel-mozzarella/counts/", "panel-mozzarella/bpi/", "scrapes-dev/logfile.txt",
                "matanga-2020/labels.csv", "matanga-2020/key_dates.csv", "matanga-2020/short_dates.csv",
                "matanga-2020/sales-labelled-dev.csv", "data/rates/")


# a saved site's style sheets, fonts and images are not pages either
ASSETS = (".css", ".js", ".eot", ".svg", ".ttf", ".woff", ".woff2", ".png", ".jpg", ".jpeg", ".gif", ".ico")


def expected_error(path: str, error: str) -> bool:
    if "unknown format" in error and any(p in path for p in NOT_LISTINGS):
        return True
    asset = path.split("?", 1)[0].lower().endswith(ASSETS)
    return asset and ("unknown format" in error or "binary content" in error)


def run(con, extract: bool) -> tuple[list[tuple], list, list]:
    from dnmobs.ingest import Options, ingest

    rows, bad, expected = [], [], []
    for name, (rel, crawl) in DATASETS.items():
        t0 = time.perf_counter()
        rep = ingest(con, [str(DATA / rel)], Options(crawl_date=crawl, extract=extract))
        secs = time.perf_counter() - t0
        t = rep.totals
        fmts = Counter(s.format for s in rep.sources if s.format)
        for s in rep.sources:
            if s.read != s.stored + s.quarantined + s.skipped:
                bad.append(f"{s.path}: read {s.read} != {s.stored} + {s.quarantined} + {s.skipped}")
            if s.error:
                (expected if expected_error(s.path, s.error) else bad).append(s.error)
        rows.append((name, ",".join(sorted(fmts)) or "-", t["sources"], t["read"], t["stored"], t["quarantined"],
                     t["skipped"], t["errors"], secs))
    return rows, bad, expected


def store_checks(con) -> list[str]:
    """The store's own bookkeeping agrees: per source, read = stored + quarantined + skipped, and
    the quarantine table holds exactly n_quarantined rows for it."""
    problems = [f"source {sid} ({path}): read {r} != {s} + {q} + {k}" for sid, path, r, s, q, k in con.execute(
        "SELECT source_id, path, n_read, n_stored, n_quarantined, n_skipped FROM sources "
        "WHERE n_read <> n_stored + n_quarantined + n_skipped").fetchall()]
    problems += [f"source {sid} ({path}): {n} quarantine rows, n_quarantined {q}" for sid, path, n, q in con.execute(
        "SELECT s.source_id, s.path, count(qu.quarantine_id), s.n_quarantined FROM sources s "
        "LEFT JOIN quarantine qu USING (source_id) GROUP BY ALL HAVING count(qu.quarantine_id) <> s.n_quarantined"
    ).fetchall()]
    dup = con.execute("SELECT count(*) - count(DISTINCT obs_id) FROM observations").fetchone()[0]
    if dup:
        problems.append(f"{dup} duplicate observations")
    return problems


def table(rows: list[tuple]) -> str:
    head = ("dataset", "formats", "sources", "read", "stored", "quarantined", "skipped", "errors", "seconds")
    body = [(n, f, f"{a:,}", f"{b:,}", f"{c:,}", f"{d:,}", f"{e:,}", f"{g:,}", f"{s:.1f}")
            for n, f, a, b, c, d, e, g, s in rows]
    tot = [sum(r[i] for r in rows) for i in range(2, 8)]
    body.append(("TOTAL", "", *(f"{x:,}" for x in tot), f"{sum(r[8] for r in rows):.1f}"))
    widths = [max(len(str(x[i])) for x in [head, *body]) for i in range(len(head))]
    return "\n".join("  ".join(str(x).ljust(w) if i < 2 else str(x).rjust(w) for i, (x, w) in
                               enumerate(zip(r, widths, strict=True))) for r in [head, *body])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--extract", action="store_true", help="also extract offers (off: this measures ingest)")
    ap.add_argument("--db", type=Path, help="store file (default: a fresh one in a temp folder, removed after)")
    args = ap.parse_args()
    if not DATA.is_dir():
        raise SystemExit(f"data not found: {DATA} (it lives in ../shared/data)")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from dnmobs.store import connect

    with tempfile.TemporaryDirectory(prefix="dnmobs-ingest-all-", dir="/tmp") as tmp:
        db = args.db or Path(tmp) / "all.duckdb"
        con = connect(db)
        print(f"store {db}; extraction {'on' if args.extract else 'off'}; dream with --crawl-date 2017-07-01\n")
        print("first run")
        rows, bad, expected = run(con, args.extract)
        print(table(rows))
        print("\nsecond run (the same inputs again)")
        rows2, bad2, _ = run(con, args.extract)
        print(table(rows2))
        problems = bad + bad2 + store_checks(con)
        con.close()
    print(f"\nnot listing data, refused with one-line errors ({len(expected)}, in each run):")
    for reason, n in Counter(e.split(": ", 1)[1] for e in expected).items():
        print(f"  {n} x {reason}")
    for e in expected:
        print(f"    {e.split(': ', 1)[0].replace(str(DATA) + '/', '')}")
    stored_again = sum(r[4] for r in rows2)
    print(f"\nreconciliation (reports and store): {'holds for every source' if not problems else 'BROKEN'}")
    for p in problems:
        print(f"  UNEXPECTED: {p}")
    print(f"second run stored {stored_again:,} records")
    print(f"peak memory {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    if problems or stored_again:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
