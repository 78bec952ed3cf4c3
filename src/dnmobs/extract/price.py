"""Prices: the displayed price of a listing, conversion to USD, derived prices and plausibility flags.

USD comes, in this order, from what the page or row shows (a USD price beside the coin price, a
rate in the page header), then a rates file, then rates imported in the store. Without a rate the
USD price is None and ``price_note`` says why; a rate is never assumed.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Final

from dnmobs.extract.mentions import Mention, scan
from dnmobs.extract.text import MAX_TEXT, NUM, Tokens, normalize, parse_number, tokenize
from dnmobs.extract.units import CODES, CRYPTO, SUBUNIT, SYMBOLS

FIAT: Final = frozenset({*CODES.values(), *SYMBOLS.values()}) - CRYPTO - set(SUBUNIT) - {"BTC"}

# Markets whose listings are priced in one coin; a bare number shown by them is in that coin.
MARKET_CURRENCY: Final = {"agora": "BTC", "dream": "BTC", "silkroad": "BTC", "silk road": "BTC", "silkroad2": "BTC",
                   "evolution": "BTC", "nucleus": "BTC", "abraxas": "BTC", "hydra": "BTC", "matanga": "BTC"}

# placeholder prices: "9999", "99999" ... (vendors park listings with them)
_MAX_USD_PER_GRAM: Final = 3000.0
_MIN_USD_PER_GRAM: Final = 0.2
_MIN_USD: Final = 0.5


# How prices are written beyond what the tokenizer reads as one number (a Python ``re``, audited for
# linear time: no repetition nests another unbounded one, each repetition is bounded or ends at a
# character class it cannot contain; tests/test_price_forms.py times adversarial input):
# - a whole amount with a dash for the cents: '75,-', '75,- €', '1.250,-', Swedish '75:-', Swiss '75.-'
_WHOLE_DASH: Final = re.compile(r"(\d)[,.:](?:--?|[–—])(?!\d)")
# - thousands grouped by a space (also no-break and thin spaces) or an apostrophe: '2 125', '1'200',
#   '12 500,50'. Only runs of 3-digit groups after a head of 1-3 digits not glued to another number.
_GROUPED: Final = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u202f\u2009'’]\d{3})+(?![\d])")
_GROUP_SEP: Final = re.compile(r"[ \u00a0\u202f\u2009'’]")
# a single dot then three digits: thousands in a fiat price ('3.674 €', '$4.580': fiat amounts have
# at most two decimals), a decimal in a coin price ('1.087 BTC')
_DOT_THOUSANDS: Final = re.compile(r"[1-9]\d{0,2}\.\d{3}")
# '25e', '25 E': euros, when that is the whole price (menus write it so; in running text 'e' is no currency)
_E_EURO: Final = re.compile(r"([\d.,]{1,20})\s?[eE]")


def _ungroup(m: re.Match) -> str:
    return _GROUP_SEP.sub("", m.group(0))


def price_text(text: str) -> str:
    """A displayed price with the forms the tokenizer does not read as one number rewritten:
    '243,- €' -> '243 €', '$2 125' -> '$2125'."""
    if "-" in text or "–" in text or "—" in text:
        text = _WHOLE_DASH.sub(r"\1", text)
    text = _GROUPED.sub(_ungroup, text)
    e = _E_EURO.fullmatch(text)
    return f"{e.group(1)} €" if e else text


def amount_of(p: Mention, toks: Tokens) -> float:
    """The amount of a price mention, with a fiat '3.674' read as thousands."""
    if p.unit not in FIAT:
        return p.value
    for k in range(p.start, p.end + 1):
        if toks.kind[k] == NUM and _DOT_THOUSANDS.fullmatch(toks.raw[k]):
            return float(toks.raw[k].replace(".", ""))
    return p.value


@lru_cache(maxsize=65536)
def parse_displayed(text: str | None) -> tuple[float | None, str | None, float | None]:
    """(amount, currency, USD shown) of a displayed price: 'USD 120.00 (0.0901 BTC)' ->
    (120.0, 'USD', 120.0); '0.0122 BTC' -> (0.0122, 'BTC', None); '1.200,50 €' -> (1200.5, 'EUR', None);
    '243,- €' -> (243.0, 'EUR', None); '$2 125' -> (2125.0, 'USD', 2125.0); '3.674 euro' -> (3674.0, 'EUR',
    None); a bare number -> (amount, None, None)."""
    if not text or not text.strip():
        return None, None, None
    t = text.strip()
    if t.replace(".", "", 1).isdigit():  # a bare number: most coin prices
        return parse_number(t), None, None
    t = price_text(normalize(t[:MAX_TEXT]))
    toks = tokenize(t)
    m = scan(toks, set())
    prices = [p for p in m.price if not p.per_unit]
    if not prices:
        nums = [b.value for b in m.bare]
        if len(nums) == 1 and len(toks) <= 3:
            return nums[0], None, None
        v = parse_number(t)
        return (v, None, None) if v is not None else (None, None, None)
    first = prices[0]
    usd = next((amount_of(p, toks) for p in prices if p.unit == "USD"), None)
    return amount_of(first, toks), first.unit, usd


def market_currency(market: str | None) -> str | None:
    return MARKET_CURRENCY.get((market or "").strip().lower())


def to_usd(amount: float | None, currency: str | None, day: date | None, *, usd_shown: float | None = None,
           usd_rate: float | None = None, rates=()) -> tuple[float | None, str | None, str | None]:
    """(price_usd, source, note)."""
    if usd_shown is not None:
        return usd_shown, "page", None
    if amount is None:
        return None, None, "no price"
    if currency is None:
        return None, None, "price without a currency"
    if currency == "USD":
        return amount, "page", None
    if usd_rate is not None:
        return amount * usd_rate, "page", None
    if day is None:
        return None, None, f"no date to find a {currency} rate"
    for r in rates:
        got = r.usd(currency, day)
        if got is not None:
            rate, on = got
            note = None if on == day else f"{currency} rate of {on.isoformat()} (none on {day.isoformat()})"
            return amount * rate, r.source, note
    return None, None, f"no USD rate for {currency} on {day.isoformat()}"


def derived(price_usd: float | None, grams: float | None, units: float | None, purity: float | None
            ) -> tuple[float | None, float | None, float | None]:
    """(usd_per_gram, usd_per_pure_gram, usd_per_unit)."""
    if price_usd is None:
        return None, None, None
    per_g = price_usd / grams if grams else None
    per_pure = per_g / (purity / 100.0) if per_g is not None and purity else None
    per_unit = price_usd / units if units else None
    return per_g, per_pure, per_unit


def price_flags(amount: float | None, price_usd: float | None, usd_per_gram: float | None, potent: bool
                ) -> list[str]:
    """Implausible prices are flagged, never dropped."""
    flags = []
    if amount is not None:
        if amount == 0:
            flags.append("price-zero")
        elif amount >= 999 and _all_nines(amount):
            flags.append("price-placeholder")
    if price_usd is not None and 0 < price_usd < _MIN_USD:
        flags.append("price-tiny")
    if price_usd is not None and price_usd > 1_000_000:
        flags.append("price-implausible")
    if usd_per_gram is not None and not potent and usd_per_gram > 0 and not (
            _MIN_USD_PER_GRAM <= usd_per_gram <= _MAX_USD_PER_GRAM):
        flags.append("price-per-gram-implausible")
    return flags


def _all_nines(v: float) -> bool:
    if not v < 1e15 or v != int(v):
        return False
    s = str(int(v))
    return len(s) >= 3 and set(s) == {"9"}

