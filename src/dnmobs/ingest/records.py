"""The record kinds a format may produce. Formats fill what they know; the rest is NULL.

A batch holds records of one kind from one chunk of sources, either as an Arrow table or as
a SQL query over temporary tables (the fast path for CSV read by DuckDB). Either way it has a
``src`` column: the position, in the chunk, of the source each record came from. A SQL batch
also has ``_r``, a number unique to each record in the batch (csvread's views provide it):
loaders compute keys in a narrow pass and then fetch the kept records by ``_r``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa

from dnmobs.ingest.sources import Note

OBSERVATION = pa.schema([
    ("src", pa.int32()),              # position of the source in the chunk
    ("location", pa.string()),        # 'row 12'
    ("market", pa.string()),          # per-row market, else --market, else the format's
    ("crawl_date", pa.date32()),      # per-row date, else from names or --crawl-date
    ("listing_key", pa.string()),     # the market's own listing id, when the data has one
    ("title", pa.string()),
    ("description", pa.string()),
    ("price_text", pa.string()),
    ("price_amount", pa.float64()),
    ("price_currency", pa.string()),
    ("usd_rate", pa.float64()),
    ("price_usd_shown", pa.float64()),
    ("vendor", pa.string()),
    ("category", pa.string()),
    ("ships_from", pa.string()),
    ("ships_to", pa.string()),
    ("sold_count", pa.int64()),
    ("sold_since", pa.date32()),
    ("feedback_count", pa.int64()),
    ("rating", pa.float64()),
    ("counters_text", pa.string()),
    ("raw", pa.string()),             # JSON object of every field as read
])

VENDOR = pa.schema([
    ("src", pa.int32()),
    ("location", pa.string()),
    ("market", pa.string()),
    ("crawl_date", pa.date32()),
    ("handle", pa.string()),
    ("rating", pa.float64()),
    ("deals", pa.string()),
    ("n_products", pa.int64()),
    ("last_seen_text", pa.string()),
    ("pgp_key", pa.string()),
    ("contact", pa.string()),
    ("profile_text", pa.string()),
    ("raw", pa.string()),
])

# A message of a messenger chat (Telegram, WhatsApp). Phone numbers are already hashed in text and raw.
MESSAGE = pa.schema([
    ("src", pa.int32()),
    ("location", pa.string()),        # 'message 12', 'line 40'
    ("market", pa.string()),          # 'telegram:<chat>' (or --market)
    ("market_name", pa.string()),     # the chat's display name
    ("platform", pa.string()),        # 'telegram', 'whatsapp'
    ("chat_type", pa.string()),
    ("chat_id", pa.string()),
    ("message_key", pa.string()),     # the chat's own message id, or a digest when it has none
    ("date", pa.timestamp("us")),
    ("edited", pa.timestamp("us")),
    ("sender", pa.string()),
    ("sender_id", pa.string()),
    ("vendor", pa.string()),
    ("kind", pa.string()),            # 'message', 'service'
    ("action", pa.string()),
    ("text", pa.string()),
    ("offer_text", pa.string()),      # text for offers when it differs (struck-out prices removed)
    ("reply_to", pa.string()),
    ("forwarded_from", pa.string()),
    ("media", pa.string()),
    ("media_file", pa.string()),
    ("raw", pa.string()),
])

# A contact seen in a message (or given for a vendor); phones only as keyed hashes.
CONTACT = pa.schema([
    ("src", pa.int32()),
    ("location", pa.string()),
    ("market", pa.string()),
    ("message_key", pa.string()),     # the message it was seen in (with market), if any
    ("vendor", pa.string()),
    ("date", pa.date32()),
    ("kind", pa.string()),
    ("value", pa.string()),
    ("raw", pa.string()),
])

SCHEMAS: dict[str, pa.Schema] = {"observations": OBSERVATION, "vendors": VENDOR, "messages": MESSAGE,
                                 "contacts": CONTACT}

# --- saved pages (formats pages and warc; loaders/pages.py) ---

PAGE = pa.schema([                   # one per page read: what it was, so error pages are counted
    ("src", pa.int32()),
    ("location", pa.string()),        # the page's site path ('/p/AbCdEf') or its WARC target URI
    ("market", pa.string()),
    ("crawl_date", pa.date32()),
    ("page_type", pa.string()),       # product, vendor, category, error, other
    ("error", pa.string()),           # for error pages: removed, login, captcha, ddos, empty, truncated, http-error
    ("layout", pa.string()),          # the parser that read it: a market layout or 'generic'
    ("confidence", pa.float64()),
    ("listing_key", pa.string()),
    ("usd_rate", pa.float64()),
    ("charset", pa.string()),
    ("truncated", pa.bool_()),
    ("http_status", pa.int32()),
    ("n_rows", pa.int32()),           # listing rows on a category or vendor page
    ("n_feedback", pa.int32()),
    ("sha256", pa.string()),          # of the page's bytes
    ("size", pa.int64()),
    ("raw", pa.string()),
])

LISTING_ROW = pa.schema([            # a listing as a row of a category or vendor page
    *[f for f in OBSERVATION if f.name != "raw"],
    ("page_type", pa.string()),       # category, vendor or grid
    ("position", pa.int32()),         # 0-based row on its page
    ("raw", pa.string()),
])

FEEDBACK = pa.schema([
    ("src", pa.int32()),
    ("location", pa.string()),
    ("market", pa.string()),
    ("crawl_date", pa.date32()),
    ("listing_key", pa.string()),     # the listing the feedback is about
    ("item_title", pa.string()),      # as linked on vendor pages
    ("vendor", pa.string()),
    ("rating", pa.float64()),         # out of 5
    ("rating_text", pa.string()),
    ("text", pa.string()),
    ("age_text", pa.string()),        # '3 days ago'
    ("age_days", pa.int32()),
    ("buyer", pa.string()),
    ("buyer_band", pa.string()),      # the buyer's own rating and deal band, as shown
    ("position", pa.int32()),
    ("raw", pa.string()),
])

SCHEMAS.update({"pages": PAGE, "listing_rows": LISTING_ROW, "feedback": FEEDBACK})

_SQL_TYPES = {pa.string(): "VARCHAR", pa.int32(): "INTEGER", pa.int64(): "BIGINT", pa.float64(): "DOUBLE",
              pa.date32(): "DATE", pa.bool_(): "BOOLEAN", pa.timestamp("us"): "TIMESTAMP"}


def sql_type(t: pa.DataType) -> str:
    return _SQL_TYPES[t]


@dataclass
class Batch:
    """Records of one kind, and the records that could not be read.

    ``table`` (Arrow) or ``sql`` (a SELECT over the connection's temp tables) holds the records;
    ``rows`` says how many records ``sql`` yields, so counts never need a second pass.
    """

    kind: str
    table: pa.Table | None = None
    sql: str | None = None
    rows: int = 0
    quarantine: list[Note] = field(default_factory=list)

    @property
    def n_records(self) -> int:
        return self.table.num_rows if self.table is not None else self.rows


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """The table with exactly the schema's columns, in order, missing ones as NULL, types cast."""
    cols = []
    for f in schema:
        if f.name in table.column_names:
            col = table.column(f.name)
            cols.append(col if col.type == f.type else col.cast(f.type))
        elif f.name == "src":
            cols.append(pa.array([0] * table.num_rows, pa.int32()))
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=schema)


def conform_sql(sql: str, present: list[str], schema: pa.Schema) -> str:
    """A SELECT over ``sql`` with ``_r`` and exactly the schema's columns, missing ones as typed NULLs."""
    if "_r" not in present:
        raise ValueError("a SQL batch needs an _r column")
    cols = ['q."_r" AS "_r"']
    for f in schema:
        if f.name == "raw" and "raw" in present:
            cols.append('CAST(q."raw" AS JSON) AS "raw"')  # a no-op when the format built JSON already
        elif f.name in present:
            cols.append(f'CAST(q."{f.name}" AS {sql_type(f.type)}) AS "{f.name}"')
        elif f.name == "src":
            cols.append('0 AS "src"')
        else:
            cols.append(f'NULL::{"JSON" if f.name == "raw" else sql_type(f.type)} AS "{f.name}"')
    return f"SELECT {', '.join(cols)} FROM ({sql}) q"


def from_rows(rows: list[dict], schema: pa.Schema) -> pa.Table:
    """Build a conforming table from Python dicts (for the formats read in Python)."""
    return pa.Table.from_pylist(rows, schema=schema)
