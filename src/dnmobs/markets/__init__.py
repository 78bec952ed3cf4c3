"""Market page layouts: which market's software served a page, what kind of page it is, and its fields.

A layout module (one per market template, e.g. ``agora``) defines:
    NAME: str                 layout name
    MARKET: str | None        the market id its pages belong to
    MARKET_KIND: str          'darknet' or 'unknown'
    CONFIDENCE: float         how far its fields can be trusted (1.0 for a market's own layout)
    identify(doc: Doc) -> bool
                              True when the page was served by this market's software
    parse(doc: Doc) -> Parsed
                              page type (product, vendor, category, error, other) and records

Layouts are tried in registry order; ``generic`` reads pages no layout identifies. Layouts from
other packages register through the ``dnmobs.markets`` entry-point group. docs/markets.md says
how to add one.
"""

from __future__ import annotations

from types import ModuleType

from dnmobs.markets import generic
from dnmobs.markets.doc import Doc
from dnmobs.markets.model import Parsed
from dnmobs.plugins import ModuleRegistry

BUILTIN = ["agora"]

_layouts = ModuleRegistry("dnmobs.markets", BUILTIN, "dnmobs.markets")
registry = _layouts.modules
register = _layouts.add  # a layout added at run time is tried after the ones already known
unregister = _layouts.remove


def layout_for(doc: Doc, name: str | None = None) -> ModuleType:
    """The layout that identifies the page (or the named one), else the generic fallback."""
    reg = registry()
    if name:
        return reg.get(name, generic)
    for mod in reg.values():
        if mod.identify(doc):
            return mod
    return generic


def parse_doc(doc: Doc, layout: str | None = None) -> Parsed:
    parsed = layout_for(doc, layout).parse(doc)
    parsed.problems[:0] = doc.notes
    parsed.charset, parsed.truncated = doc.charset, doc.truncated
    if doc.truncated and parsed.page_type != "error":
        parsed.problems.append(f"truncated HTML: the page ends after {doc.size} bytes without its closing "
                               "tags; fields after the cut are missing")
    elif parsed.error == "truncated":
        parsed.problems.append(f"truncated HTML: the page ends after {doc.size} bytes, before any content")
    return parsed


def parse_page(data: bytes, path: str = "", *, http_charset: str | None = None, http_status: int | None = None,
               layout: str | None = None) -> Parsed:
    """Parse one saved page. ``path`` is its site path ('/p/AbCdEf') when known."""
    return parse_doc(Doc.from_bytes(data, path, http_charset, http_status), layout)
