"""Prices: the displayed price of a listing, conversion to USD, derived prices and plausibility flags.

USD comes, in this order, from what the page or row shows (a USD price beside the coin price, a
rate in the page header), then a rates file, then rates imported in the store. Without a rate the
USD price is None and ``price_note`` says why; a rate is never assumed.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from dnmobs.extract.mentions import scan
from dnmobs.extract.text import MAX_TEXT, normalize, parse_number, tokenize

# Markets whose listings are priced in one coin; a bare number shown by them is in that coin.
MARKET_CURRENCY = {"agora": "BTC", "dream": "BTC", "silkroad": "BTC", "silk road": "BTC", "silkroad2": "BTC",
                   "evolution": "BTC", "nucleus": "BTC", "abraxas": "BTC", "hydra": "BTC", "matanga": "BTC"}

# placeholder prices: "9999", "99999" ... (vendors park listings with them)
_MAX_USD_PER_GRAM = 3000.0
_MIN_USD_PER_GRAM = 0.2
_MIN_USD = 0.5


@lru_cache(maxsize=65536)
def parse_displayed(text: str) -> tuple[float | None, str | None, float | None]:
    """(amount, currency, USD shown) of a displayed price: 'USD 120.00 (0.0901 BTC)' ->
    (120.0, 'USD', 120.0); '0.0122 BTC' -> (0.0122, 'BTC', None); '1.200,50 €' -> (1200.5, 'EUR', None);
    a bare number -> (amount, None, None)."""
    if not text or not text.strip():
        return None, None, None
    t = text.strip()
    if t.replace(".", "", 1).isdigit():  # a bare number: most coin prices
        return parse_number(t), None, None
    toks = tokenize(normalize(text[:MAX_TEXT]))
    m = scan(toks, set())
    prices = [p for p in m.price if not p.per_unit]
    if not prices:
        nums = [b.value for b in m.bare]
        if len(nums) == 1 and len(toks) <= 3:
            return nums[0], None, None
        v = parse_number(text.strip())
        return (v, None, None) if v is not None else (None, None, None)
    first = prices[0]
    usd = next((p.value for p in prices if p.unit == "USD"), None)
    return first.value, first.unit, usd


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

