"""What the store holds: markets, crawls, date ranges, counts and quarantine counts."""

from __future__ import annotations

import duckdb


def status(con: duckdb.DuckDBPyConnection) -> dict:
    # a crawl is a day a market was read; for a messenger channel, a day with messages
    markets = [
        dict(zip(("market", "kind", "crawls", "first_crawl", "last_crawl", "listings", "observations", "messages",
                  "vendors", "offers"), row, strict=True))
        for row in con.execute("""
            WITH days AS (
                SELECT market, crawl_date AS d FROM crawls
                UNION SELECT market, CAST(date AS DATE) FROM messages WHERE date IS NOT NULL
            )
            SELECT m.market, m.kind,
                   (SELECT count(*) FROM days c WHERE c.market = m.market),
                   (SELECT min(d) FROM days c WHERE c.market = m.market),
                   (SELECT max(d) FROM days c WHERE c.market = m.market),
                   (SELECT count(*) FROM listings l WHERE l.market = m.market),
                   (SELECT count(*) FROM observations o WHERE o.market = m.market),
                   (SELECT count(*) FROM messages x WHERE x.market = m.market),
                   (SELECT count(*) FROM vendors v WHERE v.market = m.market),
                   (SELECT count(*) FROM offers f WHERE f.market = m.market)
            FROM markets m ORDER BY m.market
        """).fetchall()
    ]
    for m in markets:
        for k in ("first_crawl", "last_crawl"):
            m[k] = m[k].isoformat() if m[k] else None
    present = {r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("sources", "markets", "crawls", "listings", "observations", "offers", "vendors",
                        "vendor_snapshots", "messages", "contacts", "feedback", "identities", "quarantine", "rates")
              if t in present}
    failed = con.execute("SELECT count(*) FROM sources WHERE status = 'failed'").fetchone()[0]
    reasons = [
        {"reason": r, "count": n}
        for r, n in con.execute("""
            SELECT regexp_replace(reason, '[0-9]+', 'N', 'g') AS r, count(*) AS n
            FROM quarantine GROUP BY r ORDER BY n DESC, r LIMIT 10
        """).fetchall()
    ]
    version = con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    return {"schema_version": version, "markets": markets, "counts": counts, "failed_sources": failed,
            "quarantine_reasons": reasons}


def status_table(s: dict) -> list:
    """Rich renderables for the terminal."""
    from rich.table import Table
    from rich.text import Text  # data is shown as text, never as rich markup

    t = Table(title="markets", title_justify="left")
    for col in ("market", "kind", "days", "dates", "listings", "observations", "messages", "vendors", "offers"):
        t.add_column(col, justify="left" if col in ("market", "kind", "dates") else "right", no_wrap=True)
    for m in s["markets"]:
        span = f"{m['first_crawl']} .. {m['last_crawl']}" if m["first_crawl"] else "-"
        t.add_row(Text(m["market"]), Text(m["kind"]), f"{m['crawls']:,}", span, f"{m['listings']:,}",
                  f"{m['observations']:,}", f"{m['messages']:,}", f"{m['vendors']:,}", f"{m['offers']:,}")
    c = Table(title="store", title_justify="left")
    c.add_column("table")
    c.add_column("rows", justify="right")
    for k, v in s["counts"].items():
        c.add_row(k, f"{v:,}")
    out = [t, c]
    if s["quarantine_reasons"]:
        q = Table(title=f"quarantine ({s['counts']['quarantine']:,} records; "
                        f"{s['failed_sources']} failed sources)", title_justify="left")
        q.add_column("reason (numbers as N)")
        q.add_column("count", justify="right")
        for r in s["quarantine_reasons"]:
            q.add_row(Text(r["reason"]), f"{r['count']:,}")
        out.append(q)
    return out
