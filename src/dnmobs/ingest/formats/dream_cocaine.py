"""Dream Market cocaine listings, July 2017 (`,product_title,ships_from_to,grams,quality,btc_price,...`).

A public research table: the listing as scraped (title, BTC price, vendor, ships from/to, the
vendor's rating and successful transactions, the product and vendor links) plus columns the
researchers derived (`grams`, `quality`, `cost_per_gram`, one `ships_to_XX`/`ships_from_XX`
flag per place). Only the scraped fields are mapped; the derived ones stay in ``raw`` (their
`grams` misreads decimal commas, `0,5 g` as 5). The listing key is Dream's offer id from the
product link (`viewProduct?offer=406959.769875`). ``rating`` and ``successful_transactions`` are the
vendor's (the same on all of a vendor's rows), so they give the rating and the counters text, not
a per-listing sold count.

The file carries no date: give --crawl-date (the rows were collected in July 2017), else each
record is quarantined with the loader's reason. The leading unnamed column is a row index.
"""

from __future__ import annotations

from collections.abc import Iterator

from dnmobs.ingest.csvread import CsvTable
from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.formats._common import csv_batches, first_record, raw_sql
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import SourceFile

NAME = "dream-cocaine"
SUMMARY = "Dream Market cocaine listings, July 2017 (BTC prices; no date in the file: give --crawl-date)"
MARKET = "dream"
MARKET_KIND = "darknet"
CHUNK = 8
SIGNATURE = ["product_title", "ships_from_to", "btc_price", "product_link", "vendor_name",
             "successful_transactions", "rating", "ships_from", "ships_to"]


def sniff(head: str, name: str) -> bool:
    cols = first_record(head)
    return bool(cols) and cols[0] == "" and set(SIGNATURE) <= set(cols)


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    yield from csv_batches(ctx, srcs, "observations", NAME, SIGNATURE, _select)


def _select(t: CsvTable) -> str:
    # the first column (unnamed in the file) is the pandas row index: a position, not data
    raw_cols = [c for c in t.columns[1:] if c not in ("src", "_row")]
    return f"""
        SELECT _r, src, 'row ' || _row AS location,
               nullif(regexp_extract(product_link, '[?&]offer=([0-9A-Za-z.]+)', 1), '') AS listing_key,
               product_title AS title,
               trim(btc_price) AS price_text,
               try_cast(trim(btc_price) AS DOUBLE) AS price_amount,
               CASE WHEN btc_price IS NOT NULL THEN 'BTC' END AS price_currency,
               nullif(trim(vendor_name), '') AS vendor,
               nullif(trim(ships_from), '') AS ships_from,
               nullif(trim(ships_to), '') AS ships_to,
               try_cast(trim(rating) AS DOUBLE) AS rating,
               CASE WHEN successful_transactions IS NOT NULL
                    THEN 'vendor: ' || trim(successful_transactions) || ' successful transactions, rating '
                         || coalesce(trim(rating), '-') END AS counters_text,
               {raw_sql(raw_cols)} AS raw
        FROM "{t.name}"
    """
