"""Agora listing snapshots 2014-2015 as parsed by ADA-2019 (`,name,price,from,to,vendor,cat_hash,cat,date`).

Prices are in BTC. The leading unnamed column is a pandas index, not part of the record.
"""

from __future__ import annotations

from collections.abc import Iterator

from dnmobs.ingest.csvread import CsvTable
from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.formats._common import csv_batches
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import SourceFile

NAME = "agora-ada"
SUMMARY = "Agora listing snapshots 2014-2015 (ADA-2019 parse; price in BTC)"
MARKET = "agora"
MARKET_KIND = "darknet"
CHUNK = 64
HEADER = ["", "name", "price", "from", "to", "vendor", "cat_hash", "cat", "date"]
_FIELDS = HEADER[1:]


def sniff(head: str, name: str) -> bool:
    first = head.lstrip("\ufeff").split("\n", 1)[0].strip().split(",")
    return [c.strip() for c in first] == HEADER


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    yield from csv_batches(ctx, srcs, "observations", NAME, _FIELDS, _select)


def _select(t: CsvTable) -> str:
    raw = ", ".join(f"'{c}': \"{c}\"" for c in _FIELDS)
    return f"""
        SELECT _r, src, 'row ' || _row AS location,
               try_cast(date AS DATE) AS crawl_date,
               name AS title,
               price AS price_text,
               try_cast(price AS DOUBLE) AS price_amount,
               'BTC' AS price_currency,
               vendor,
               nullif(trim(cat), '') AS category,
               nullif(trim("from"), '') AS ships_from,
               nullif(trim("to"), '') AS ships_to,
               to_json({{{raw}}}) AS raw
        FROM "{t.name}"
    """
