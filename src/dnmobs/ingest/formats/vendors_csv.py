"""A canonical vendor table: `market,vendor,pgp_key,contact,profile_text`, in any column order.

One record per row. Further columns are kept in ``raw``; an optional ``crawl_date`` (or ``date``)
column dates the row (a vendor list need not be dated). The row's ``market`` wins over --market,
which fills it only where a row leaves it empty. PGP key blocks keep their line breaks (quoted
multi-line fields), and are stored as found.
"""

from __future__ import annotations

from collections.abc import Iterator

from dnmobs.ingest.csvread import CsvTable
from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.formats._common import csv_batches, first_record, ident, raw_sql
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import SourceFile

NAME = "vendors-csv"
SUMMARY = "Canonical vendor table: market,vendor,pgp_key,contact,profile_text (+ any columns, kept raw)"
MARKET = None
MARKET_KIND = "unknown"
CHUNK = 64
REQUIRED = ["market", "vendor", "pgp_key", "contact", "profile_text"]
_DATE_COLUMNS = ("crawl_date", "date")


def sniff(head: str, name: str) -> bool:
    return set(REQUIRED) <= {c.lower() for c in first_record(head)}


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    yield from csv_batches(ctx, srcs, "vendors", NAME, REQUIRED, _select, fold_case=True)


def _select(t: CsvTable) -> str:
    lower = {c.lower(): c for c in t.columns}

    def col(name: str) -> str:
        return ident(lower[name])

    date_col = next((lower[c] for c in _DATE_COLUMNS if c in lower), None)
    crawl_date = f"try_cast(trim({ident(date_col)}) AS DATE)" if date_col else "NULL::DATE"
    raw_cols = [c for c in t.columns if c not in ("src", "_row")]
    return f"""
        SELECT _r, src, 'row ' || _row AS location,
               nullif(lower(trim({col('market')})), '') AS market,
               {crawl_date} AS crawl_date,
               nullif(trim({col('vendor')}), '') AS handle,
               {col('pgp_key')} AS pgp_key,
               {col('contact')} AS contact,
               {col('profile_text')} AS profile_text,
               {raw_sql(raw_cols, drop_nulls=True)} AS raw
        FROM "{t.name}"
    """
