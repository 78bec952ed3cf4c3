"""Agora as parsed by mozzarellaV8/agora-marketplace: listing files written by R.

Two layouts, told apart by their header:

* ``products-*.csv``: `list,date,vendor,product,price,cat,subcat,subsubcat,feedback,from,to`.
  ``list`` is the saved page's file name, `2014-01-01__a1BkWEipyk.html`: the part after `__` is
  Agora's own listing id (the `p/<id>` page), the same across crawls, so it is the listing key.
  ``feedback`` is the text of the page's feedback box with its HTML indentation; its entries are
  counted (a rating line like `5/5` after a blank line starts an entry; `No feedbacks found.` is
  zero). Agora shows at most about 20 recent feedbacks, so the count is a lower bound: the text the
  count came from is kept as counters_text.
* ``vendorall_*.csv``: `date,vendor,product,description,price,from,to`, no category and no id.

Prices are in BTC (some written like `1e-07`). R wrote missing values as a bare `NA`; every field
that is exactly `NA` is NULL. Places carry the page's line breaks and indentation, squashed here;
where the "from" box holds both places (`From: Germany To: Worldwide`), they are split.
The per-row ``date`` is the crawl date.
"""

from __future__ import annotations

from collections.abc import Iterator

from dnmobs.ingest.csvread import CsvTable
from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.formats._common import (
    csv_batches,
    first_record,
    ident,
    raw_sql,
    squash_sql,
)
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import SourceFile

NAME = "agora-mozzarella"
SUMMARY = "Agora listings Jan-Mar 2014 (mozzarellaV8 parse: products-*.csv, vendorall_*.csv; price in BTC)"
MARKET = "agora"
MARKET_KIND = "darknet"
CHUNK = 16
PRODUCTS = ["list", "date", "vendor", "product", "price", "cat", "subcat", "subsubcat", "feedback", "from", "to"]
VENDORALL = ["date", "vendor", "product", "description", "price", "from", "to"]

# A feedback entry starts with its rating alone on a line right after a blank line; a comment that
# merely says "5/5" follows the rating line directly, so it is not counted. (RE2: linear time.)
_ENTRY = r"\n[ \t]*\r?\n[ \t]*[0-5](?:\.[0-9]+)?/5[ \t]*\r?\n"
# Some pages put labelled places in the "from" box: `From: Germany To: Worldwide`, `From: USA`, `To: EU`.
_FROM_TO_GUARD = r"^(?:From|To):"
_FROM_TO = r"^(?:From:(.*?))?(?:To:(.*))?$"


def sniff(head: str, name: str) -> bool:
    return first_record(head) in (PRODUCTS, VENDORALL)


def _na(col: str) -> str:
    return f"nullif({ident(col)}, 'NA')"


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    yield from csv_batches(ctx, srcs, "observations", NAME, lambda cols: PRODUCTS if "list" in cols else VENDORALL,
                           _select)


def _select(t: CsvTable) -> str:
    have = set(t.columns)

    def opt(col: str) -> str:  # a column of one layout only is NULL in the other's records
        return _na(col) if col in have else "NULL::VARCHAR"

    fb = opt("feedback")
    category = ("nullif(concat_ws('/', " + ", ".join(f"nullif(trim({opt(c)}), '')" for c in
                                                       ("cat", "subcat", "subsubcat")) + "), '')")
    raw_cols = [c for c in t.columns if c not in ("src", "_row")]
    return f"""
        SELECT _r, src, 'row ' || _row AS location,
               try_cast(trim({_na('date')}) AS DATE) AS crawl_date,
               nullif(regexp_extract({opt('list')}, '__([A-Za-z0-9]+)\\.html?$', 1), '') AS listing_key,
               {_na('product')} AS title,
               {opt('description')} AS description,
               trim({_na('price')}) AS price_text,
               try_cast(trim({_na('price')}) AS DOUBLE) AS price_amount,
               CASE WHEN {_na('price')} IS NOT NULL THEN 'BTC' END AS price_currency,
               nullif(trim({_na('vendor')}), '') AS vendor,
               {category} AS category,
               CASE WHEN _from_to IS NULL THEN {squash_sql(_na('from'))} ELSE _from_to[1] END AS ships_from,
               coalesce({squash_sql(_na('to'))}, _from_to[2]) AS ships_to,
               CASE WHEN _none THEN 0 ELSE nullif(_entries, 0) END AS feedback_count,
               CASE WHEN _none THEN 'No feedbacks found.'
                    WHEN _entries > 0 THEN _entries || ' feedbacks shown' END AS counters_text,
               {raw_sql(raw_cols, drop_nulls=True)} AS raw
        FROM (SELECT *, coalesce(contains({fb}, 'No feedbacks found'), false) AS _none,
                     coalesce(len(regexp_extract_all({fb}, '{_ENTRY}')), 0) AS _entries,
                     CASE WHEN regexp_matches({squash_sql(_na('from'))}, '{_FROM_TO_GUARD}') THEN
                          [nullif(trim(regexp_extract({squash_sql(_na('from'))}, '{_FROM_TO}', 1)), ''),
                           nullif(trim(regexp_extract({squash_sql(_na('from'))}, '{_FROM_TO}', 2)), '')]
                     END AS _from_to
              FROM "{t.name}")
    """
