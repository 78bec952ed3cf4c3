"""Small field readers shared by the layouts: prices, rating bands, ages, ids in links.

These run several times per page, on short field texts. RE2's Python binding costs ~16 us per
call on such strings against ~0.5 us for ``re``, which would triple the parse time, so they use
``re``: every pattern is audited (no nested or adjacent overlapping quantifiers) and reads at most
FIELD_CHARS characters, which bounds the work per call; tests/test_markets_fields.py fuzzes them.
"""

from __future__ import annotations

import re

FIELD_CHARS = 256

# '0.04424778 BTC', '1,234.50 USD', 'BTC 0.5', '$12.00', '€ 30'
_AMOUNT_CODE = re.compile(r"(?i)([0-9][0-9,]*(?:\.[0-9]+)?)\s*(BTC|XBT|XMR|LTC|USD|EUR|GBP|AUD|CAD|mBTC)\b")
_CODE_AMOUNT = re.compile(r"(?i)\b(BTC|XBT|XMR|LTC|USD|EUR|GBP|AUD|CAD)\s*([0-9][0-9,]*(?:\.[0-9]+)?)")
_SYMBOL_AMOUNT = re.compile(r"([$€£฿])\s*([0-9][0-9,]*(?:\.[0-9]+)?)")
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "฿": "BTC"}
# '4.80/5, 40~55 deals', '~5/5, 1~2 deals', '[0 deals]'
_RATING = re.compile(r"(~?)([0-9]+(?:\.[0-9]+)?)\s*/\s*([0-9]+)")
_DEALS = re.compile(r"([0-9]+(?:\s*~\s*[0-9]+)?)\s*deals?")
_AGE = re.compile(r"(?i)([0-9]+)\s*(minute|hour|day|week|month|year)s?\s+ago")
_DAYS = {"minute": 0, "hour": 0, "day": 1, "week": 7, "month": 30, "year": 365}


def price(text: str | None) -> tuple[float | None, str | None]:
    """The amount and currency code a displayed price gives, or (None, None)."""
    if not text:
        return None, None
    text = text[:FIELD_CHARS]
    if text.endswith(" BTC"):  # how most markets show a price, '0.04424778 BTC': no pattern needed
        amount = text[:-4]
        digits = amount.replace(".", "", 1)
        if digits.isascii() and digits.isdigit() and amount[0] != "." and amount[-1] != ".":
            return float(amount), "BTC"
    m = _AMOUNT_CODE.search(text)
    if m:
        amount, code = m.group(1), m.group(2)
    else:
        m = _CODE_AMOUNT.search(text)
        if m:
            code, amount = m.group(1), m.group(2)
        else:
            m = _SYMBOL_AMOUNT.search(text)
            if not m:
                return None, None
            code, amount = _SYMBOLS[m.group(1)], m.group(2)
    try:
        value = float(amount.replace(",", ""))
    except ValueError:
        return None, None
    code = code.upper() if code != "mBTC" else "mBTC"
    if code == "XBT":
        code = "BTC"
    if code == "mBTC":
        return value / 1000, "BTC"
    return value, code


def rating(text: str | None) -> tuple[float | None, bool]:
    """The rating out of 5 a band shows, and whether the market marked it approximate ('~5/5')."""
    if not text:
        return None, False
    m = _RATING.search(text[:FIELD_CHARS])
    if not m:
        return None, False
    value, scale = float(m.group(2)), float(m.group(3))
    if scale <= 0:
        return None, False
    return round(value * 5.0 / scale, 4), m.group(1) == "~"


def deals(text: str | None) -> str | None:
    """The deal band as shown: '40~55', '0'."""
    if not text:
        return None
    m = _DEALS.search(text[:FIELD_CHARS])
    return m.group(1).replace(" ", "") if m else None


def age_days(text: str | None) -> int | None:
    """Whole days an age like '3 days ago' stands for (hours and minutes count as 0)."""
    if not text:
        return None
    m = _AGE.search(text[:FIELD_CHARS])
    if not m:
        return None
    return int(m.group(1)) * _DAYS[m.group(2).lower()]


def last_segment(href: str | None, after: str) -> str | None:
    """The id in a link like '/p/AbCdEf/buy' or '/vendor/name#' that follows the segment ``after``."""
    if not href:
        return None
    prefix = f"/{after}/"
    if href.startswith(prefix):  # the usual '/p/AbCdEf', '/p/AbCdEf/buy': spare the split
        rest = href[len(prefix):]
        if "#" not in rest and "?" not in rest:
            seg = rest.partition("/")[0]
            if seg:  # (else '/p//x': the general path skips empty segments)
                return seg
    segs = [s for s in href.split("#", 1)[0].split("?", 1)[0].split("/") if s]
    for i, s in enumerate(segs[:-1]):
        if s == after:
            return segs[i + 1] or None
    return None


def strip_saved_suffix(name: str) -> str:
    """A saved file's name without what mirroring tools append: '.html', wget's '.1'."""
    for suffix in (".html", ".htm"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    head, dot, tail = name.rpartition(".")
    if dot and head and tail.isdigit():
        name = head
    return name
