"""Load vendor snapshots: a vendor row per market handle, a snapshot per record, distinct key blocks."""

from __future__ import annotations

import duckdb

from dnmobs.ingest.loaders import (
    Chunk,
    LoadResult,
    counts_by_src,
    digest_sql,
    drop_quietly,
    refused_notes,
    register,
    vendor_id_sql,
)

_IDENTITY = ["mkt", "cdate", "handle", "rating", "deals", "n_products", "last_seen_text", "pgp_key", "contact",
             "profile_text"]
_BAD = "mkt IS NULL OR mkt = '' OR handle IS NULL"


@register("vendors")
def load(con: duckdb.DuckDBPyConnection, rel: str, chunk: Chunk) -> LoadResult:
    res = LoadResult()
    try:
        # A vendor table need not be dated: a canonical vendor list is not a crawl.
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _vstage AS
            SELECT b.* REPLACE (nullif(trim(b.handle), '') AS handle,
                                nullif(trim(b.pgp_key), '') AS pgp_key,
                                nullif(trim(b.contact), '') AS contact,
                                nullif(trim(b.profile_text), '') AS profile_text),
                   fb.source_id,
                   lower(trim(coalesce(b.market, fb.market))) AS mkt,
                   coalesce(b.crawl_date, fb.d1, fb.d2, fb.d3) AS cdate,
                   row_number() OVER () AS rn
            FROM {rel} b JOIN _fb fb ON fb.src = b.src
        """)
        res.refused = refused_notes(con, f"""
            SELECT src, location,
                   CASE WHEN mkt IS NULL OR mkt = '' THEN 'no market for this vendor (give --market)'
                        ELSE 'empty vendor handle' END,
                   raw::VARCHAR
            FROM _vstage WHERE {_BAD}
        """)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _vgood AS
            SELECT *, {digest_sql(_IDENTITY)} AS snap_id, {vendor_id_sql('mkt', 'handle')} AS vendor_id
            FROM _vstage WHERE NOT ({_BAD})
        """)
        good = counts_by_src(con, "_vgood")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _vfresh AS
            SELECT g.* FROM _vgood g
            WHERE g.rn IN (SELECT min(rn) FROM _vgood GROUP BY snap_id)
              AND g.snap_id NOT IN (SELECT snap_id FROM vendor_snapshots
                                    WHERE market IN (SELECT DISTINCT mkt FROM _vgood))
        """)
        res.stored = counts_by_src(con, "_vfresh")
        res.skipped = good - res.stored
        if not res.stored:
            return res
        con.execute("INSERT INTO markets (market, kind, display_name) SELECT DISTINCT mkt, ?, mkt FROM _vfresh "
                    "ON CONFLICT DO NOTHING", [chunk.market_kind])
        con.execute("""
            INSERT INTO vendors (vendor_id, market, handle)
            SELECT vendor_id, arg_min(mkt, rn), arg_min(handle, rn) FROM _vfresh
            WHERE vendor_id NOT IN (SELECT vendor_id FROM vendors)
            GROUP BY vendor_id
        """)
        # the latest non-empty profile text wins
        con.execute("""
            UPDATE vendors SET profile_text = p.profile_text
            FROM (SELECT vendor_id, arg_max(profile_text, (coalesce(cdate, DATE '1900-01-01'), rn)) AS profile_text
                  FROM _vfresh WHERE profile_text IS NOT NULL GROUP BY vendor_id) p
            WHERE vendors.vendor_id = p.vendor_id
        """)
        con.execute("""
            INSERT INTO vendor_snapshots (snap_id, vendor_id, market, crawl_date, source_id, location, rating,
                deals, n_products, last_seen_text, pgp_key, contact, profile_text, raw)
            SELECT snap_id, vendor_id, mkt, cdate, source_id, location, rating, deals, n_products, last_seen_text,
                   pgp_key, contact, profile_text, raw
            FROM _vfresh ORDER BY rn
        """)
        con.execute("""
            INSERT INTO vendor_keys (vendor_id, key_sha256, key_block, first_seen, last_seen)
            SELECT vendor_id, k, arg_min(pgp_key, rn), min(cdate), max(cdate)
            FROM (SELECT vendor_id, pgp_key, cdate, rn, sha256(regexp_replace(pgp_key, '\\s+', '', 'g')) AS k FROM _vfresh WHERE pgp_key IS NOT NULL)
            GROUP BY vendor_id, k
            ON CONFLICT (vendor_id, key_sha256) DO UPDATE SET
                first_seen = least(vendor_keys.first_seen, excluded.first_seen),
                last_seen = greatest(vendor_keys.last_seen, excluded.last_seen)
        """)
        return res
    finally:
        drop_quietly(con, "_vstage", "_vgood", "_vfresh")
