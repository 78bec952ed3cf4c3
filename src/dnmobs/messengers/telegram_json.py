"""Telegram Desktop JSON exports, read as a stream in constant memory.

Two shapes exist: one chat (``{"name", "type", "id", "messages": [...]}``) and the whole account
(``{"chats": {"list": [chat, ...]}, "left_chats": {"list": [...]}, ...}``). Both are read with ijson
(an incremental parser over yajl): only the message being read is ever built in memory, so a 1 GB
export costs what one message does. A file cut short keeps every message before the cut; the cut
is reported with the id of the last message read.

A message's ``text`` is a string, or a list of strings and entity objects (``{"type": "bold",
"text": ...}``); ``text_entities`` repeats it as a list of entity objects. Entity types we do not
know keep their text. Struck-out entities (old prices) are left out of the text offers are read from.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import ijson
from ijson.common import ObjectBuilder

from dnmobs import DnmobsError
from dnmobs.messengers.records import Chat, Message

KNOWN_ENTITIES = frozenset({
    "plain", "bold", "italic", "underline", "strikethrough", "code", "pre", "text_link", "link", "mention",
    "mention_name", "hashtag", "cashtag", "bot_command", "email", "phone", "bank_card", "spoiler",
    "custom_emoji", "blockquote", "unknown"})
_CHAT_META = ("name", "type", "id")


@dataclass
class BadRecord:
    """An element of a messages array that is not a message."""

    location: str
    reason: str
    raw: str | None = None


@dataclass
class Cut:
    """The stream broke: where, and why."""

    location: str
    reason: str


class CountingReader:
    """A binary file wrapper that knows how many bytes the parser has taken."""

    def __init__(self, fh):
        self.fh = fh
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        b = self.fh.read(n)
        self.pos += len(b)
        return b


HEAD = 64 * 1024


def _single_chat_head(head: bytes) -> Chat | None:
    """The chat of a one-chat export whose head holds only scalar fields before ``"messages": [`` (what
    Telegram writes), else None (then the general reader, which follows any shape)."""
    meta: dict = {}
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head), use_float=True):
            if prefix == "" and event in ("start_map", "map_key"):
                continue
            if prefix == "messages" and event == "start_array":
                return Chat("telegram", _str(meta.get("name")) or ("Saved Messages" if meta.get("type") ==
                                                                     "saved_messages" else None),
                            _str(meta.get("type")), _str(meta.get("id")))
            if "." in prefix or event not in ("string", "number", "boolean", "null"):
                return None
            meta[prefix] = value
    except ijson.JSONError:
        return None
    return None


def iter_export(fh) -> Iterator[tuple[Chat, Message | BadRecord] | Cut]:
    """Every message of every chat in an export, in file order; a ``Cut`` last if the file breaks.

    Raises DnmobsError when the JSON is not a Telegram export at all (checked as soon as the shape
    shows: the top level is not an object, or the whole file held no messages array).
    """
    head = fh.read(HEAD)
    fh.seek(0)
    chat = _single_chat_head(head)
    if chat is not None:
        yield from _iter_single(fh, chat)
        return
    yield from _iter_general(fh)


def _iter_single(fh, chat: Chat) -> Iterator[tuple[Chat, Message | BadRecord] | Cut]:
    """The common case, a one-chat export: ijson builds each message in C (about twice as fast)."""
    reader = CountingReader(fh)
    last_id: str | None = None
    n = 0
    try:
        for d in ijson.items(reader, "messages.item", use_float=True):
            n += 1
            item = to_message(d, n)
            if isinstance(item, Message):
                last_id = item.key
            yield chat, item
    except ijson.JSONError as exc:
        yield _cut(exc, reader, fh, last_id)


def _cut(exc: Exception, reader: CountingReader, fh, last_id: str | None) -> Cut:
    what = (str(exc).splitlines()[0] if str(exc) else type(exc).__name__).strip("b'\"").split("\\n")[0]
    truncated = "premature" in what or ("trailing" not in what and not _ends_closed(fh))
    kept = (f"the messages up to id {last_id} were kept" if last_id is not None
            else "no complete message came before it")
    after = f"after message id {last_id}" if last_id is not None else "before the first message"
    reason = (f"truncated export: the file ends inside the JSON ({what}); {kept}, the rest is lost"
              if truncated else f"invalid JSON ({what}); {kept}, the rest of the file could not be read")
    return Cut(f"byte {reader.pos}, {after}", reason)


def _iter_general(fh) -> Iterator[tuple[Chat, Message | BadRecord] | Cut]:
    """Any shape (the whole-account export, odd key orders), one parser event at a time."""
    reader = CountingReader(fh)
    meta: dict[str, dict] = {}  # scalars name/type/id of the maps open above the messages
    chat: Chat | None = None
    msg_prefix: str | None = None  # prefix of the messages array being read
    item_prefix = ""
    builder: ObjectBuilder | None = None
    depth = 0
    seen_messages = False
    n_in_chat = 0
    last_id: str | None = None
    first = True
    try:
        for prefix, event, value in ijson.parse(reader, use_float=True):
            if builder is not None:  # inside a message: the hot path
                builder.event(event, value)
                if event in ("start_map", "start_array"):
                    depth += 1
                elif event in ("end_map", "end_array"):
                    depth -= 1
                    if depth == 0:
                        n_in_chat += 1
                        item = to_message(builder.value, n_in_chat)
                        if isinstance(item, Message):
                            last_id = item.key
                        yield chat, item  # type: ignore[misc]
                        builder = None
                continue
            if first:
                first = False
                if event != "start_map":
                    kind = {"start_array": "an array"}.get(event, "a single value")
                    raise DnmobsError(f"not a Telegram export: the JSON is {kind}, not an object with "
                                      "'messages' (one chat) or 'chats' (the whole account)")
            if msg_prefix is not None:
                if prefix == item_prefix:
                    if event in ("start_map", "start_array"):  # an array is built too, then refused
                        builder = ObjectBuilder()
                        builder.event(event, value)
                        depth = 1
                    else:
                        n_in_chat += 1
                        yield chat, BadRecord(f"message #{n_in_chat} of the chat",  # type: ignore[misc]
                                              f"a message must be an object, not a {type(value).__name__}",
                                              str(value)[:200])
                    continue
                if event == "end_array" and prefix == msg_prefix:
                    msg_prefix = None
                continue
            if event == "start_array" and (prefix == "messages" or prefix.endswith(".messages")):
                parent = prefix[: -len("messages")].rstrip(".")
                m = meta.get(parent, {})
                chat = Chat("telegram", _str(m.get("name")) or ("Saved Messages" if m.get("type") ==
                                                                  "saved_messages" else None),
                            _str(m.get("type")), _str(m.get("id")))
                msg_prefix, item_prefix, n_in_chat, seen_messages = prefix, prefix + ".item", 0, True
                continue
            if event in ("string", "number", "boolean", "null"):
                parent, _, key = prefix.rpartition(".")
                if key in _CHAT_META:
                    meta.setdefault(parent, {})[key] = value
            elif event == "end_map":
                meta.pop(prefix, None)
    except ijson.JSONError as exc:
        yield _cut(exc, reader, fh, last_id)
        return
    if not seen_messages:
        raise DnmobsError("not a Telegram export: no 'messages' array (one chat) and no 'chats.list' "
                          "(the whole account) in this JSON")


def _ends_closed(fh) -> bool:
    """Whether the file's last non-blank character closes a JSON object or array (an uncut file)."""
    try:
        fh.seek(0, 2)
        fh.seek(max(0, fh.tell() - 64))
        end = fh.read().rstrip()
    except (OSError, ValueError):
        return False
    return end.endswith((b"}", b"]"))


def _str(v) -> str | None:
    if v is None:
        return None
    return v if isinstance(v, str) else str(v)


def _time(unix, iso) -> datetime | None:
    """UTC from ``date_unixtime`` when present, else the export's local ISO time as written."""
    if unix not in (None, ""):
        try:
            return datetime.fromtimestamp(int(float(unix)), UTC).replace(tzinfo=None)
        except (ValueError, OverflowError, OSError):
            pass
    if isinstance(iso, str) and iso:
        try:
            return datetime.fromisoformat(iso).replace(tzinfo=None)
        except ValueError:
            return None
    return None


def flatten(text, entities) -> tuple[str, str | None, tuple[str, ...], list[str], int]:
    """(text, text without struck-out parts or None, link targets, unknown entity types, entities lost)."""
    parts = entities if isinstance(entities, list) and entities else text
    if isinstance(parts, str):
        return parts, None, (), [], 0
    if not isinstance(parts, list):
        return ("" if parts is None else str(parts)), None, (), [], 0
    out: list[str] = []
    kept: list[str] = []
    hrefs: list[str] = []
    unknown: list[str] = []
    lost = 0
    struck = False
    for p in parts:
        if isinstance(p, str):
            out.append(p)
            kept.append(p)
            continue
        if not isinstance(p, dict) or not isinstance(p.get("text"), str):
            lost += 1
            continue
        t, kind = p["text"], p.get("type")
        out.append(t)
        if kind == "strikethrough":
            struck = True
        else:
            kept.append(t)
        if kind not in KNOWN_ENTITIES:
            unknown.append(str(kind))
        if isinstance(p.get("href"), str):
            hrefs.append(p["href"])
    full = "".join(out)
    return full, ("".join(kept) if struck else None), tuple(hrefs), unknown, lost


_MEDIA_KEYS = (("photo", "photo"), ("file", None), ("sticker_emoji", "sticker"), ("poll", "poll"),
               ("location_information", "location"), ("contact_information", "contact"), ("game_title", "game"),
               ("invoice_information", "invoice"))


def to_message(d, n: int) -> Message | BadRecord:
    """A message object of the export as a Message (or why it is not one)."""
    if not isinstance(d, dict):
        return BadRecord(f"message #{n} of the chat", f"a message must be an object, not a {type(d).__name__}",
                         str(d)[:200])
    mid = d.get("id")
    if mid is None or isinstance(mid, (dict, list, bool)):
        return BadRecord(f"message #{n} of the chat", "message without an id", _dump(d))
    key = str(int(mid)) if isinstance(mid, float) and mid.is_integer() else str(mid)
    kind = d.get("type") if isinstance(d.get("type"), str) else "message"
    text, offer_text, hrefs, unknown, lost = flatten(d.get("text"), d.get("text_entities"))
    media = media_file = None
    for k, name in _MEDIA_KEYS:
        if d.get(k) is not None:
            media = name or (_str(d.get("media_type")) or "file")
            media_file = _str(d[k]) if isinstance(d[k], str) else None
            break
    # text_entities repeats text (a list of the same entities, or plain runs of the same string)
    raw = {k: v for k, v in d.items() if k != "text_entities" or not d.get("text")}
    if unknown:
        raw["_unknown_entity_types"] = sorted(set(unknown))
    if lost:
        raw["_entities_without_text"] = lost
    reply = d.get("reply_to_message_id")
    return Message(
        key=key,
        location=f"message {key}",
        date=_time(d.get("date_unixtime"), d.get("date")),
        edited=_time(d.get("edited_unixtime"), d.get("edited")),
        sender=_str(d.get("from") if kind == "message" else d.get("actor")),
        sender_id=_str(d.get("from_id") if kind == "message" else d.get("actor_id")),
        kind=kind,
        action=_str(d.get("action")),
        text=text,
        offer_text=offer_text,
        reply_to=_str(int(reply) if isinstance(reply, float) else reply) if reply is not None else None,
        forwarded_from=_str(d.get("forwarded_from")),
        media=media,
        media_file=media_file,
        hrefs=hrefs,
        raw=raw,
    )


def _dump(d) -> str:
    import orjson

    return orjson.dumps(d, default=str).decode()[:4096]
