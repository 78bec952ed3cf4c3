"""Telegram Desktop HTML export: ``messages.html``, ``messages2.html``, ... (see messengers.telegram_html)."""

from __future__ import annotations

from collections.abc import Iterator

from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import SourceFile
from dnmobs.messengers import contacts
from dnmobs.messengers.records import Collector
from dnmobs.messengers.telegram_html import parse_page

NAME = "telegram-html"
SUMMARY = "Telegram Desktop HTML export (messages.html, messages2.html, ...)"
MARKET = None
MARKET_KIND = "messenger"
CHUNK = 32


def sniff(head: str, name: str) -> bool:
    low = head[:8192].lower()
    if "<html" not in low and "<!doctype" not in low:
        return False
    return 'class="history"' in low and ('class="page_header"' in low or "exported data" in low)


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    col = Collector(contacts.phone_key(ctx.con), ctx.market)
    for i, src in enumerate(srcs):
        chat, messages = parse_page(src.read_bytes())
        if chat.name is None and not ctx.market:
            col.note(i, "page header", "the page names no chat (no .page_header); give --market")
            continue
        for m in messages:
            if not m.key:
                col.note(i, m.location, "message without an id", m.text[:2000])
                continue
            col.add(i, chat, m)
        if col.full():
            yield from col.flush()
    yield from col.flush()
