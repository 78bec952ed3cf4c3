"""Live collection of Telegram channels with Telethon (the optional ``telegram`` extra).

``dnmobs collect telegram CHANNEL...`` reads the channels' history through the user's own Telegram
account (api id and hash from ``DNMOBS_TELEGRAM_API_ID`` / ``DNMOBS_TELEGRAM_API_HASH``, created at
my.telegram.org) and writes it in the Telegram Desktop JSON export format, so that collected and
exported channels go through the same ingest. It only reads public history the account can see: it
never posts, joins, or contacts anyone.

Per channel, ``OUT/<channel>/state.json`` keeps the last message id written; a later run asks only
for newer messages (``min_id``) and writes them to a new file ``result-<first>-<last>.json``. A file is
written under a temporary name and renamed when complete, and the state moves only after that, so an
interrupted run resumes where the last complete file ended. A FloodWait answer is honoured by
sleeping the time Telegram asks for (up to ``max_wait`` seconds in all, then the run stops cleanly).
Media are not downloaded; the export notes them as Telegram Desktop does.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from dnmobs import DnmobsError

API_ID_ENV = "DNMOBS_TELEGRAM_API_ID"
API_HASH_ENV = "DNMOBS_TELEGRAM_API_HASH"
NOT_DOWNLOADED = "(File not included. Change data exporting settings to download.)"
_ENTITY_TYPES = {
    "MessageEntityBold": "bold", "MessageEntityItalic": "italic", "MessageEntityUnderline": "underline",
    "MessageEntityStrike": "strikethrough", "MessageEntityCode": "code", "MessageEntityPre": "pre",
    "MessageEntityTextUrl": "text_link", "MessageEntityUrl": "link", "MessageEntityMention": "mention",
    "MessageEntityMentionName": "mention_name", "MessageEntityHashtag": "hashtag",
    "MessageEntityCashtag": "cashtag", "MessageEntityBotCommand": "bot_command", "MessageEntityEmail": "email",
    "MessageEntityPhone": "phone", "MessageEntityBankCard": "bank_card", "MessageEntitySpoiler": "spoiler",
    "MessageEntityCustomEmoji": "custom_emoji", "MessageEntityBlockquote": "blockquote"}


@dataclass
class Collected:
    channel: str
    written: int = 0
    first_id: int | None = None
    last_id: int | None = None
    waited: float = 0.0
    files: list[Path] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped early, if it did


def credentials() -> tuple[int, str]:
    api_id, api_hash = os.environ.get(API_ID_ENV), os.environ.get(API_HASH_ENV)
    if not api_id or not api_hash:
        raise DnmobsError(f"set {API_ID_ENV} and {API_HASH_ENV} (from my.telegram.org) to collect from Telegram")
    try:
        return int(api_id), api_hash
    except ValueError:
        raise DnmobsError(f"{API_ID_ENV} must be a number, not {api_id!r}") from None


def folder_name(channel: str) -> str:
    """A safe folder name for a channel reference ('@name', 't.me/name', a numeric id)."""
    name = channel.strip().rsplit("/", 1)[-1].lstrip("@")
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "_.-") else "_" for c in name)[:64].lstrip(".")
    return safe or "channel"


# --- Telethon objects to the Desktop export format ---------------------------------------------------


def _snake(name: str) -> str:
    """'PinMessage' -> 'pin_message' (TL constructor names)."""
    return "".join(("_" + c.lower()) if c.isupper() and i else c.lower() for i, c in enumerate(name))


def _utc(d: datetime | None) -> datetime | None:
    if d is None:
        return None
    return d.astimezone(UTC) if d.tzinfo else d.replace(tzinfo=UTC)


def text_parts(message: str, entities: list | None) -> list:
    """The Desktop export's ``text`` list: plain strings and entity objects (offsets are UTF-16 units)."""
    from telethon.helpers import add_surrogate, del_surrogate

    if not entities:
        return [message] if message else []
    s = add_surrogate(message)
    parts: list = []
    pos = 0
    for e in sorted(entities, key=lambda e: (e.offset, -e.length)):
        if e.offset < pos:  # nested entities: the outer one already holds this text
            continue
        if e.offset > pos:
            parts.append(del_surrogate(s[pos:e.offset]))
        piece = {"type": _ENTITY_TYPES.get(type(e).__name__, "unknown"),
                 "text": del_surrogate(s[e.offset:e.offset + e.length])}
        if getattr(e, "url", None):
            piece["href"] = e.url
        if getattr(e, "user_id", None):
            piece["user_id"] = e.user_id
        parts.append(piece)
        pos = e.offset + e.length
    if pos < len(s):
        parts.append(del_surrogate(s[pos:]))
    return parts


def _peer_id(peer) -> str | None:
    if peer is None:
        return None
    for attr, prefix in (("channel_id", "channel"), ("user_id", "user"), ("chat_id", "chat")):
        v = getattr(peer, attr, None)
        if v is not None:
            return f"{prefix}{v}"
    return None


def _name(entity) -> str | None:
    if entity is None:
        return None
    title = getattr(entity, "title", None)
    if title:
        return title
    names = [getattr(entity, "first_name", None), getattr(entity, "last_name", None)]
    return " ".join(n for n in names if n) or getattr(entity, "username", None)


def to_export(m: Any, chat_title: str, is_channel: bool) -> dict:
    """One Telethon message as a message object of the Desktop JSON export."""
    date = _utc(m.date)
    out: dict[str, Any] = {"id": m.id, "type": "service" if getattr(m, "action", None) is not None else "message"}
    if date is not None:
        out["date"] = date.replace(tzinfo=None).isoformat()
        out["date_unixtime"] = str(int(date.timestamp()))
    edit = _utc(getattr(m, "edit_date", None))
    if edit is not None:
        out["edited"] = edit.replace(tzinfo=None).isoformat()
        out["edited_unixtime"] = str(int(edit.timestamp()))
    sender = getattr(m, "sender", None)
    who = chat_title if is_channel else (_name(sender) or getattr(m, "post_author", None))
    who_id = _peer_id(getattr(m, "from_id", None) or getattr(m, "peer_id", None))
    if out["type"] == "service":
        out["actor"], out["actor_id"] = who, who_id
        out["action"] = _snake(type(m.action).__name__.removeprefix("MessageAction"))
    else:
        out["from"], out["from_id"] = who, who_id
        if getattr(m, "post_author", None):
            out["author"] = m.post_author
    fwd = getattr(m, "fwd_from", None)
    if fwd is not None:
        out["forwarded_from"] = fwd.from_name or fwd.post_author or _peer_id(fwd.from_id)
    reply = getattr(m, "reply_to", None)
    if reply is not None and getattr(reply, "reply_to_msg_id", None):
        out["reply_to_message_id"] = reply.reply_to_msg_id
    media = getattr(m, "media", None)
    if media is not None:
        kind = type(media).__name__
        if kind == "MessageMediaPhoto":
            out["photo"] = NOT_DOWNLOADED
        elif kind == "MessageMediaDocument":
            out["file"] = NOT_DOWNLOADED
            doc = getattr(media, "document", None)
            if getattr(doc, "mime_type", None):
                out["mime_type"] = doc.mime_type
        else:
            out["media_type"] = _snake(kind.removeprefix("MessageMedia"))
    parts = text_parts(getattr(m, "message", None) or "", getattr(m, "entities", None))
    out["text"] = parts[0] if len(parts) == 1 and isinstance(parts[0], str) else parts
    return out


# --- the collection run -------------------------------------------------------------------------------


def _state(folder: Path) -> dict:
    p = folder / "state.json"
    if not p.is_file():
        return {}
    try:
        return orjson.loads(p.read_bytes())
    except orjson.JSONDecodeError:
        raise DnmobsError(f"{p} is damaged: remove it to collect {folder.name} from the start") from None


def _write_state(folder: Path, state: dict) -> None:
    tmp = folder / "state.json.part"
    tmp.write_bytes(orjson.dumps(state, option=orjson.OPT_INDENT_2))
    tmp.replace(folder / "state.json")


Sleep = Callable[[float], Awaitable[None]]


async def collect_channel(client: Any, channel: str, out: Path, *, limit: int | None = None,
                          max_wait: float = 3600, sleep: Sleep = asyncio.sleep) -> Collected:
    """Collect the messages of one channel newer than the last run's; see the module text."""
    from telethon.errors import FloodWaitError

    folder = out / folder_name(channel)
    folder.mkdir(parents=True, exist_ok=True)
    state = _state(folder)
    last_id = int(state.get("last_id", 0))
    res = Collected(channel)
    entity = await client.get_entity(channel)
    title = _name(entity) or channel
    is_channel = bool(getattr(entity, "broadcast", False))
    chat_type = "public_channel" if is_channel else ("public_supergroup" if getattr(entity, "megagroup", False)
                                                     else "private_group")
    part = folder / f"result-{last_id + 1}.json.part"
    with open(part, "wb") as fh:
        fh.write(orjson.dumps({"name": title, "type": chat_type, "id": entity.id})[:-1] + b', "messages": [\n')
        newest = last_id
        while limit is None or res.written < limit:
            try:
                async for m in client.iter_messages(entity, min_id=newest, reverse=True,
                                                    limit=None if limit is None else limit - res.written):
                    fh.write((b",\n" if res.written else b"") + orjson.dumps(to_export(m, title, is_channel)))
                    res.written += 1
                    newest = max(newest, m.id)
                    res.first_id = res.first_id or m.id
                break
            except FloodWaitError as exc:
                if res.waited + exc.seconds > max_wait:
                    res.stopped = (f"Telegram asked to wait {exc.seconds} s; the wait allowance of {max_wait:.0f} s "
                                   "is used up; run again later to go on")
                    break
                res.waited += exc.seconds
                await sleep(exc.seconds)
        fh.write(b"\n]}\n")
    if not res.written:
        part.unlink()
        return res
    res.last_id = newest
    final = folder / f"result-{res.first_id}-{newest}.json"
    part.replace(final)
    res.files.append(final)
    _write_state(folder, {"channel": channel, "title": title, "id": entity.id, "last_id": newest,
                          "updated": datetime.now(UTC).isoformat(timespec="seconds")})
    return res


async def collect(channels: list[str], out: Path, *, session: Path, limit: int | None = None,
                  max_wait: float = 3600, client_factory: Callable[..., Any] | None = None) -> list[Collected]:
    """Collect several channels with one logged-in client (asks for the login code on first use)."""
    if client_factory is None:
        try:
            from telethon import TelegramClient
        except ImportError:
            raise DnmobsError("live collection needs the telegram extra: pip install 'dnmobs[telegram]'") from None
        api_id, api_hash = credentials()

        def client_factory():
            return TelegramClient(str(session), api_id, api_hash)

    client = client_factory()
    results = []
    await client.start()
    try:
        for ch in channels:
            results.append(await collect_channel(client, ch, out, limit=limit, max_wait=max_wait))
    finally:
        await client.disconnect()
    return results
