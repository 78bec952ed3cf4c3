"""Load messenger messages and the contacts found in them.

A message's identity is its market and the chat's own message id (``message_key``): the same chat
exported twice, or as JSON and as HTML, stores each message once; the later copies count as skipped.
Chats become markets of kind 'messenger'; the vendor named by a message gets a vendors row.
"""

from __future__ import annotations

import duckdb

from dnmobs.ingest.loaders import (
    Chunk,
    LoadResult,
    counts_by_src,
    digest_sql,
    refused_notes,
    register,
    vendor_id_sql,
)

_COLUMNS = ["platform", "chat_type", "chat_id", "message_key", "source_id", "location", "date", "edited",
            "sender", "sender_id", "vendor", "kind", "action", "text", "offer_text", "reply_to",
            "forwarded_from", "media", "media_file", "raw"]
_BAD_MESSAGE = "mkt IS NULL OR mkt = '' OR message_key IS NULL OR message_key = ''"
_BAD_CONTACT = "mkt IS NULL OR mkt = '' OR kind IS NULL OR value IS NULL OR value = ''"


def message_id_sql(market: str, key: str) -> str:
    """The message id: one definition for every loader and query that needs it."""
    return digest_sql([market, key], 24)


def _add_vendors(con: duckdb.DuckDBPyConnection, table: str) -> None:
    con.execute(f"""
        INSERT INTO vendors (vendor_id, market, handle)
        SELECT vid, arg_min(mkt, rn), arg_min(trim(vendor), rn)
        FROM (SELECT {vendor_id_sql('mkt', 'vendor')} AS vid, mkt, vendor, rn
              FROM {table} WHERE vendor IS NOT NULL AND trim(vendor) <> '')
        WHERE vid NOT IN (SELECT vendor_id FROM vendors)
        GROUP BY vid
    """)


@register("messages")
def load_messages(con: duckdb.DuckDBPyConnection, rel: str, chunk: Chunk) -> LoadResult:
    res = LoadResult()
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _mstage AS
            SELECT *, {message_id_sql('mkt', 'message_key')} AS message_id
            FROM (SELECT b.*, fb.source_id, lower(trim(coalesce(b.market, fb.market))) AS mkt,
                         row_number() OVER () AS rn
                  FROM {rel} b JOIN _fb fb ON fb.src = b.src)
        """)
        res.refused = refused_notes(con, f"""
            SELECT src, location,
                   CASE WHEN mkt IS NULL OR mkt = '' THEN 'no chat name for this message (give --market)'
                        ELSE 'message without an id' END,
                   raw::VARCHAR
            FROM _mstage WHERE {_BAD_MESSAGE}
        """)
        if res.refused:
            con.execute(f"DELETE FROM _mstage WHERE {_BAD_MESSAGE}")
        good = counts_by_src(con, "_mstage")
        con.execute("""
            CREATE OR REPLACE TEMP TABLE _mfresh AS
            SELECT * FROM _mstage
            WHERE rn IN (SELECT min(rn) FROM _mstage GROUP BY message_id)
              AND message_id NOT IN (SELECT message_id FROM messages
                                     WHERE market IN (SELECT DISTINCT mkt FROM _mstage))
        """)
        res.stored = counts_by_src(con, "_mfresh")
        res.skipped = good - res.stored
        if not res.stored:
            return res
        con.execute("""
            INSERT INTO markets (market, kind, display_name)
            SELECT mkt, ?, arg_min(coalesce(market_name, mkt), rn) FROM _mfresh GROUP BY mkt
            ON CONFLICT DO NOTHING""", [chunk.market_kind])
        cols = ", ".join(_COLUMNS)
        con.execute(f"""
            INSERT INTO messages (message_id, market, {cols})
            SELECT message_id, mkt, {cols} FROM _mfresh ORDER BY rn
        """)
        # a channel speaks for itself: it is a vendor. Posters in groups become vendors when they offer
        # something (see messengers.offers), not for chatting.
        _add_vendors(con, "(SELECT * FROM _mfresh WHERE chat_type IN ('public_channel', 'private_channel', "
                          "'channel') AND kind = 'message')")
        return res
    finally:
        for t in ("_mstage", "_mfresh"):
            con.execute(f"DROP TABLE IF EXISTS {t}")


@register("contacts")
def load_contacts(con: duckdb.DuckDBPyConnection, rel: str, chunk: Chunk) -> LoadResult:
    res = LoadResult()
    try:
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _cstage AS
            SELECT *,
                   CASE WHEN message_key IS NOT NULL THEN {message_id_sql('mkt', 'message_key')} END AS message_id,
                   CASE WHEN nullif(trim(vendor), '') IS NOT NULL THEN {vendor_id_sql('mkt', 'vendor')} END
                       AS vendor_id
            FROM (SELECT b.*, fb.source_id, lower(trim(coalesce(b.market, fb.market))) AS mkt,
                         row_number() OVER () AS rn
                  FROM {rel} b JOIN _fb fb ON fb.src = b.src)
        """)
        res.refused = refused_notes(con, f"""
            SELECT src, location,
                   CASE WHEN mkt IS NULL OR mkt = '' THEN 'no market for this contact (give --market)'
                        ELSE 'contact without a kind or value' END,
                   raw::VARCHAR
            FROM _cstage WHERE {_BAD_CONTACT}
        """)
        if res.refused:
            con.execute(f"DELETE FROM _cstage WHERE {_BAD_CONTACT}")
        good = counts_by_src(con, "_cstage")
        key = "coalesce(message_id, '') || chr(31) || coalesce(vendor_id, '') || chr(31) || kind || chr(31) || value"
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _cfresh AS
            SELECT * FROM _cstage
            WHERE rn IN (SELECT min(rn) FROM _cstage GROUP BY {key})
              AND {key} NOT IN (SELECT {key} FROM contacts WHERE market IN (SELECT DISTINCT mkt FROM _cstage))
        """)
        res.stored = counts_by_src(con, "_cfresh")
        res.skipped = good - res.stored
        if not res.stored:
            return res
        con.execute("INSERT INTO markets (market, kind, display_name) SELECT DISTINCT mkt, ?, mkt FROM _cfresh "
                    "ON CONFLICT DO NOTHING", [chunk.market_kind])
        con.execute("""
            INSERT INTO contacts (vendor_id, message_id, market, kind, value, source_id, first_seen, location)
            SELECT vendor_id, message_id, mkt, kind, value, source_id, date, location FROM _cfresh ORDER BY rn
        """)
        return res
    finally:
        for t in ("_cstage", "_cfresh"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
