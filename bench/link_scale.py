"""Linkage at scale: 200k synthetic vendor records built from the real Agora vendors, linked in one run.

The records (vendors-csv, five markets) take real handles and handle words, and real listing titles for
their profile texts; a third of the identities sell on two or three markets, renamed or not, mostly
keeping their key (shown in varying presentations: armored, CRLF, escaped, stripped), some re-keyed.
Each record also lists up to five listings (a listings CSV read with the `mapped` format): real titles,
categories and prices, written with its identity's habits (case, units, decoration), so the title-style
evidence (style.py) runs at scale too.
Each step runs alone in a fresh child process (wall time, peak memory):
  floor:  DuckDB's read_csv of the same files into tables (the least any linkage must spend);
  ingest: `dnmobs ingest` of the files (vendors-csv, and mapped for the listings), not part of the linkage;
  link:   `dnmobs link` on that store: parse the keys, build the features, train and score (Splink),
          cluster, write identities.
Prints records/s and peak memory of the linkage (target: under 2 minutes and 4 GB on 2 cores), the ratio to
the floor, and the linkage's precision and recall against the identities the records were built from.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import duckdb

import _linkdata as ld
from _measure import measure


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-pgp", action="store_true", help="also time a --no-pgp linkage")
    args = ap.parse_args()
    if not ld.VENDORS.is_dir():
        raise SystemExit(f"real data not found: {ld.VENDORS} (it lives in ../shared/data)")
    with tempfile.TemporaryDirectory(prefix="dnmobs-linkscale-") as tmpdir:
        tmp = Path(tmpdir)
        t0 = time.perf_counter()
        seeds = ld.real_seeds(ld.VENDORS, ld.PANEL, duckdb.connect())
        per_market, truth, listings = ld.scale_records(seeds, args.records, args.seed)
        files = []
        for market, rows in per_market.items():
            path = tmp / f"{market}_vendors.csv"
            ld.write_vendors_csv(path, rows)
            files.append(str(path))
        listing_file = tmp / "listings.csv"
        ld.write_listings_csv(listing_file, listings)
        mapping = tmp / "listings.toml"
        mapping.write_text(ld.LISTING_MAPPING, encoding="utf-8")
        n = sum(len(r) for r in per_market.values())
        size = sum(Path(f).stat().st_size for f in [*files, listing_file]) / 1e6
        print(f"records              {n:,} in {len(files)} vendors-csv files and {len(listings):,} listings "
              f"({size:,.0f} MB), {len(set(truth.values())):,} identities, built from {len(seeds):,} real vendors "
              f"in {time.perf_counter() - t0:.1f} s")
        db = str(tmp / "scale.duckdb")
        floor = measure(f"""
            import duckdb
            con = duckdb.connect()
            con.execute("SET threads = {args.threads}")
            con.execute("CREATE TABLE t AS SELECT * FROM read_csv({files!r}, all_varchar=true)")
            con.execute("CREATE TABLE l AS SELECT * FROM read_csv({str(listing_file)!r}, all_varchar=true)")
            result = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
        """)
        ing = measure(f"""
            from dnmobs.store import connect
            from dnmobs.ingest import Options, ingest
            con = connect({db!r})
            con.execute("SET threads = {args.threads}")
            rep = ingest(con, {files!r}, Options(format="vendors-csv", extract=False))
            lrep = ingest(con, [{str(listing_file)!r}], Options(format="mapped", mapping={str(mapping)!r},
                                                                 extract=False))
            con.close()
            result = dict(rep.totals, listings=lrep.totals["stored"])
        """)
        runs = [("link", False)] + ([("link --no-pgp", True)] if args.no_pgp else [])
        results = {}
        for label, no_pgp in runs:
            results[label] = measure(f"""
                from dnmobs.store import connect
                from dnmobs.link.model import Options
                from dnmobs.link.run import link
                con = connect({db!r})
                con.execute("SET threads = {args.threads}")
                rep = link(con, Options(use_pgp={not no_pgp!r}, threads={args.threads}))
                con.close()
                import resource
                cpu = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF,
                          resource.RUSAGE_CHILDREN) for f in ("ru_utime", "ru_stime"))
                result = dict(rep.as_json(), cpu_seconds=cpu)
            """)
        print(f"duckdb read_csv      {floor['seconds']:8.2f} s   {floor['result']:,} rows   "
              f"peak {floor['peak_mb']:,.0f} MB")
        print(f"dnmobs ingest        {ing['seconds']:8.2f} s   stored {ing['result']['stored']:,} vendor records, "
              f"{ing['result']['listings']:,} listings   peak {ing['peak_mb']:,.0f} MB")
        con = duckdb.connect(db, read_only=True)
        for label, _ in runs:
            r = results[label]
            rep = r["result"]
            print(f"dnmobs {label:<13} {r['seconds']:8.2f} s   {n / r['seconds']:,.0f} records/s   "
                  f"peak {r['peak_mb']:,.0f} MB   ratio to floor {r['seconds'] / floor['seconds']:.1f}   "
                  f"(cpu {rep['cpu_seconds']:.1f} s: {rep['cpu_seconds'] / r['seconds']:.2f} cores busy on average)")
            print(f"  {rep['vendors']:,} vendors -> {rep['identities']:,} identities; "
                  f"{rep['key_links']:,} key links, {rep['model_links']:,} without a key; "
                  f"keys parsed {rep['keys'].get('parsed', 0):,}")
        _quality(con, truth)
        con.close()
        last = results["link"]
        ok = last["seconds"] < 120 and last["peak_mb"] < 4096
        print(f"target (< 120 s, < 4096 MB on {args.threads} threads): {'met' if ok else 'MISSED'}; "
              f"load average now {os.getloadavg()[0]:.1f} (other work on the machine slows the wall time)")


def _quality(con: duckdb.DuckDBPyConnection, truth: dict[tuple[str, str], int]) -> None:
    """Pairs put together against the identities the records were made from (the last run in the store)."""
    groups = defaultdict(list)
    for iid, market, handle in con.execute("SELECT identity_id, market, handle FROM identity_members").fetchall():
        groups[iid].append(truth.get((market, handle.lower())))
    pred = 0
    right = 0
    for members in groups.values():
        for a, b in itertools.combinations(members, 2):
            pred += 1
            right += a is not None and a == b
    by_ident = defaultdict(int)
    for ident in truth.values():
        by_ident[ident] += 1
    true_pairs = sum(k * (k - 1) // 2 for k in by_ident.values())
    print(f"  against the built identities: {pred:,} pairs put together, {right:,} right "
          f"(precision {right / pred if pred else float('nan'):.3f}), recall {right / true_pairs:.3f} "
          f"of {true_pairs:,} (re-keyed records are counted as misses)")


if __name__ == "__main__":
    main()
