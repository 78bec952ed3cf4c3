"""Saved market pages: HTML files of wget or HTTrack mirrors, loose or in tar/zip archives.

Each page is parsed by the layout of the market that served it (dnmobs.markets) and becomes
records: a product page an observation and its feedback, a vendor page a vendor snapshot, its
listing links and feedback, a category page its listing rows; every page, error pages included,
a ``pages`` record. Pages that cannot be read (too large, not HTML) and problems met while
reading (wrong charset, truncated) go to quarantine with the reason.

The records of one page form a Block. A chunk's blocks become one batch per record kind, so the
batches are the same whether the blocks were parsed here or on Dask workers (dask_engine).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

import orjson

from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.records import SCHEMAS, Batch, from_rows
from dnmobs.ingest.sources import Note, SourceFile, date_in_name
from dnmobs.markets import parse_page
from dnmobs.markets.doc import site_path
from dnmobs.markets.model import Parsed

NAME = "pages"
SUMMARY = "Saved market pages (HTML of wget/HTTrack mirrors, or archives of them): listings, vendors, feedback"
MARKET = None  # each page's layout says which market it is
MARKET_KIND = "darknet"
KEY_BY_PATH = True  # a page is named by its URL: the same bytes at two URLs are two pages (removed listings)
CHUNK = 256

# The order batches are loaded in: promotion of category rows (listing_rows) needs the chunk's
# product pages stored, and retiring promotions (pages) needs both.
KINDS = ("observations", "vendors", "feedback", "listing_rows", "pages")
MAX_PAGE_BYTES = 8 * 1024 * 1024  # market pages are well under 1 MB; larger ones are not parsed
_NOTE_RAW = 4096  # how much of a bad page its quarantine record keeps


def looks_like_html(head: str) -> bool:
    low = head.lstrip("\ufeff \t\r\n")[:4096].lower()
    if low.startswith(("<!doctype html", "<html")):
        return True
    return low.startswith("<") and any(t in low for t in ("<html", "<head", "<body", "<title"))


def sniff(head: str, name: str) -> bool:
    return looks_like_html(head)


@dataclass
class Block:
    """The records of one page, or the notes of a page that gave none: what a worker ships back."""

    records: dict[str, list[dict]] = field(default_factory=dict)  # kind -> rows, without 'src'
    notes: list[Note] = field(default_factory=list)


@dataclass(frozen=True)
class PageMeta:
    """Where a page came from."""

    location: str  # site path or URL
    market: str | None  # --market, else a guess from the path or host (used when no layout knows)
    market_forced: bool  # the user gave --market: it wins over the layout's market
    crawl_date: date | None
    http_charset: str | None = None
    http_status: int | None = None


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    prepared = ctx.options.get("prepared")
    blocks = ((i, b) for i, src in enumerate(srcs)
              for b in (prepared.blocks(src) if prepared is not None and prepared.has(src)
                        else parse_source(src, ctx)))
    yield from batches(blocks)


def parse_source(src: SourceFile, ctx: ReadContext) -> Iterator[Block]:
    """The blocks of one saved page (always exactly one)."""
    yield page_block(_read_bytes(src), _file_meta(src, ctx), ctx)


def _read_bytes(src: SourceFile) -> bytes | Note:
    limit = MAX_PAGE_BYTES
    if src.size > limit and src.data is None and not src.gz:
        return Note("page", f"page of {src.size:,} bytes is larger than the {limit:,}-byte cap for one page; "
                            "not parsed")
    data = src.read_bytes()
    if len(data) > limit:
        return Note("page", f"page of {len(data):,} bytes is larger than the {limit:,}-byte cap for one page; "
                            "not parsed", data[:_NOTE_RAW].decode("utf-8", "replace"))
    return data


def _file_meta(src: SourceFile, ctx: ReadContext) -> PageMeta:
    member = src.member or "/".join((*src.parts, src.name))
    return PageMeta(site_path(member), ctx.market or _market_from_parts(src.parts), bool(ctx.market),
                    src.path_date or ctx.crawl_date)


def _market_from_parts(parts: tuple[str, ...]) -> str | None:
    """A guess for pages no layout knows: an .onion folder, else the folder above the crawl's date."""
    for part in reversed(parts):
        if part.endswith(".onion"):
            return part
    for i in range(len(parts) - 1, 0, -1):
        if date_in_name(parts[i]):
            above = parts[i - 1]
            if above and not date_in_name(above) and "." not in above:
                return above.lower()
            return None
    return None


def page_block(data: bytes | Note, meta: PageMeta, ctx: ReadContext | None = None) -> Block:
    """Parse one page and turn it into records (or, for a page that cannot be read, a note)."""
    if isinstance(data, Note):
        return Block(notes=[Note(meta.location, data.reason, data.raw)])
    head = data[:4096]
    if data and not looks_like_html(head.decode("utf-8", "replace")):
        why = ("binary content" if b"\x00" in head else "text without HTML tags")
        return Block(notes=[Note(meta.location, f"not an HTML page ({why}); not parsed",
                                 head[:_NOTE_RAW].decode("utf-8", "replace"))])
    parsed = parse_page(data, meta.location, http_charset=meta.http_charset, http_status=meta.http_status,
                        layout=(ctx.options.get("layout") if ctx is not None else None))
    return records_of(parsed, data, meta)


def _json(d: dict) -> str:
    return orjson.dumps(d, option=orjson.OPT_NON_STR_KEYS).decode()


def records_of(parsed: Parsed, data: bytes, meta: PageMeta) -> Block:
    market = meta.market if meta.market_forced else (parsed.market or meta.market)
    base = {"market": market, "crawl_date": meta.crawl_date}
    loc = meta.location
    rec: dict[str, list[dict]] = {}
    if parsed.observation is not None:
        o = parsed.observation
        raw = o["raw"]
        if parsed.confidence < 1.0:
            raw = {**raw, "layout": parsed.layout, "confidence": parsed.confidence}
        rec["observations"] = [{**o, **base, "location": loc, "raw": _json(raw)}]
    if parsed.vendor is not None:
        rec["vendors"] = [{**parsed.vendor, **base, "location": loc, "raw": _json(parsed.vendor["raw"])}]
    if parsed.feedback:
        rec["feedback"] = [{**f, **base, "location": f"{loc} feedback {f['position'] + 1}", "raw": _json(f["raw"])}
                           for f in parsed.feedback]
    if parsed.rows:
        page_type = parsed.page_type
        rec["listing_rows"] = [{**r, **base, "location": f"{loc} row {r['position'] + 1}",
                                "page_type": r.get("page_type", page_type), "raw": _json(r["raw"])}
                               for r in parsed.rows]
    page = {**base, "location": loc, "page_type": parsed.page_type, "error": parsed.error, "layout": parsed.layout,
            "confidence": parsed.confidence, "listing_key": parsed.listing_key, "usd_rate": parsed.usd_rate,
            "charset": parsed.charset, "truncated": parsed.truncated, "http_status": meta.http_status,
            "n_rows": len(parsed.rows), "n_feedback": len(parsed.feedback),
            "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    page["raw"] = _json({k: page[k] for k in ("page_type", "error", "layout", "listing_key", "usd_rate")}
                        | ({"problems": parsed.problems} if parsed.problems else {}))
    rec["pages"] = [page]
    notes = []
    if parsed.problems:
        snippet = data[:_NOTE_RAW].decode(parsed.charset or "utf-8", "replace") if parsed.charset else None
        notes = [Note(loc, p, snippet) for p in parsed.problems]
    return Block(rec, notes)


def batches(blocks: Iterable[tuple[int, Block]], pages_per_batch: int | None = None) -> Iterator[Batch]:
    """Blocks as one batch per record kind, in KINDS order, for every ``pages_per_batch`` blocks (all
    of them when None); each group's notes ride on its last batch."""
    rows: dict[str, list[dict]] = {k: [] for k in KINDS}
    notes: list[Note] = []
    n = 0
    for i, block in blocks:
        for kind, recs in block.records.items():
            for r in recs:
                r["src"] = i
            rows[kind].extend(recs)
        notes.extend(Note(n.location, n.reason, n.raw, i) for n in block.notes)
        n += 1
        if pages_per_batch and n >= pages_per_batch:
            yield from _flush(rows, notes)
            rows, notes, n = {k: [] for k in KINDS}, [], 0
    if n or notes:
        yield from _flush(rows, notes)


def _flush(rows: dict[str, list[dict]], notes: list[Note]) -> Iterator[Batch]:
    for kind in KINDS:
        if rows[kind] or kind == KINDS[-1]:
            table = from_rows(rows[kind], SCHEMAS[kind]) if rows[kind] else None
            yield Batch(kind, table=table, quarantine=notes if kind == KINDS[-1] else [])
