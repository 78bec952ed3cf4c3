"""Telegram Desktop HTML export: ``messages.html``, ``messages2.html``, ... one page per file.

A page names its chat in ``.page_header``; each message is a ``div.message`` with id ``message<N>`` (N is
the same id the JSON export gives, so both exports of one chat meet in one market). ``default`` messages
carry a date whose title is ``DD.MM.YYYY HH:MM:SS`` (newer exports add ``UTC+HH:MM``), a ``from_name``
(absent on ``joined`` messages: the sender of the previous one), an optional forwarded block, reply
link, media and ``.text``; ``service`` messages with negative ids are day separators, not messages.
Parsed with selectolax (lexbor).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import re2
from selectolax.lexbor import LexborHTMLParser

from dnmobs.messengers.records import Chat, Message

_TITLE_DATE = re2.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?"
                          r"(?:\s*UTC\s*([+-])(\d{1,2}):?(\d{2}))?")
_GO_TO = re2.compile(r"go_to_message(\d+)")
_DAY = re2.compile(r"^\s*(\d{1,2})\s+([A-Za-z]+)\s+(\d{4})\s*$")
_MONTHS = {m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june", "july", "august",
                                        "september", "october", "november", "december"), 1)}
_STRUCK = frozenset({"s", "strike", "del"})
_BLOCKS = frozenset({"div", "p", "blockquote", "pre", "li"})


def parse_date(title: str | None) -> datetime | None:
    """The date of a ``title`` attribute; UTC when the title gives the offset, else as written."""
    if not title:
        return None
    m = _TITLE_DATE.search(title)
    if not m:
        return None
    d, mo, y, h, mi, s = (int(m.group(i) or 0) for i in range(1, 7))
    try:
        dt = datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None
    if m.group(7):
        off = timedelta(hours=int(m.group(8)), minutes=int(m.group(9)))
        dt = dt.replace(tzinfo=timezone(off if m.group(7) == "+" else -off)).astimezone(UTC).replace(tzinfo=None)
    return dt


def parse_day(text: str) -> datetime | None:
    """The date of a day separator ('14 June 2022'; English exports only)."""
    m = _DAY.match(text or "")
    month = _MONTHS.get(m.group(2).lower()) if m else None
    if not m or not month:
        return None
    try:
        return datetime(int(m.group(3)), month, int(m.group(1)))
    except ValueError:
        return None


def _classes(node) -> set[str]:
    return set((node.attributes.get("class") or "").split())


def _children(node) -> Iterator:
    c = node.first_child
    while c is not None:
        yield c
        c = c.next


def _text(node) -> tuple[str, str | None, tuple[str, ...]]:
    """(plain text with line breaks, text without struck-out parts or None, link targets)."""
    out: list[str] = []
    kept: list[str] = []
    hrefs: list[str] = []
    struck_any = False
    # iterative walk: (node, inside a struck-out element); HTML nesting depth cannot exhaust the stack
    stack = [(c, False) for c in reversed(list(_children(node)))]
    while stack:
        n, struck = stack.pop()
        tag = n.tag
        if tag == "-text":
            t = n.text_content or ""
            out.append(t)
            if struck:
                struck_any = True
            else:
                kept.append(t)
            continue
        if tag == "br":
            out.append("\n")
            kept.append("\n")
            continue
        if tag == "a" and n.attributes.get("href"):
            hrefs.append(n.attributes["href"] or "")
        if tag in _BLOCKS and out and not out[-1].endswith("\n"):
            out.append("\n")
            kept.append("\n")
        inner = struck or tag in _STRUCK
        stack.extend((c, inner) for c in reversed(list(_children(n))))
    text = "".join(out).strip()
    return text, ("".join(kept).strip() if struck_any else None), tuple(hrefs)


_MEDIA_CLASSES = (("photo_wrap", "photo"), ("media_photo", "photo"), ("video_file_wrap", "video_file"),
                  ("media_video", "video_file"), ("media_voice_message", "voice_message"),
                  ("media_audio_file", "audio_file"), ("sticker_wrap", "sticker"), ("media_file", "file"),
                  ("media_contact", "contact"), ("media_location", "location"), ("media_poll", "poll"),
                  ("media_game", "game"), ("media_invoice", "invoice"), ("animated_wrap", "animation"))


def _media(wrap) -> tuple[str | None, str | None]:
    for n in wrap.css("a, div"):
        cls = _classes(n)
        for c, kind in _MEDIA_CLASSES:
            if c in cls:
                return kind, n.attributes.get("href")
    return "media", None


def parse_page(html: str | bytes) -> tuple[Chat, list[Message]]:
    """The chat a page belongs to and its messages, in page order."""
    tree = LexborHTMLParser(html)
    head = tree.css_first(".page_header .text.bold") or tree.css_first(".page_header .text")
    chat = Chat("telegram", head.text(strip=True) if head else None)
    out: list[Message] = []
    last_sender: str | None = None
    day: datetime | None = None  # of the last day separator: the only date a service message has
    for node in tree.css("div.message"):
        nid = node.attributes.get("id") or ""
        key = nid[len("message"):] if nid.startswith("message") else ""
        cls = _classes(node)
        body = node.css_first(".body")
        if "service" in cls:
            if body is None:
                continue
            text, _, _ = _text(body)
            if key.startswith("-"):  # a day separator
                day = parse_day(text) or day
                continue
            out.append(Message(key=key, location=f"message {key}", kind="service", text=text, date=day,
                               raw={"id": key, "type": "service", "text": text}))
            continue
        if body is None:
            continue
        msg = Message(key=key, location=f"message {key}" if key else f"message #{len(out) + 1} of the page")
        raw: dict = {"id": key, "type": "message"}
        for child in _children(body):
            if child.tag != "div":
                continue
            c = _classes(child)
            if "date" in c:
                title = child.attributes.get("title")
                msg.date = parse_date(title)
                raw["date_title"] = title
            elif "from_name" in c:
                details = child.css_first(".details")
                name = child.text(deep=False, strip=True) if details is not None else child.text(strip=True)
                msg.sender = name or None
                if details is not None:
                    raw["via"] = details.text(strip=True)
            elif "forwarded" in c:
                fwd = child.css_first(".from_name")
                if fwd is not None:
                    msg.forwarded_from = fwd.text(deep=False, strip=True) or fwd.text(strip=True)
                    raw["forwarded_from"] = msg.forwarded_from
                    # a forwarded post's text sits inside the forwarded block
                    inner = child.css_first(".text")
                    if inner is not None and not msg.text:
                        msg.text, msg.offer_text, msg.hrefs = _text(inner)
            elif "reply_to" in c:
                a = child.css_first("a")
                m = _GO_TO.search(a.attributes.get("href") or "") if a is not None else None
                msg.reply_to = m.group(1) if m else None
                raw["reply_to"] = child.text(strip=True)
            elif "media_wrap" in c:
                msg.media, msg.media_file = _media(child)
            elif "text" in c:
                msg.text, msg.offer_text, msg.hrefs = _text(child)
            elif "signature" in c:
                raw["author"] = child.text(strip=True)
        if msg.sender is None and "joined" in cls:
            msg.sender = last_sender
        last_sender = msg.sender
        raw.update({"from": msg.sender, "text": msg.text, "media": msg.media, "media_file": msg.media_file})
        msg.raw = raw
        out.append(msg)
    return chat, out
