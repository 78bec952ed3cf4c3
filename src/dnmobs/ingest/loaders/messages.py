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
    add_markets,
    add_vendors,
    digest_sql,
    drop_quietly,
    keep_new,
    register,
    stage,
    vendor_id_sql,
)

_COLUMNS = ["platform", "chat_type", "chat_id", "message_key", "source_id", "location", "date", "edited",
            "sender", "sender_id", "vendor", "kind", "action", "text", "offer_text", "reply_to",
            "forwarded_from", "media", "media_file", "raw"]


# The stored rows a batch's rows could repeat: those of the same message ids. A repeat is looked for among
# them only, not among all the market's rows: a huge export would otherwise hash every stored id (or
# contact) again for each batch, in time and memory growing with what was already loaded.
_SAME_IDS = ("(SELECT * FROM {table} WHERE coalesce(message_id, '') IN "
             "(SELECT DISTINCT coalesce(message_id, '') FROM {staged}))")


def message_id_sql(market: str, key: str) -> str:
    """The message id: one definition for every loader and query that needs it."""
    return digest_sql([market, key], 24)


@register("messages")
def load_messages(con: duckdb.DuckDBPyConnection, rel: str, chunk: Chunk) -> LoadResult:
    try:
        res = stage(con, rel, "_ms", dated=False,
                    why="CASE WHEN mkt IS NULL OR mkt = '' THEN 'no chat name for this message (give --market)' "
                        "WHEN message_key IS NULL OR message_key = '' THEN 'message without an id' END",
                    keys=f"{message_id_sql('mkt', 'message_key')} AS message_id")
        new = keep_new(con, "_ms", _SAME_IDS.format(table="messages", staged="_ms"), "message_id", res)
        if not res.stored:
            return res
        add_markets(con, new, chunk.market_kind, name="coalesce(market_name, mkt)")
        cols = ", ".join(_COLUMNS)
        con.execute(f"INSERT INTO messages (message_id, market, {cols}) SELECT message_id, mkt, {cols} FROM {new} "
                    "ORDER BY _r")
        # a channel speaks for itself: it is a vendor. Posters in groups become vendors when they offer
        # something (see messengers.offers), not for chatting.
        add_vendors(con, f"(SELECT * FROM {new} WHERE chat_type IN ('public_channel', 'private_channel', "
                         "'channel') AND kind = 'message')")
        return res
    finally:
        drop_quietly(con, "_ms", "_ms_new")


@register("contacts")
def load_contacts(con: duckdb.DuckDBPyConnection, rel: str, chunk: Chunk) -> LoadResult:
    key = "coalesce(message_id, '') || chr(31) || coalesce(vendor_id, '') || chr(31) || kind || chr(31) || value"
    try:
        res = stage(con, rel, "_ct", dated=False,
                    why="CASE WHEN mkt IS NULL OR mkt = '' THEN 'no market for this contact (give --market)' "
                        "WHEN kind IS NULL OR value IS NULL OR value = '' THEN 'contact without a kind or value' END",
                    keys=f"CASE WHEN message_key IS NOT NULL THEN {message_id_sql('mkt', 'message_key')} END "
                         f"AS message_id, CASE WHEN nullif(trim(vendor), '') IS NOT NULL "
                         f"THEN {vendor_id_sql('mkt', 'vendor')} END AS vendor_id")
        new = keep_new(con, "_ct", _SAME_IDS.format(table="contacts", staged="_ct"), key, res)
        if not res.stored:
            return res
        add_markets(con, new, chunk.market_kind)
        con.execute(f"""
            INSERT INTO contacts (vendor_id, message_id, market, kind, value, source_id, first_seen, location)
            SELECT vendor_id, message_id, mkt, kind, value, source_id, date, location FROM {new} ORDER BY _r
        """)
        return res
    finally:
        drop_quietly(con, "_ct", "_ct_new")
