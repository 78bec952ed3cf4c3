"""What a layout makes of one page. Field names follow the record schemas in dnmobs.ingest.records."""

from __future__ import annotations

from dataclasses import dataclass, field

# Page types. An error page is one the market served instead of what was asked for.
PRODUCT, VENDOR, CATEGORY, ERROR, OTHER = "product", "vendor", "category", "error", "other"

# Kinds of error page.
REMOVED = "removed"  # the listing is gone: the market answered with another page
LOGIN = "login"
CAPTCHA = "captcha"
DDOS = "ddos"  # a DDoS-protection interstitial
EMPTY = "empty"
TRUNCATED = "truncated"  # the transfer was cut before any content
HTTP = "http-error"  # a server or proxy error page (404, 502, 503 ...)


@dataclass
class Parsed:
    page_type: str
    layout: str  # the layout module that read it
    confidence: float  # 1.0 for a market's own layout; lower for the generic fallback
    market: str | None = None  # the market the layout belongs to (None: unknown)
    error: str | None = None  # for error pages: one of the kinds above
    listing_key: str | None = None  # the market's id of the listing a product page shows
    usd_rate: float | None = None  # the site's BTC/USD rate shown on the page
    # An observation (product page): keys of records.OBSERVATION plus 'raw' (a dict of fields as read)
    observation: dict | None = None
    # Listing rows of a category or vendor page: the same keys plus 'position'
    rows: list[dict] = field(default_factory=list)
    vendor: dict | None = None  # keys of records.VENDOR plus 'raw'
    feedback: list[dict] = field(default_factory=list)  # keys of records.FEEDBACK plus 'raw'
    problems: list[str] = field(default_factory=list)  # what was wrong with the page, for quarantine
    charset: str | None = None  # what the page was read as
    truncated: bool = False  # the page ends without its closing tags
