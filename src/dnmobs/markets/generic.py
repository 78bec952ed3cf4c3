"""The fallback for pages of markets without a layout module: title, price text and vendor from
patterns most market templates share, marked with a lower confidence.

A page counts as a product page when it yields both a title and a price; what it cannot tell
apart (a listing grid, a profile) is 'other'. Its guesses are stored with the confidence below
so that analyses can leave them out.
"""

from __future__ import annotations

import re2

from dnmobs.markets import errors, fields, model
from dnmobs.markets.doc import Doc, text_of
from dnmobs.markets.model import Parsed
from dnmobs.markets.util import select

NAME = "generic"
MARKET = None
MARKET_KIND = "unknown"
CONFIDENCE = 0.5

TITLE = ['meta[property="og:title"]', "h1", "title"]
PRICE = ['[itemprop="price"]', '[class*="price" i]', '[id*="price" i]']
VENDOR = ['a[href*="/vendor/"]', 'a[href*="/seller/"]', 'a[href*="/user/"]', 'a[href*="/profile/"]',
          '[class*="vendor" i] a', '[class*="seller" i] a', '[class*="vendor" i]', '[class*="seller" i]']
BREADCRUMB = ['[class*="breadcrumb" i] a', '[id*="breadcrumb" i] a']
_VENDOR_PREFIX = re2.compile(r"(?i)^(vendor|seller|sold by|by)\s*:?\s*")
_TITLE_SUFFIX = (" | ", " - ", " :: ", " — ")


def identify(doc: Doc) -> bool:
    return True


def parse(doc: Doc) -> Parsed:
    err = errors.classify(doc)
    if err:
        return Parsed(model.ERROR, NAME, CONFIDENCE, error=err)
    title = _title(doc)
    price_text = _price_text(doc)
    amount, currency = fields.price(price_text)
    if not title or amount is None:
        return Parsed(model.OTHER, NAME, CONFIDENCE)
    key = fields.strip_saved_suffix(doc.segments[-1]) if doc.segments else None
    crumbs = [t for t in (text_of(a) for sel in BREADCRUMB for a in select(doc.tree.root, sel)) if t]
    obs = {
        "listing_key": key,
        "title": title,
        "price_text": price_text,
        "price_amount": amount,
        "price_currency": currency,
        "vendor": _vendor(doc),
        "category": "/".join(crumbs) or None,
    }
    obs["raw"] = {**{k: v for k, v in obs.items() if k not in ("price_amount", "price_currency")},
                  "layout": NAME, "confidence": CONFIDENCE}
    return Parsed(model.PRODUCT, NAME, CONFIDENCE, listing_key=key, observation=obs)


def _title(doc: Doc) -> str | None:
    for sel in TITLE:
        node = doc.first(sel)
        if node is None:
            continue
        t = (node.attributes.get("content") if node.tag == "meta" else node.text()) or ""
        t = " ".join(t.split())
        if sel == "title":
            for sep in _TITLE_SUFFIX:  # 'Item name | Market' -> 'Item name'
                if sep in t:
                    t = t.split(sep, 1)[0].strip()
        if t:
            return t
    return None


def _price_text(doc: Doc) -> str | None:
    for sel in PRICE:
        for node in select(doc.tree.root, sel)[:20]:
            t = (node.attributes.get("content") or "") + " " + (node.text() or "")
            t = " ".join(t.split())
            if fields.price(t)[0] is not None:
                return t[:200]
    return None


def _vendor(doc: Doc) -> str | None:
    for sel in VENDOR:
        node = doc.first(sel)
        t = text_of(node)
        if t:
            t = _VENDOR_PREFIX.sub("", " ".join(t.split()))
            if t and len(t) <= 80:
                return t
    return None
