"""Load vendor snapshots: a vendor row per market handle, a snapshot per record, distinct key blocks."""

from __future__ import annotations

import duckdb

from dnmobs.ingest.loaders import (
    Chunk,
    LoadResult,
    add_markets,
    digest_sql,
    drop_quietly,
    keep_new,
    register,
    stage,
    vendor_id_sql,
)

_IDENTITY = ["mkt", "cdate", "handle", "rating", "deals", "n_products", "last_seen_text", "pgp_key", "contact",
             "profile_text"]


@register("vendors")
def load(con: duckdb.DuckDBPyConnection, rel: str, chunk: Chunk) -> LoadResult:
    # A vendor table need not be dated: a canonical vendor list is not a crawl.
    clean = (f"SELECT * REPLACE (nullif(trim(handle), '') AS handle, nullif(trim(pgp_key), '') AS pgp_key, "
             f"nullif(trim(contact), '') AS contact, nullif(trim(profile_text), '') AS profile_text) FROM {rel}")
    try:
        res = stage(con, f"({clean})", "_vs",
                    why="CASE WHEN mkt IS NULL OR mkt = '' THEN 'no market for this vendor (give --market)' "
                        "WHEN handle IS NULL THEN 'empty vendor handle' END",
                    keys=f"{digest_sql(_IDENTITY)} AS snap_id, {vendor_id_sql('mkt', 'handle')} AS vendor_id")
        new = keep_new(con, "_vs", "vendor_snapshots", "snap_id", res)
        if not res.stored:
            return res
        add_markets(con, new, chunk.market_kind)
        con.execute(f"""
            INSERT INTO vendors (vendor_id, market, handle)
            SELECT vendor_id, arg_min(mkt, _r), arg_min(handle, _r) FROM {new}
            WHERE vendor_id NOT IN (SELECT vendor_id FROM vendors)
            GROUP BY vendor_id
        """)
        # the latest non-empty profile text wins
        con.execute(f"""
            UPDATE vendors SET profile_text = p.profile_text
            FROM (SELECT vendor_id, arg_max(profile_text, (coalesce(cdate, DATE '1900-01-01'), _r)) AS profile_text
                  FROM {new} WHERE profile_text IS NOT NULL GROUP BY vendor_id) p
            WHERE vendors.vendor_id = p.vendor_id
        """)
        con.execute(f"""
            INSERT INTO vendor_snapshots (snap_id, vendor_id, market, crawl_date, source_id, location, rating,
                deals, n_products, last_seen_text, pgp_key, contact, profile_text, raw)
            SELECT snap_id, vendor_id, mkt, cdate, source_id, location, rating, deals, n_products, last_seen_text,
                   pgp_key, contact, profile_text, raw
            FROM {new} ORDER BY _r
        """)
        con.execute(f"""
            INSERT INTO vendor_keys (vendor_id, key_sha256, key_block, first_seen, last_seen)
            SELECT vendor_id, k, arg_min(pgp_key, _r), min(cdate), max(cdate)
            FROM (SELECT vendor_id, pgp_key, cdate, _r, sha256(regexp_replace(pgp_key, '\\s+', '', 'g')) AS k
                  FROM {new} WHERE pgp_key IS NOT NULL)
            GROUP BY vendor_id, k
            ON CONFLICT (vendor_id, key_sha256) DO UPDATE SET
                first_seen = least(vendor_keys.first_seen, excluded.first_seen),
                last_seen = greatest(vendor_keys.last_seen, excluded.last_seen)
        """)
        return res
    finally:
        drop_quietly(con, "_vs", "_vs_new")
