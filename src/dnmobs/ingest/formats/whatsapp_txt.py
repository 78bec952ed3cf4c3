"""WhatsApp "Export chat" text file (Android or iOS; see messengers.whatsapp).

The chat's name comes from --market, else the file or archive name ("WhatsApp Chat with X.txt",
"WhatsApp Chat - X.zip"), else the chat itself (iOS notices, "created group"), else the file name.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import PurePosixPath

import re2

from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import SourceFile
from dnmobs.messengers import contacts
from dnmobs.messengers.records import Chat, Collector, Message
from dnmobs.messengers.whatsapp import Problem, header, parse

NAME = "whatsapp-txt"
SUMMARY = "WhatsApp \"Export chat\" text file (Android or iOS)"
MARKET = None
MARKET_KIND = "messenger"
CHUNK = 16
_NAMED = re2.compile(r"(?i)^WhatsApp Chat (?:with|-|mit|met|avec|con|com) (.+?)(?:\.txt|\.zip)?$")


def sniff(head: str, name: str) -> bool:
    lines = [ln for ln in head.lstrip("\ufeff").split("\n")[:20] if ln.strip()]
    hits = sum(1 for ln in lines if header(ln.rstrip("\r")) is not None)
    return hits >= 2 or (hits >= 1 and len(lines) <= 2)


def chat_name(src: SourceFile) -> str | None:
    for part in (src.name, *reversed(src.parts)):
        m = _NAMED.match(PurePosixPath(part).name)
        if m:
            return m.group(1).strip()
    return None


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    col = Collector(contacts.phone_key(ctx.con), ctx.market)
    for i, src in enumerate(srcs):
        utf16 = src.head(2) in (b"\xff\xfe", b"\xfe\xff")
        with src.open() as a, src.open() as b:  # two passes, line by line: a survey, then the messages
            if utf16:  # rare (old Windows phones): decoded whole, then read as UTF-8 lines
                a = b = io.BytesIO(src.read_bytes().decode("utf-16").encode("utf-8"))
            lay, items = parse(a, b, utf16=utf16)
            if utf16:
                b.seek(0)
            name = chat_name(src) or lay.chat_name or PurePosixPath(src.name).stem
            chat = Chat("whatsapp", name, "group" if lay.senders > 2 else "chat")
            for item in items:
                if isinstance(item, Problem):
                    col.note(i, item.location, item.reason, item.raw)
                elif isinstance(item, Message):
                    col.add(i, chat, item)
                if col.full():
                    yield from col.flush()
    yield from col.flush()
