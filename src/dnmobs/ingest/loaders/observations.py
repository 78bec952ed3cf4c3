"""Load listing observations: listings get stable ids, crawls are created, exact duplicates skipped."""

from __future__ import annotations

from collections import Counter

import duckdb

from dnmobs.ingest.loaders import Chunk, LoadResult, counts_by_src, digest_sql, refused_notes, register

# Two records are the same observation when market, crawl date, the main fields and every field
# as read (``raw``) are equal. Formats keep positions (row numbers, a leading index column) out
# of ``raw``, so identical records in two rows are one observation.
_IDENTITY = ["mkt", "cdate", "lkey", "title", "price_text", "vendor", "category", "ships_from", "ships_to",
             "raw"]

_COLUMNS = ["location", "title", "description", "price_text", "price_amount", "price_currency", "usd_rate",
            "price_usd_shown", "vendor", "category", "ships_from", "ships_to", "sold_count", "sold_since",
            "feedback_count", "rating", "counters_text"]

_BAD = "mkt IS NULL OR mkt = '' OR cdate IS NULL OR title IS NULL OR trim(title) = ''"


def listing_key_sql(key: str, vendor: str, title: str) -> str:
    """The market's own id when present, else vendor and whitespace-normalised title, case-folded.
    (The regex runs only on titles with runs of white space: it is the costly part.)"""
    norm = (f"CASE WHEN regexp_matches({title}, '\\s\\s|[\\t\\n\\r]') "
            f"THEN regexp_replace(trim({title}), '\\s+', ' ', 'g') ELSE trim({title}) END")
    return (f"coalesce(nullif(trim({key}), ''), lower(coalesce(trim({vendor}), '')) || chr(31) || lower({norm}))")


@register("observations")
def load(con: duckdb.DuckDBPyConnection, rel: str, chunk: Chunk) -> LoadResult:
    res = LoadResult()
    try:
        # One pass computes everything; refused rows are then picked out of the same table.
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _ogood AS
            SELECT *, {digest_sql(['mkt', 'lkey'], 16)} AS listing_id, {digest_sql(_IDENTITY)} AS obs_id
            FROM (SELECT *, {listing_key_sql('listing_key', 'vendor', 'title')} AS lkey
                  FROM (SELECT b.*, fb.source_id,
                               lower(trim(coalesce(b.market, fb.market))) AS mkt,
                               coalesce(b.crawl_date, fb.d1, fb.d2, fb.d3) AS cdate
                        FROM {rel} b JOIN _fb fb ON fb.src = b.src))
        """)
        res.refused = refused_notes(con, f"""
            SELECT src, location,
                   CASE WHEN mkt IS NULL OR mkt = '' THEN 'no market for this record (give --market)'
                        WHEN cdate IS NULL THEN 'no crawl date in the record, its file name or path (give --crawl-date)'
                        ELSE 'empty title' END,
                   raw::VARCHAR
            FROM _ogood WHERE {_BAD}
        """)
        if res.refused:
            con.execute(f"DELETE FROM _ogood WHERE {_BAD}")
        good = counts_by_src(con, "_ogood")
        if not good:
            return res
        con.execute(
            "INSERT INTO markets (market, kind, display_name) SELECT DISTINCT mkt, ?, mkt FROM _ogood "
            "ON CONFLICT DO NOTHING", [chunk.market_kind])
        con.execute(
            "INSERT INTO crawls (market, crawl_date, source_id) SELECT mkt, cdate, min(source_id) FROM _ogood "
            "GROUP BY ALL ON CONFLICT DO NOTHING")
        # The first of identical records, unless the store has it already. Stored observations can
        # only collide within the same markets and dates: restricting the anti-join to them keeps it
        # cheap as the store grows (dates arrive roughly in order, so zone maps skip the rest).
        cols = ", ".join(_COLUMNS)
        # Row order on disk does not matter here, and a parallel insert is much faster.
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"""
            INSERT INTO observations (obs_id, listing_id, crawl_id, source_id, market, crawl_date, {cols}, raw)
            SELECT g.obs_id, g.listing_id, c.crawl_id, g.source_id, g.mkt, g.cdate,
                   {", ".join("g." + c for c in _COLUMNS)}, g.raw
            FROM _ogood g JOIN crawls c ON c.market = g.mkt AND c.crawl_date = g.cdate
            WHERE g.rowid IN (SELECT min(rowid) FROM _ogood GROUP BY obs_id)
              AND g.obs_id NOT IN (
                  SELECT obs_id FROM observations
                  WHERE market IN (SELECT DISTINCT mkt FROM _ogood)
                    AND crawl_date BETWEEN (SELECT min(cdate) FROM _ogood) AND (SELECT max(cdate) FROM _ogood)
                    AND source_id NOT IN (SELECT source_id FROM _fb))
        """)
        con.execute("RESET preserve_insertion_order")
        stored = con.execute(
            "SELECT f.src, count(*) FROM observations o JOIN _fb f USING (source_id) "
            "WHERE o.source_id >= (SELECT min(source_id) FROM _fb) GROUP BY f.src").fetchall()
        res.stored = Counter(dict(stored))
        res.skipped = good - res.stored
        if not res.stored:
            return res
        con.execute("""
            INSERT INTO listings (listing_id, market, listing_key, vendor, title)
            SELECT listing_id, arg_min(mkt, rowid), arg_min(lkey, rowid), arg_min(vendor, rowid),
                   arg_min(title, rowid)
            FROM _ogood WHERE listing_id NOT IN (SELECT listing_id FROM listings)
            GROUP BY listing_id
        """)
        con.execute(f"""
            INSERT INTO vendors (vendor_id, market, handle)
            SELECT vid, arg_min(mkt, rowid), arg_min(trim(vendor), rowid)
            FROM (SELECT {digest_sql(['mkt', 'lower(trim(vendor))'], 16)} AS vid, mkt, vendor, rowid
                  FROM _ogood WHERE vendor IS NOT NULL AND trim(vendor) <> '')
            WHERE vid NOT IN (SELECT vendor_id FROM vendors)
            GROUP BY vid
        """)
        return res
    finally:
        con.execute("DROP TABLE IF EXISTS _ogood")
