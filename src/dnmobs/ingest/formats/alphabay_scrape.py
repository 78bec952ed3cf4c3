"""AlphaBay 2017 category scrapes (davidldenton/dnm: `<Category>_-_<sub>_-_YYYYMMDD.csv`).

Encoding. The files are not UTF-8: they are Mac OS Roman, the native 8-bit encoding of the
R session that wrote them (titles that were already mojibake show it: `März` arrives as the
bytes ``M\\xed_rz``, UTF-8 read as Latin-1 and written back as Mac Roman, unmappable characters
turned into `_`). The original emoji and accents cannot be recovered, so the choice is only
about reading the bytes faithfully and safely. Mac Roman maps every byte 0x80-0xFF to a printable
character, so decoding never fails and never yields a control character. Latin-1 or Windows-1252
would be wrong here: Latin-1 turns 0x80-0x9F (about 30,000 of these bytes, inside such mojibake
runs) into C1 control characters, among them 0x85 = NEL, which Python's ``str.splitlines`` and
many tools treat as a line end, so a record could be split in two; Windows-1252 leaves 0x81, 0x8D,
0x8F, 0x90 and 0x9D undefined, and they occur. Records end with CRLF; inside quoted fields
lines end with LF or a lone CR, which the CSV reader keeps as field content.

Columns. The header names are the scraper's selector names, not what the cells hold. Each row joins
a listing as shown in a category grid with the listing's own item page:

    category_link      grid: category level 1 (`Drugs & Chemicals`)
    subcategory_link   grid: category level 2 (`Stimulants`)
    listing_title      grid: the full title
    listing_price      grid: `Buy price\\nUSD 120.00\\n\\n(0.0901 BTC)` (auctions also `Current price ...`)
    listing_vendor     grid: the vendor handle
    listing_item       grid: `Views: 2504 / Bids: Fixed price\\nQuantity left: Unlimited`, or
                       `Item # 233781 - Benzos / Powder`: counters, not an item
    listing_link       grid: the title again (the link's text)
    category_id        item page: breadcrumb level 1 (a name, not an id)
    subcategory_id     item page: breadcrumb level 2
    subcategory2_id    item page: breadcrumb level 3 (repeats level 2 in two-level categories)
    detail_name        item page: the title cut to 50 characters plus `...`
    detail_qty_sold    item page: `Sold by X -\\n47 sold since Jan 7, 2017<sep>Vendor Level 5<sep>Trust
                       Level 5`, <sep> a mangled separator (`Œæ`, `åÊ`, `Î_`): the counters
    detail_price       item page: `Purchase price: USD 120.00`
    pagination_link    grid: the page number the listing was on, not a link

The literal `null` is the scraper's empty value. In a few rows the item page belongs to another
listing (its `Sold by` names another vendor): its fields are then not used for the record.

Mapping: title = listing_title (else detail_name); vendor = listing_vendor; category = the market's
own path from the item page's breadcrumb (`Drugs & Chemicals/Stimulants/Cocaine`; the grid's levels
when the item page is not this listing's); price_text = the grid's price box with white space
squashed (else the item page's); the `Buy price` (else `Current`, else `Purchase`) figures give
price_usd_shown (USD) and price_amount in BTC, and usd_rate = USD / BTC where the BTC figure is
precise enough (see _common.implied_rate); sold_count and sold_since from `N sold since DATE`;
counters_text = the item page's counters with separators made readable. The crawl date is the
date in the file name. AlphaBay's `Item #` number appears on 0.3% of rows only, so it is not
used as the listing key (a listing would get two identities); it stays in ``raw``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pyarrow as pa
import re2

from dnmobs.ingest.csvread import CsvTable, prepare
from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.formats._common import csv_batches, first_record, implied_rate
from dnmobs.ingest.records import OBSERVATION, Batch, from_rows
from dnmobs.ingest.sources import SourceFile

NAME = "alphabay-scrape"
SUMMARY = "AlphaBay 2017 category scrapes (Mac Roman bytes; USD prices with BTC; sold counters)"
MARKET = "alphabay"
MARKET_KIND = "darknet"
CHUNK = 32
ENCODING = "mac_roman"
HEADER = ["category_link", "subcategory_link", "listing_title", "listing_price", "listing_vendor", "listing_item",
          "listing_link", "subcategory_id", "subcategory2_id", "detail_name", "detail_qty_sold", "detail_price",
          "pagination_link", "category_id"]

# Plain string operations where they suffice; RE2 (linear time) for the two patterns, one call each
# per row (its Python binding costs tens of microseconds a call).
# after 'Buy price ' etc. and white space squashed: 'USD 1,234.50 (0.9876 BTC)', the BTC part may be absent
_AMOUNTS = re2.compile(r"USD ([0-9][0-9,]*(?:\.[0-9]+)?)(?: \(([0-9]+(?:\.[0-9]+)?) BTC\))?")
_PRICE_LABELS = ("Buy price ", "Current price ", "Purchase price: ")  # in order of preference
_SOLD = re2.compile(r"([0-9][0-9,]*) sold since ([A-Z][a-z]{2}) ([0-9]{1,2}), ([0-9]{4})")
_LABELS = ("Vendor Level", "Trust Level")  # the item page's separators arrive as junk glued to these
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), start=1)}


def sniff(head: str, name: str) -> bool:
    return first_record(head) == HEADER


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    for src in srcs:
        prepare(src, ENCODING)

    def select(t: CsvTable) -> pa.Table:
        cols = ", ".join(f'"{c}"' for c in HEADER)
        rows = ctx.con.execute(f'SELECT src, _row, {cols} FROM "{t.name}" ORDER BY _r').fetchall()
        return from_rows([record(r[0], r[1], dict(zip(HEADER, r[2:], strict=True))) for r in rows], OBSERVATION)

    yield from csv_batches(ctx, srcs, "observations", NAME, HEADER, select)


def record(src: int, row: int, f: dict[str, str | None]) -> dict:
    """One observation from the fields of one row (as read, ``null`` meaning empty)."""
    v = {k: _value(x) for k, x in f.items()}
    counters = _squash(v["detail_qty_sold"])
    seller = _seller(counters)
    # the item page is this listing's unless its seller is someone else
    same_item = not (seller and v["listing_vendor"] and seller != v["listing_vendor"])
    price_text = _squash(v["listing_price"]) or (_squash(v["detail_price"]) if same_item else None)
    usd = btc = btc_text = None
    m = _amounts(price_text)
    if m:
        usd = float(m.group(1).replace(",", ""))
        btc_text = m.group(2)
        btc = float(btc_text) if btc_text else None
    if same_item:
        levels = [v["category_id"], v["subcategory_id"], v["subcategory2_id"]]
        if levels[2] == levels[1]:  # a two-level category repeats its last level
            levels.pop()
    else:
        levels = [v["category_link"], v["subcategory_link"]]
    sold = _SOLD.search(counters) if counters and same_item else None
    return {
        "src": src,
        "location": f"row {row}",
        "title": v["listing_title"] or v["detail_name"],
        "price_text": price_text,
        "price_amount": btc if btc is not None else usd,
        "price_currency": "BTC" if btc is not None else ("USD" if usd is not None else None),
        "usd_rate": implied_rate(usd, btc, btc_text),
        "price_usd_shown": usd,
        "vendor": v["listing_vendor"] or seller,
        "category": "/".join(x.strip() for x in levels if x and x.strip()) or None,
        "sold_count": int(sold.group(1).replace(",", "")) if sold else None,
        "sold_since": _date(sold) if sold else None,
        "counters_text": _separated(counters) if counters and same_item else None,
        "raw": _json(f),
    }


def _value(x: str | None) -> str | None:
    return None if x is None or x.strip() in ("", "null") else x


def _squash(x: str | None) -> str | None:
    """White space runs as one space, trimmed; empty as None."""
    return " ".join(x.split()) or None if x else None


def _seller(counters: str | None) -> str | None:
    """X in 'Sold by X - ...'."""
    if not counters or not counters.startswith("Sold by "):
        return None
    end = counters.find(" -", 8)
    return counters[8:end] if end > 8 else None


def _amounts(price_text: str | None):
    """The USD and BTC figures after the preferred label ('Buy price' over 'Current price' over
    'Purchase price:'), or None."""
    if not price_text:
        return None
    for label in _PRICE_LABELS:
        at = price_text.find(label)
        if at >= 0:
            return _AMOUNTS.match(price_text, at + len(label))
    return None


def _separated(counters: str) -> str:
    """The counters with the junk before each label made a ' · ' ('2017ŒæŒæVendor Level 5')."""
    out = counters
    for label in _LABELS:
        at = out.find(label)
        if at > 0:
            start = at
            while start > 0 and (out[start - 1] == "_" or ord(out[start - 1]) > 0x7F):
                start -= 1
            if start < at:
                out = out[:start].rstrip() + " · " + out[at:]
    return out


def _date(m) -> date | None:
    try:
        return date(int(m.group(4)), _MONTHS[m.group(2)], int(m.group(3)))
    except (KeyError, ValueError):
        return None


def _json(f: dict) -> str:
    import orjson

    return orjson.dumps(f).decode()
