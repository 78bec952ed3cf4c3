"""Ingest the whole Agora panel (201 snapshots, ~2.8 M rows) and compare with DuckDB's own CSV load.

Both run in fresh child processes, one after the other, each into a fresh store file:
  floor: DuckDB's read_csv loading the same 201 .csv.gz files into one table (best of two runs:
         the first also pays for reading the files into the page cache);
  ours:  `dnmobs ingest` of the same folder (format detection, quarantine, dedup, listings,
         crawls, vendors, and extraction of offers unless --no-extract).
Prints both times, with the CPU time each used (all threads; a steadier figure than wall time on a
busy machine), our peak memory, and as its last line `ratio <ours/duckdb>` (wall times).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure

# Appended to each child's work: its CPU time (user + system, all threads) joins the result.
_CPU = ("import resource; _u = resource.getrusage(resource.RUSAGE_SELF); "
        "result.append(_u.ru_utime + _u.ru_stime)")

PANEL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "agora-2014" / "panel-ada"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--panel", type=Path, default=PANEL)
    ap.add_argument("--no-extract", action="store_true", help="measure loading without extraction")
    args = ap.parse_args()
    if not args.panel.is_dir():
        raise SystemExit(f"panel not found: {args.panel} (it lives in ../shared/data)")
    files = sorted(str(p) for p in args.panel.glob("*.csv.gz"))
    with tempfile.TemporaryDirectory(prefix="dnmobs-bench-") as tmp:
        floors = [measure(f"""
            import duckdb
            con = duckdb.connect({str(Path(tmp) / f'floor{i}.duckdb')!r})
            con.execute("SET enable_progress_bar = false")
            con.execute("CREATE TABLE t AS SELECT * FROM read_csv({files!r})")
            result = [con.execute("SELECT count(*) FROM t").fetchone()[0]]
            con.close()
            {_CPU}
        """) for i in range(2)]
        floor = min(floors, key=lambda m: m["seconds"])
        ours = measure(f"""
            from dnmobs.store import connect
            from dnmobs.ingest import Options, ingest
            con = connect({str(Path(tmp) / 'ours.duckdb')!r})
            rep = ingest(con, [{str(args.panel)!r}], Options(extract={not args.no_extract!r}))
            con.close()
            result = [rep.totals]
            {_CPU}
        """)
    t = ours["result"][0]
    ok = t["read"] == t["stored"] + t["quarantined"] + t["skipped"]
    print(f"files                {len(files)}")
    runs = ", ".join(f"{m['seconds']:.2f}" for m in floors)
    print(f"duckdb read_csv      {floor['seconds']:8.2f} s  (cpu {floor['result'][1]:6.2f} s)   "
          f"{floor['result'][0]:,} rows   peak {floor['peak_mb']:,.0f} MB   (runs {runs} s)")
    print(f"dnmobs ingest        {ours['seconds']:8.2f} s  (cpu {ours['result'][1]:6.2f} s)   read {t['read']:,}, "
          f"stored {t['stored']:,}, quarantined {t['quarantined']:,}, skipped {t['skipped']:,}, "
          f"offers {t['offers']:,}   peak {ours['peak_mb']:,.0f} MB")
    print(f"reconciliation       {'holds' if ok else 'BROKEN'}; extraction {'off' if args.no_extract else 'on'}")
    print(f"cpu ratio            {ours['result'][1] / floor['result'][1]:.2f}")
    print(f"ratio {ours['seconds'] / floor['seconds']:.2f}")


if __name__ == "__main__":
    main()
