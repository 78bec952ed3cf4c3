"""Load what saved pages give besides observations and vendors: page bookkeeping, listing rows of
category and vendor pages, and buyer feedback.

One observation per listing per crawl: a product page shows the most, so its observation stands;
a category page's row becomes the observation only while no product page of that listing was
read for the crawl ("promotion", through the ordinary observations loader), and the promoted
observation (with any offers derived from it) is removed when the product page arrives later.
Promotions are derived data, like offers: the category page's own records are its listing rows,
so the sources' counts stay true whatever the order pages arrive in. Vendor-page rows only link a
vendor to its listings and are never promoted (they lack the category).

The pages format emits kinds in the order observations, vendors, feedback, listing_rows, pages,
once per chunk: promotion sees the chunk's product pages already stored.
"""

from __future__ import annotations

import duckdb

from dnmobs.ingest.loaders import (
    LOADERS,
    NO_DATE,
    NO_MARKET,
    Chunk,
    LoadResult,
    digest_sql,
    drop_quietly,
    keep_new,
    register,
    stage,
    vendor_id_sql,
)
from dnmobs.ingest.loaders.observations import listing_key_sql
from dnmobs.ingest.records import OBSERVATION


@register("pages")
def load_pages(con: duckdb.DuckDBPyConnection, rel: str, chunk: Chunk) -> LoadResult:
    try:
        res = stage(con, rel, "_pg", f"CASE WHEN mkt IS NULL OR mkt = '' THEN {NO_MARKET} END",
                     keys=digest_sql(["mkt", "cdate", "location", "sha256"]) + " AS page_id")
        new = keep_new(con, "_pg", "pages", "page_id", res)
        con.execute(f"""
            INSERT INTO pages (page_id, source_id, market, crawl_date, location, page_type, error, layout,
                               confidence, listing_key, usd_rate, charset, truncated, http_status, n_rows,
                               n_feedback, sha256, size, raw)
            SELECT page_id, source_id, mkt, cdate, location, page_type, error, layout, confidence, listing_key,
                   usd_rate, charset, truncated, http_status, n_rows, n_feedback, sha256, size, raw
            FROM {new} ORDER BY _r
        """)
        _retire_promotions(con)
        return res
    finally:
        drop_quietly(con, "_pg", "_pg_new")


def _retire_promotions(con: duckdb.DuckDBPyConnection) -> None:
    """Remove category-row observations of listings whose product page this batch brought."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _retire AS
        SELECT o.obs_id FROM observations o
        JOIN listing_rows r ON r.source_id = o.source_id AND r.location = o.location AND r.page_type = 'category'
        WHERE (o.market, o.crawl_date, o.listing_id) IN (
            SELECT p.market, p.crawl_date, po.listing_id FROM _pg_new p
            JOIN observations po ON po.source_id = p.source_id AND po.location = p.location
            WHERE p.page_type = 'product')
    """)
    if con.execute("SELECT count(*) FROM _retire").fetchone()[0]:
        con.execute("DELETE FROM offers WHERE obs_id IN (SELECT obs_id FROM _retire)")
        con.execute("DELETE FROM observations WHERE obs_id IN (SELECT obs_id FROM _retire)")
    drop_quietly(con, "_retire")


@register("listing_rows")
def load_listing_rows(con: duckdb.DuckDBPyConnection, rel: str, chunk: Chunk) -> LoadResult:
    try:
        res = stage(
            con, rel, "_lr",
            f"CASE WHEN mkt IS NULL OR mkt = '' THEN {NO_MARKET} WHEN cdate IS NULL THEN {NO_DATE} "
            "WHEN coalesce(trim(title), '') = '' THEN 'listing row without a title' END",
            lkey=listing_key_sql("listing_key", "vendor", "title"),
            keys=f"{digest_sql(['mkt', 'lkey'], 16)} AS listing_id, "
                 f"{digest_sql(['mkt', 'cdate', 'location', 'lkey', 'title', 'price_text', 'vendor', 'raw'])} AS row_id")
        new = keep_new(con, "_lr", "listing_rows", "row_id", res)
        cols = [f.name for f in OBSERVATION if f.name not in ("src", "market", "crawl_date", "raw")]
        con.execute(f"""
            INSERT INTO listing_rows (row_id, listing_id, source_id, market, crawl_date, page_type, position,
                                      {", ".join(cols)}, raw)
            SELECT row_id, listing_id, source_id, mkt, cdate, page_type, position, {", ".join(cols)}, raw
            FROM {new} ORDER BY _r
        """)
        _promote(con, new, chunk)
        return res
    finally:
        drop_quietly(con, "_lr", "_lr_new", "_promote")


def _promote(con: duckdb.DuckDBPyConnection, new: str, chunk: Chunk) -> None:
    """Category rows of listings with no observation in their crawl become that observation. (A table,
    not a view: the observations loader reads its input more than once, and inserts in between.)"""
    names = [f.name for f in OBSERVATION]
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _promote AS
        SELECT {", ".join(f"r.{n}" for n in names)}, row_number() OVER (ORDER BY r._r) - 1 AS _r
        FROM {new} r
        WHERE r.page_type = 'category'
          AND r._r IN (SELECT min(_r) FROM {new} WHERE page_type = 'category' GROUP BY mkt, cdate, listing_id)
          AND NOT EXISTS (SELECT 1 FROM observations o
                          WHERE o.listing_id = r.listing_id AND o.crawl_date = r.cdate AND o.market = r.mkt)
    """)
    if con.execute("SELECT count(*) FROM _promote").fetchone()[0]:
        LOADERS["observations"](con, "_promote", chunk)  # its counts are not the sources': promotions are derived


@register("feedback")
def load_feedback(con: duckdb.DuckDBPyConnection, rel: str, chunk: Chunk) -> LoadResult:
    identity = ["mkt", "cdate", "lkey", "rating_text", "text", "age_text", "buyer", "buyer_band", "nth"]
    try:
        res = stage(
            con, rel, "_fbk",
            f"CASE WHEN mkt IS NULL OR mkt = '' THEN {NO_MARKET} WHEN cdate IS NULL THEN {NO_DATE} END",
            lkey=listing_key_sql("listing_key", "vendor", "item_title"),
            keys="0 AS nth, CAST(NULL AS VARCHAR) AS feedback_id")
        # the rank among identical entries of one page keeps repeated short feedback ('FE', 5/5) apart
        con.execute(f"""
            UPDATE _fbk SET nth = n.nth FROM (
                SELECT _r, row_number() OVER (PARTITION BY src, split_part(location, ' feedback ', 1), lkey,
                       rating_text, text, age_text, buyer, buyer_band ORDER BY position) AS nth FROM _fbk) n
            WHERE _fbk._r = n._r;
            UPDATE _fbk SET feedback_id = {digest_sql(identity)};
        """)
        new = keep_new(con, "_fbk", "feedback", "feedback_id", res)
        con.execute(f"""
            INSERT INTO feedback (feedback_id, source_id, market, crawl_date, location, listing_id, listing_key,
                                  item_title, vendor_id, vendor, rating, rating_text, text, age_text, date_est,
                                  buyer, buyer_band, raw)
            SELECT feedback_id, source_id, mkt, cdate, location,
                   CASE WHEN lkey IS NOT NULL THEN {digest_sql(['mkt', 'lkey'], 16)} END, listing_key,
                   item_title,
                   CASE WHEN nullif(trim(vendor), '') IS NOT NULL THEN {vendor_id_sql('mkt', 'vendor')}
                   END, vendor, rating, rating_text, text, age_text,
                   CASE WHEN age_days IS NOT NULL THEN cdate - age_days END, buyer, buyer_band, raw
            FROM {new} ORDER BY _r
        """)
        return res
    finally:
        drop_quietly(con, "_fbk", "_fbk_new")
