"""WARC and WARC.gz web archives (Heritrix, `wget --warc-file`, Browsertrix) of market pages.

Read with FastWARC. Every HTML response (or resource) record is a saved page, parsed as the
pages format parses files; other records (requests, metadata, images, redirects) are not pages
and are passed over. A record that is damaged (a bad header, a corrupt gzip member, a block
digest that does not match) is recorded in quarantine and reading resumes at the next record,
so one bad record costs only itself.

The crawl date comes from the file's name or folder, else --crawl-date, else the date of the
WARC's first record: one WARC is one crawl even when fetching it took days.
"""

from __future__ import annotations

import io
import mmap
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date

from fastwarc.warc import ArchiveIterator, WarcRecordType

from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.formats.pages import MAX_PAGE_BYTES, Block, PageMeta, batches, page_block
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import Note, SourceFile

NAME = "warc"
SUMMARY = "WARC / WARC.gz web archives of market pages (Heritrix, wget --warc-file, Browsertrix)"
MARKET = None
MARKET_KIND = "darknet"
CHUNK = 1  # a WARC holds many pages: it is a chunk by itself
PAGES_PER_BATCH = 2000  # a large WARC is loaded in groups of pages, never held whole

_GZIP_MEMBER = b"\x1f\x8b\x08"
_RECORD_START = b"\nWARC/1."
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TYPES = WarcRecordType.response | WarcRecordType.resource | WarcRecordType.warcinfo


def sniff(head: str, name: str) -> bool:
    return head.startswith("WARC/1.")


def sniff_bytes(head: bytes, name: str) -> bool:
    """WARC files hold binary records (images, gzip bodies): recognised before the binary check."""
    return head.startswith(b"WARC/1.")


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    prepared = ctx.options.get("prepared")
    blocks = ((i, b) for i, src in enumerate(srcs)
              for b in (prepared.blocks(src) if prepared is not None and prepared.has(src)
                        else parse_source(src, ctx)))
    yield from batches(blocks, PAGES_PER_BATCH)


@dataclass
class _Page:
    offset: int
    url: str
    when: date | None
    status: int | None
    charset: str | None
    body: bytes | Note


def parse_source(src: SourceFile, ctx: ReadContext) -> Iterator[Block]:
    fixed = src.name_date or src.path_date or ctx.crawl_date
    first: list[date] = []  # the date of the first record, once seen
    for item in _pages(src, first):
        if isinstance(item, Note):
            yield Block(notes=[item])
            continue
        meta = PageMeta(item.url, ctx.market or _host(item.url), bool(ctx.market),
                        fixed or (first[0] if first else item.when), item.charset, item.status)
        yield page_block(item.body, meta, ctx)


def _host(url: str) -> str | None:
    rest = url.split("://", 1)[-1]
    host = rest.split("/", 1)[0].split(":", 1)[0].lower()
    return host or None


def _pages(src: SourceFile, first: list[date]) -> Iterator[_Page | Note]:
    """The HTML pages of a WARC, resuming after damaged records."""
    with ExitStack() as stack:
        if src.data is not None:
            buf: bytes | mmap.mmap = src.data
            def open_at(pos: int) -> io.BufferedIOBase:
                s = io.BytesIO(buf)
                s.seek(pos)
                return s
            gz = buf[:2] == _GZIP_MEMBER[:2]
        else:
            fh = stack.enter_context(open(src.file, "rb"))  # type: ignore[arg-type]
            size = fh.seek(0, io.SEEK_END)
            if size == 0:
                return
            buf = stack.enter_context(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ))
            def open_at(pos: int) -> io.BufferedIOBase:
                s = open(src.file, "rb")  # type: ignore[arg-type]  # noqa: SIM115 (closed by the stack)
                stack.callback(s.close)
                s.seek(pos)
                return s
            gz = src.gz or buf[:2] == _GZIP_MEMBER[:2]
        yield from _scan(open_at, lambda start: _next_record(buf, start, gz), len(buf), first)


def _next_record(buf, start: int, gz: bool) -> int | None:
    """Where the next record after ``start`` begins: a gzip member, or a 'WARC/1.' line."""
    if gz:
        at = buf.find(_GZIP_MEMBER, start)
        return at if at >= 0 else None
    at = buf.find(_RECORD_START, max(start - 1, 0))
    return at + 1 if at >= 0 else None


def _scan(open_at: Callable[[int], io.BufferedIOBase], next_record: Callable[[int], int | None], size: int,
          first: list[date]) -> Iterator[_Page | Note]:
    """Iterate from the start; after a damaged record, start again at the next record boundary.
    A run of failures (a record that fails again when retried from its own start) is one note."""
    pos = 0
    failure: tuple[int, str] | None = None  # where the current run of failures began, and why
    while pos < size:
        last = None  # start of the last record read in this pass
        broken = None
        try:
            for rec in ArchiveIterator(open_at(pos), record_types=_TYPES, parse_http=False):
                last = rec.stream_pos
                if failure is not None:
                    yield Note(f"WARC byte {failure[0]}", f"{failure[1]}; reading resumed at byte {last}")
                    failure = None
                if rec.record_date is not None and not first:
                    first.append(rec.record_date.date())
                if rec.headers.get("WARC-Block-Digest") and not rec.verify_block_digest(consume=False):
                    broken = "the record's block digest does not match its content: the record is damaged"
                    break
                page = _page(rec)
                if page is not None:
                    yield page
        except OSError as exc:
            broken = f"corrupt WARC record ({exc})"
        if broken is None:
            break
        if failure is None:
            failure = (last if last is not None and broken.startswith("the record") else
                       (last + 1 if last is not None else pos), broken)
        # a damaged record may hide the records its wrong length swallowed: look inside it too
        nxt = next_record(last + 1 if last is not None else pos + 1)
        if nxt is None:
            break
        pos = nxt
    if failure is not None:
        yield Note(f"WARC byte {failure[0]}", f"{failure[1]}; no further record was found after it")


def _page(rec) -> _Page | None:
    url = rec.headers.get("WARC-Target-URI") or ""
    when = rec.record_date.date() if rec.record_date is not None else None
    status = charset = None
    if rec.record_type == WarcRecordType.response:
        rec.parse_http(auto_decode="all")
        if rec.http_headers is None:
            return None
        status = rec.http_headers.status_code
        if status is not None and 300 <= status < 400:
            return None  # a redirect: the page is wherever it points
        ctype = (rec.http_content_type or "").lower()
        charset = rec.http_charset
    elif rec.record_type == WarcRecordType.resource:
        ctype = (rec.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    else:
        return None
    if ctype and ctype not in _HTML_TYPES:
        return None
    if rec.content_length > MAX_PAGE_BYTES:
        return _Page(rec.stream_pos, url, when, status, charset,
                     Note("page", f"page of {rec.content_length:,} bytes is larger than the {MAX_PAGE_BYTES:,}-byte "
                                  "cap for one page; not parsed"))
    body = rec.reader.read()
    if not ctype and body.lstrip()[:1] != b"<":
        return None  # no content type and not markup: not a page
    return _Page(rec.stream_pos, url, when, status, charset, body)
