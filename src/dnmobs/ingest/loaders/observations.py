"""Load listing observations: listings get stable ids, crawls are created, exact duplicates skipped."""

from __future__ import annotations

from collections import Counter

import duckdb

from dnmobs.ingest.loaders import (
    Chunk,
    LoadResult,
    add_markets,
    add_vendors,
    counts_by_src,
    digest_sql,
    drop_quietly,
    refused_notes,
    register,
)

# Two records are the same observation when market, crawl date, listing and every field as read
# are equal. ``raw`` holds every field as read (formats keep row positions out of it), and the
# other columns derive from it; a format without raw is compared on its columns.
_FIELDS = ["title", "description", "price_text", "price_amount", "price_currency", "usd_rate", "price_usd_shown",
           "vendor", "category", "ships_from", "ships_to", "sold_count", "sold_since", "feedback_count", "rating",
           "counters_text"]
_IDENTITY = ["s.mkt", "cdate", "lkey",
             "coalesce(raw::VARCHAR, " + " || chr(30) || ".join(f"coalesce({c}::VARCHAR, '')" for c in _FIELDS) + ")"]

_COLUMNS = ["location", "title", "description", "price_text", "price_amount", "price_currency", "usd_rate",
            "price_usd_shown", "vendor", "category", "ships_from", "ships_to", "sold_count", "sold_since",
            "feedback_count", "rating", "counters_text"]

_WHY = """CASE WHEN mkt IS NULL OR mkt = '' THEN 'no market for this record (give --market)'
               WHEN cdate IS NULL THEN 'no crawl date in the record, its file name or path (give --crawl-date)'
               WHEN title IS NULL OR trim(title) = '' THEN 'empty title' END"""


def listing_key_sql(key: str, vendor: str, title: str) -> str:
    """The market's own id when present, else vendor and whitespace-normalised title, case-folded.
    (The regex runs only on titles with runs of white space: it is the costly part.)"""
    norm = (f"CASE WHEN regexp_matches({title}, '\\\\s\\\\s|[\\\\t\\\\n\\\\r]') "
            f"THEN regexp_replace(trim({title}), '\\\\s+', ' ', 'g') ELSE trim({title}) END")
    return f"coalesce(nullif(trim({key}), ''), lower(coalesce(trim({vendor}), '')) || chr(31) || lower({norm}))"


# A batch's records with their source id, market, crawl date, listing hash (``_lh``) and the reason
# to refuse them (``why``, NULL for good records); ``cols`` names the batch's other columns a pass needs.
_STAGE = """
    SELECT *, {why} AS why FROM (
        SELECT b._r, b.src, {cols}, fb.source_id, lower(trim(coalesce(b.market, fb.market))) AS mkt,
               coalesce(b.crawl_date, fb.d1, fb.d2, fb.d3) AS cdate,
               hash(lower(trim(coalesce(b.market, fb.market))), b.listing_key, b.vendor, b.title) AS _lh
        FROM {rel} b JOIN _fb fb ON fb.src = b.src)
"""


def _stage(rel: str, cols: list[str]) -> str:
    return _STAGE.format(rel=rel, why=_WHY, cols=", ".join(f"b.{c}" for c in dict.fromkeys(["title", *cols])))


@register("observations")
def load(con: duckdb.DuckDBPyConnection, rel: str, chunk: Chunk) -> LoadResult:
    """The records are read from ``rel`` in narrow passes for the keys, and once, all of them, by the
    insert, which computes each record's digest (``obs_id``) and JSON as it writes. Only records
    that share market, date and listing with another record of the batch or with a stored one
    can be duplicates: their digests are computed beforehand, to skip the duplicates. (A wide
    temp table of the records cost more than that, and pushed big chunks into spilling.)"""
    res = LoadResult()
    try:
        # Listing keys once per distinct (market, key, vendor, title), found by a fast hash: titles
        # repeat across snapshots and the whitespace normalisation is costly. ``r0`` is the first
        # good record (market and title are in the hash, so only the date can differ within one).
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _olk AS
            SELECT _lh, r0, mkt, vendor, title, lkey, {digest_sql(['mkt', 'lkey'], 16)} AS listing_id
            FROM (SELECT _lh, r0, mkt, vendor, title, {listing_key_sql('listing_key', 'vendor', 'title')} AS lkey
                  FROM (SELECT _lh, min(_r) FILTER (WHERE why IS NULL) AS r0, any_value(mkt) AS mkt,
                               any_value(listing_key) AS listing_key, any_value(vendor) AS vendor,
                               any_value(title) AS title
                        FROM ({_stage(rel, ['listing_key', 'vendor'])}) GROUP BY _lh))
        """)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _og AS
            SELECT s._r, s.src, s.source_id, s.mkt, s.cdate, k.listing_id, s.why
            FROM ({_stage(rel, [])}) s JOIN (SELECT _lh, listing_id FROM _olk) k USING (_lh)
        """)
        counts = con.execute("SELECT src, count(*) FILTER (WHERE why IS NULL), count(*) FILTER (WHERE why IS NOT NULL) "
                             "FROM _og GROUP BY src").fetchall()
        if any(bad for _, _, bad in counts):
            # (joined by record number: the scan then reads only these records)
            res.refused = refused_notes(con, f"SELECT b.src, b.location, g.why, b.raw::VARCHAR FROM {rel} b "
                                             f"JOIN (SELECT _r, why FROM _og WHERE why IS NOT NULL) g USING (_r) "
                                             f"ORDER BY b._r")
        good = Counter({src: n for src, n, _ in counts if n})
        if not good:
            return res
        con.execute("DELETE FROM _og WHERE why IS NOT NULL")
        _find_duplicates(con, rel)
        res.skipped = counts_by_src(con, "_odup")
        res.stored = good - res.skipped
        if not res.stored:
            return res
        add_markets(con, "_og", chunk.market_kind)
        con.execute("INSERT INTO crawls (market, crawl_date, source_id) SELECT mkt, cdate, min(source_id) "
                    "FROM _og GROUP BY ALL ON CONFLICT DO NOTHING")
        # Row order on disk does not matter here, and a parallel insert is much faster.
        cols = ", ".join(_COLUMNS)
        con.execute("SET preserve_insertion_order = false")
        try:
            con.execute(f"""
                INSERT INTO observations (obs_id, listing_id, crawl_id, source_id, market, crawl_date, {cols}, raw)
                SELECT {digest_sql(_IDENTITY)}, k.listing_id, c.crawl_id, s.source_id, s.mkt, s.cdate,
                       {", ".join("s." + c for c in _COLUMNS)}, s.raw
                FROM ({_stage(rel, [*_FIELDS, 'location', 'listing_key', 'raw'])}) s
                JOIN (SELECT _lh, lkey, listing_id FROM _olk) k USING (_lh)
                JOIN crawls c ON c.market = s.mkt AND c.crawl_date = s.cdate
                WHERE s.why IS NULL AND s._r NOT IN (SELECT _r FROM _odup)
            """)
        finally:
            con.execute("RESET preserve_insertion_order")
        con.execute("""
            INSERT INTO listings (listing_id, market, listing_key, vendor, title)
            SELECT listing_id, arg_min(mkt, r0), arg_min(lkey, r0), arg_min(vendor, r0), arg_min(title, r0)
            FROM _olk WHERE r0 IS NOT NULL AND listing_id NOT IN (SELECT listing_id FROM listings)
            GROUP BY listing_id
        """)
        add_vendors(con, "(SELECT * FROM _olk WHERE r0 IS NOT NULL)")
        return res
    finally:
        drop_quietly(con, "_olk", "_og", "_ocand", "_odup")


def _find_duplicates(con: duckdb.DuckDBPyConnection, rel: str) -> None:
    """``_odup(_r, src)``: the good records of ``_og`` that are not the first of identical records,
    or that the store holds already. Identical records share market, date and listing, so only the
    records whose (market, date, listing) is not unique in the batch, or is stored, are candidates;
    their digests decide. Stored observations are looked up in the batch's markets and dates only."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _ocand AS
        WITH stored AS (
            SELECT DISTINCT market AS mkt, crawl_date AS cdate, listing_id FROM observations
            WHERE market IN (SELECT DISTINCT mkt FROM _og)
              AND crawl_date BETWEEN (SELECT min(cdate) FROM _og) AND (SELECT max(cdate) FROM _og)
        ), shared AS (
            SELECT mkt, cdate, listing_id FROM _og GROUP BY ALL HAVING count(*) > 1
            UNION SELECT * FROM stored
        )
        SELECT g._r FROM _og g SEMI JOIN shared USING (mkt, cdate, listing_id)
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _odup AS
        WITH d AS (
            SELECT s._r, s.src, {digest_sql(_IDENTITY)} AS obs_id
            FROM ({_stage(rel, [*_FIELDS, 'listing_key', 'raw'])}) s
            JOIN (SELECT _lh, lkey FROM _olk) k USING (_lh)
            WHERE s._r IN (SELECT _r FROM _ocand)
        )
        SELECT _r, src FROM d
        WHERE _r NOT IN (SELECT min(_r) FROM d GROUP BY obs_id)
           OR obs_id IN (SELECT obs_id FROM observations
                         WHERE market IN (SELECT DISTINCT mkt FROM _og)
                           AND crawl_date BETWEEN (SELECT min(cdate) FROM _og) AND (SELECT max(cdate) FROM _og))
    """)
