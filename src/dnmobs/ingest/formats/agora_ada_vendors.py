"""Agora vendor snapshots as parsed by ADA-2019 (`,name,rating,lastSeen,publicKey,#products,#Deals,parsingDate`).

One record per vendor handle and snapshot. The PGP key blocks lost their line breaks in that parse
(`-----BEGIN PGP PUBLIC KEY BLOCK-----Version: GnuPG v2.0.22 (MingW32)mQINBF...`); they are kept
exactly as found, since guessing where the breaks were would invent data (the key digest in the
store ignores white space, so the same key with and without breaks is still one key). ``lastSeen``
is a text like `Registered 6 months 6 days   8 hours`; ``#Deals`` a range like `100~150`.
The leading unnamed column is a pandas index, not part of the record.
"""

from __future__ import annotations

from collections.abc import Iterator

from dnmobs.ingest.csvread import CsvTable
from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.formats._common import csv_batches, first_record, ident, raw_sql
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import SourceFile

NAME = "agora-ada-vendors"
SUMMARY = "Agora vendor snapshots 2014-2015 (ADA-2019 parse; PGP keys without line breaks)"
MARKET = "agora"
MARKET_KIND = "darknet"
CHUNK = 64
HEADER = ["", "name", "rating", "lastSeen", "publicKey", "#products", "#Deals", "parsingDate"]
_FIELDS = HEADER[1:]


def sniff(head: str, name: str) -> bool:
    return first_record(head) == HEADER


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    yield from csv_batches(ctx, srcs, "vendors", NAME, _FIELDS, _select)


def _select(t: CsvTable) -> str:
    return f"""
        SELECT _r, src, 'row ' || _row AS location,
               try_cast(trim("parsingDate") AS DATE) AS crawl_date,
               nullif(trim(name), '') AS handle,
               try_cast(rating AS DOUBLE) AS rating,
               nullif(trim("#Deals"), '') AS deals,
               try_cast({ident('#products')} AS BIGINT) AS n_products,
               nullif(trim("lastSeen"), '') AS last_seen_text,
               nullif(trim("publicKey"), '') AS pgp_key,
               {raw_sql(_FIELDS)} AS raw
        FROM "{t.name}"
    """
