"""Messages as store records: the part every messenger reader shares.

A reader turns its export into ``Message`` values; ``Collector`` gives each its market and vendor,
hashes phone numbers in its text and raw record, finds its contacts, and hands out record batches of
bounded size, so a reader of a huge export holds one batch in memory at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

import orjson

from dnmobs.ingest.records import CONTACT, MESSAGE, Batch, from_rows
from dnmobs.ingest.sources import Note
from dnmobs.messengers import contacts, market_id

# messages per record batch: a batch's dicts, its Arrow table and DuckDB's staging copies are the load's
# working memory (at 20,000 about 150 MB; at 5,000 the load of a 64 MB export peaks 60 MB lower). A
# divisor of DuckDB's row group (122,880), at which the Telegram JSON load checkpoints
BATCH = 5_120
# chat types whose posts speak for the channel itself: the channel is the vendor
_CHANNEL_TYPES = frozenset({"public_channel", "private_channel", "channel"})


@dataclass
class Chat:
    platform: str
    name: str | None
    type: str | None = None
    id: str | None = None
    market: str | None = None  # set from the name (or --market) by the collector

    def is_channel(self) -> bool:
        return (self.type or "") in _CHANNEL_TYPES


@dataclass
class Message:
    key: str  # the chat's own id of the message
    location: str
    date: datetime | None = None
    edited: datetime | None = None
    sender: str | None = None
    sender_id: str | None = None
    kind: str = "message"
    action: str | None = None
    text: str = ""
    offer_text: str | None = None
    reply_to: str | None = None
    forwarded_from: str | None = None
    media: str | None = None
    media_file: str | None = None
    hrefs: tuple[str, ...] = ()  # link targets of the text's entities, searched for contacts too
    raw: dict = field(default_factory=dict)


class Collector:
    """Turns messages into record batches of at most ``batch`` messages."""

    def __init__(self, key: bytes, market_override: str | None = None, batch: int | None = None):
        self.key = key
        self.market_override = market_override
        self.batch = batch or BATCH
        self.messages: list[dict] = []
        self.contacts: list[dict] = []
        self.notes: list[Note] = []
        self._first_chat: dict[int, tuple] = {}  # src -> the first chat it held (see ``key``)

    def chat_market(self, chat: Chat) -> str:
        if chat.market is None:
            chat.market = (self.market_override.lower() if self.market_override
                           else market_id(chat.platform, chat.name or (f"chat {chat.id}" if chat.id else "")))
        return chat.market

    def note(self, src: int, location: str, reason: str, raw: str | None = None) -> None:
        self.notes.append(Note(location, reason, contacts.redact_phones(raw, self.key) if raw else None, src))

    def message_key(self, src: int, chat: Chat, m: Message) -> str:
        """The message's key in its market. Ids are per chat: when --market puts several chats of one
        export into one market, messages of the chats after the first are keyed by chat name too, so
        that message 5 of one chat does not pass for a repeat of message 5 of another."""
        ident = (chat.name, chat.id)
        first = self._first_chat.setdefault(src, ident)
        if self.market_override and ident != first:
            return f"{chat.name or chat.id}#{m.key}"
        return m.key

    def add(self, src: int, chat: Chat, m: Message) -> None:
        market = self.chat_market(chat)
        key = self.message_key(src, chat, m)
        text = contacts.redact_phones(m.text, self.key)
        vendor = chat.name if chat.is_channel() else m.sender
        if m.kind != "message":
            vendor = None
        self.messages.append({
            "src": src, "location": m.location, "market": market, "market_name": chat.name,
            "platform": chat.platform, "chat_type": chat.type, "chat_id": chat.id, "message_key": key,
            "date": m.date, "edited": m.edited, "sender": m.sender, "sender_id": m.sender_id, "vendor": vendor,
            "kind": m.kind, "action": m.action, "text": text,
            "offer_text": contacts.redact_phones(m.offer_text, self.key) if m.offer_text else None,
            "reply_to": m.reply_to, "forwarded_from": m.forwarded_from, "media": m.media,
            "media_file": m.media_file,
            "raw": orjson.dumps(contacts.redact_tree(m.raw, self.key), default=str).decode(),
        })
        if m.kind == "message" and (m.text or m.hrefs):
            day = m.date.date() if m.date else None
            for c in contacts.find(m.text, self.key, m.hrefs):
                self.contacts.append({
                    "src": src, "location": m.location, "market": market, "message_key": key, "vendor": vendor,
                    "date": day, "kind": c.kind, "value": c.value,
                    "raw": orjson.dumps({"kind": c.kind, "value": c.value, "message": key}).decode(),
                })

    def full(self) -> bool:
        return len(self.messages) >= self.batch

    def flush(self) -> Iterator[Batch]:
        """The records gathered so far (messages before their contacts), then an empty collector."""
        msgs, cons, notes = self.messages, self.contacts, self.notes
        self.messages, self.contacts, self.notes = [], [], []
        if msgs or notes:
            yield Batch("messages", table=from_rows(msgs, MESSAGE) if msgs else None, quarantine=notes)
        if cons:
            yield Batch("contacts", table=from_rows(cons, CONTACT))
