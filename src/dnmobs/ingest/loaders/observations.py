"""Load listing observations: listings get stable ids, crawls are created, exact duplicates skipped."""

from __future__ import annotations

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


# A batch's records with their source id, market, crawl date and listing hash (``_lh``); ``cols``
# names the batch's other columns a pass needs.
_STAGE = """
    SELECT b._r, b.src, {cols}, fb.source_id, lower(trim(coalesce(b.market, fb.market))) AS mkt,
           coalesce(b.crawl_date, fb.d1, fb.d2, fb.d3) AS cdate,
           hash(lower(trim(coalesce(b.market, fb.market))), b.listing_key, b.vendor, b.title) AS _lh
    FROM {rel} b JOIN _fb fb ON fb.src = b.src
"""


@register("observations")
def load(con: duckdb.DuckDBPyConnection, rel: str, chunk: Chunk) -> LoadResult:
    """Keys are computed in narrow passes (a few integers and digests per record); the records
    themselves are read from ``rel`` once more by the insert. Materialising the wide records (raw
    JSON, titles) in a temp table cost more than reading them twice, and pushed the store past its
    memory limit into spilling on big chunks."""
    res = LoadResult()
    try:
        # Listing keys once per distinct (market, key, vendor, title), found by a fast hash: titles
        # repeat across snapshots and the whitespace normalisation is costly. ``r0`` is the first
        # record that is not refused (the reasons are the same for every record of a hash but the date).
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _olk AS
            SELECT _lh, r0, mkt, vendor, title, lkey, {digest_sql(['mkt', 'lkey'], 16)} AS listing_id
            FROM (SELECT _lh, r0, mkt, vendor, title, {listing_key_sql('listing_key', 'vendor', 'title')} AS lkey
                  FROM (SELECT _lh, min(_r) FILTER (WHERE {_WHY} IS NULL) AS r0, any_value(mkt) AS mkt,
                               any_value(listing_key) AS listing_key, any_value(vendor) AS vendor,
                               any_value(title) AS title
                        FROM ({_STAGE.format(rel=rel, cols="b.listing_key, b.vendor, b.title")}) GROUP BY _lh))
        """)
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _ok AS
            SELECT s._r, s.src, s.source_id, s.mkt, s.cdate, s._lh, {_WHY} AS why, {digest_sql(_IDENTITY)} AS obs_id
            FROM ({_STAGE.format(rel=rel, cols=", ".join(f"b.{c}" for c in [*_FIELDS, 'raw']))}) s
            JOIN (SELECT _lh, lkey FROM _olk) k USING (_lh)
        """)
        if con.execute("SELECT count(*) FROM _ok WHERE why IS NOT NULL").fetchone()[0]:
            res.refused = refused_notes(con, f"SELECT k.src, b.location, k.why, b.raw::VARCHAR FROM _ok k "
                                             f"JOIN {rel} b USING (_r) WHERE k.why IS NOT NULL ORDER BY k._r")
            con.execute("DELETE FROM _ok WHERE why IS NOT NULL")
        good = counts_by_src(con, "_ok")
        if not good:
            return res
        # The first of identical records, unless the store has it already. Stored observations can
        # only collide within the same markets and dates: the anti-join is restricted to them.
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _okeep AS
            SELECT k._r, k.src, k.source_id, k.mkt, k.cdate, k._lh, k.obs_id FROM _ok k
            WHERE k._r IN (SELECT min(_r) FROM _ok GROUP BY obs_id)
              AND k.obs_id NOT IN (
                  SELECT obs_id FROM observations
                  WHERE market IN (SELECT DISTINCT mkt FROM _ok)
                    AND crawl_date BETWEEN (SELECT min(cdate) FROM _ok) AND (SELECT max(cdate) FROM _ok))
        """)
        res.stored = counts_by_src(con, "_okeep")
        res.skipped = good - res.stored
        if not res.stored:
            return res
        add_markets(con, "_ok", chunk.market_kind)
        con.execute("INSERT INTO crawls (market, crawl_date, source_id) SELECT mkt, cdate, min(source_id) "
                    "FROM _ok GROUP BY ALL ON CONFLICT DO NOTHING")
        # Row order on disk does not matter here, and a parallel insert is much faster.
        cols = ", ".join(_COLUMNS)
        con.execute("SET preserve_insertion_order = false")
        try:
            con.execute(f"""
                INSERT INTO observations (obs_id, listing_id, crawl_id, source_id, market, crawl_date, {cols}, raw)
                SELECT k.obs_id, l.listing_id, c.crawl_id, k.source_id, k.mkt, k.cdate,
                       {", ".join("b." + c for c in _COLUMNS)}, b.raw
                FROM _okeep k JOIN {rel} b USING (_r) JOIN _olk l USING (_lh)
                JOIN crawls c ON c.market = k.mkt AND c.crawl_date = k.cdate
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
        drop_quietly(con, "_olk", "_ok", "_okeep")
