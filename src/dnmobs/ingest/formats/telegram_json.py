"""Telegram Desktop JSON export: ``result.json`` of one chat, or of the whole account (``chats.list``).

Read as a stream (see ``dnmobs.messengers.telegram_json``): memory stays flat whatever the file size.
Each chat is a market ``telegram:<chat name>`` of kind 'messenger'.
"""

from __future__ import annotations

from collections.abc import Iterator

from dnmobs.ingest.formats import ReadContext
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import SourceFile
from dnmobs.messengers import contacts
from dnmobs.messengers.records import Collector, Message
from dnmobs.messengers.telegram_json import BadRecord, Cut, iter_export

NAME = "telegram-json"
SUMMARY = "Telegram Desktop JSON export (result.json: one chat, or the whole account)"
MARKET = None
MARKET_KIND = "messenger"
CHUNK = 8
COMMIT_BATCHES = True  # a 1 GB export is millions of messages: not one transaction (messages keyed by id)
# A checkpoint puts the rows appended since the last one in a row group of their own, and DuckDB merges
# small row groups at later checkpoints, the more of them the more at once (at 5,000 messages a
# checkpoint, merges held 300-500 MB and grew with the export). Checkpointing every 122,880 messages
# (DuckDB's row group; records.BATCH divides it) writes full row groups: nothing is left to merge.
CHECKPOINT_RECORDS = ("messages", 122_880)
TAIL = 2048  # bytes of a cut file's end kept in quarantine


def sniff(head: str, name: str) -> bool:
    h = head.lstrip("\ufeff \t\r\n")
    if name.lower() == "result.json":  # Telegram's own name: read it, and say so if it is not an export
        return h[:1] in ('{', '[', '"')
    if not h.startswith("{"):
        return False
    chat = '"messages": [' in h and ('"date_unixtime"' in h or '"type": "message"' in h
                                       or '"type": "service"' in h or '"messages": []' in h)
    account = '"personal_information": {' in h or ('"chats": {' in h and '"list": [' in h)
    return chat or account


def read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]:
    col = Collector(contacts.phone_key(ctx.con), ctx.market)
    for i, src in enumerate(srcs):
        with src.open() as fh:
            for item in iter_export(fh):
                if isinstance(item, Cut):
                    col.note(i, item.location, item.reason, _tail(src))
                    continue
                chat, msg = item
                if isinstance(msg, BadRecord):
                    col.note(i, msg.location, msg.reason, msg.raw)
                elif isinstance(msg, Message):
                    col.add(i, chat, msg)
                if col.full():
                    yield from col.flush()
    yield from col.flush()


def _tail(src: SourceFile) -> str:
    with src.open() as fh:
        fh.seek(0, 2)
        size = fh.tell()
        fh.seek(max(0, size - TAIL))
        tail = fh.read()
    # start on a character boundary: skip UTF-8 continuation bytes the cut left at the front
    return tail.lstrip(bytes(range(0x80, 0xC0))).decode("utf-8", "replace")
