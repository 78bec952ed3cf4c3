"""Matanga 2020 raw scrapes of the Georgian storefront (crrcgeorgia/matanga `output_DDMMYYYY_HHMMSS.csv`).

One row per product on offer in one city at one scrape time. Columns (Russian names as in the
files): ``time_stamp`` `01-03-2020 02:56:54` (day first; its date is the crawl date),
``region``/``город`` the city (English/Russian), ``sell_code`` the seller's code (the vendor),
``description`` the title as written (often Russian or emoji-laden), ``desc_en`` its English
transliteration/translation, ``вес`` the weight (`0.5 гр`), ``готовых`` how many ready drops
there are (`нет` = none) and ``предзаказ`` the pre-order count, the prices in ``BTC``, ``ք``
(Armenian dram), ``₴`` (hryvnia), ``Br`` (Belarusian rouble), ``$`` and ``€`` (either of the last
two may be empty), and one `True`-or-empty column per district the drop is in (Saburtalo, Vake,
...; the set differs between files, so sources are joined by column name).

Mapping: title = ``description``; description = ``desc_en``; price_text = the currency columns
as shown (`0.0122 BTC / 7302 ք / 2692 ₴ / 244 Br / 109.0 $`); price amount and currency = the
BTC figure; price_usd_shown = ``$``; usd_rate = ``$`` / ``BTC`` where the BTC figure is precise
enough; ships_from = the city. The weight is not a field of an observation: it stays in ``raw``
(``вес``) for the extraction. Matanga shows no listing id; the listing key is city + seller +
title, since one seller lists the same product in several cities. The leading unnamed column and
``Unnamed: 0`` are row indexes and are left out of ``raw``.

``logfile.txt`` beside the scrapes is the scraper's log, not data (an unknown format).
The researchers' ``sales-labelled-dev.csv`` is not a scrape (cleaned listing-days with their
labels): it is a benchmark's ground truth, not ingested, so there is no format for it.
"""

from __future__ import annotations

from collections.abc import Iterator

from dnmobs.ingest.csvread import CsvTable
from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.formats._common import (
    csv_batches,
    first_record,
    ident,
    implied_rate_sql,
    lit,
    raw_sql,
)
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import SourceFile

NAME = "matanga-scrape"
SUMMARY = "Matanga 2020 raw scrapes (Russian column names; prices in BTC, ք, ₴, Br, $, €)"
MARKET = "matanga"
MARKET_KIND = "darknet"
CHUNK = 128
REQUIRED = ["time_stamp", "region", "sell_code", "description", "город", "вес", "BTC", "desc_en"]
CURRENCIES = ["BTC", "ք", "₴", "Br", "$", "€"]  # in the order the price text shows them
_INDEXES = {"", "Unnamed: 0", "column0", "column00"}


def sniff(head: str, name: str) -> bool:
    return set(REQUIRED) <= set(first_record(head))


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    yield from csv_batches(ctx, srcs, "observations", NAME, REQUIRED, _select)


def _select(t: CsvTable) -> str:
    # DuckDB names an unnamed header cell column0; it and 'Unnamed: 0' are row positions
    raw_cols = [c for c in t.columns[1:] if c not in _INDEXES]
    shown = [c for c in CURRENCIES if c in t.columns]
    parts = ", ".join(f"CASE WHEN nullif(trim({ident(c)}), '') IS NOT NULL "
                      f"THEN trim({ident(c)}) || ' ' || {lit(c)} END" for c in shown)
    usd = "try_cast(trim(\"$\") AS DOUBLE)" if "$" in t.columns else "NULL::DOUBLE"
    btc = 'try_cast(trim("BTC") AS DOUBLE)'
    return f"""
        SELECT _r, src, 'row ' || _row AS location,
               try_cast(try_strptime(trim(time_stamp), '%d-%m-%Y %H:%M:%S') AS DATE) AS crawl_date,
               lower(trim("город")) || chr(31) || trim(sell_code) || chr(31)
                   || lower(regexp_replace(trim(description), '\\s+', ' ', 'g')) AS listing_key,
               description AS title,
               desc_en AS description,
               nullif(concat_ws(' / ', {parts}), '') AS price_text,
               {btc} AS price_amount,
               CASE WHEN {btc} IS NOT NULL THEN 'BTC' END AS price_currency,
               {usd} AS price_usd_shown,
               {implied_rate_sql(usd, btc, 'trim("BTC")')} AS usd_rate,
               nullif(trim(sell_code), '') AS vendor,
               nullif(trim(region), '') AS ships_from,
               'готовых: ' || coalesce(trim("готовых"), '-') || ', предзаказ: '
                   || coalesce(trim("предзаказ"), '-') AS counters_text,
               {raw_sql(raw_cols, drop_nulls=True)} AS raw
        FROM "{t.name}"
    """
