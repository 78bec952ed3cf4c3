"""WhatsApp "Export chat" text files (Android and iOS).

Android: ``31/12/2020, 23:59 - Name: text`` (also ``12/31/20, 11:59 PM``, ``31.12.20, 23:59``).
iOS: ``[31/12/2020, 23:59:59] Name: text`` (also 12-hour clocks; attachments and notices start with
U+200E). A line that does not start with a date continues the message before it. Lines without
``Name:`` are notices (kind 'service'). Media are placeholders (``<Media omitted>``, ``image omitted``,
``<attached: 00000012-PHOTO-....jpg>``, ``IMG-...jpg (file attached)``).

Which of day and month comes first is decided per file: a first field above 12 means day first, a
second above 12 month first; when the file never says, day first is assumed, except for the US form
(two-digit year with a 12-hour clock), and the message's raw record says it was assumed.

Encodings: UTF-8 (or UTF-16 with a byte-order mark). A file with no valid UTF-8 beyond ASCII and some
invalid lines is an old 8-bit export and is read as cp1252 throughout. A file that mixes both has its
invalid messages quarantined with the reason, the rest kept.

The export has no message ids: a message's key is a digest of its time, sender and text and how many
times that triple came before it in the file, so exporting the same chat twice stores it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import re2

from dnmobs.messengers.records import Message

_CLOCK = r"(\d{1,2}):(\d{2})(?::(\d{2}))?(?:[ \x{202F}\x{00A0}]?([AaPp])\.?[ \x{202F}\x{00A0}]?[Mm]\.?)?"
_DATE = r"(\d{1,4})[./-](\d{1,2})[./-](\d{2,4})"
_ANDROID = re2.compile(r"^[\x{200E}\x{200F}]?" + _DATE + r",?[ \x{202F}\x{00A0}]" + _CLOCK + r" [-–] (.*)$")
_IOS = re2.compile(r"^[\x{200E}\x{200F}]?\[" + _DATE + r",?[ \x{202F}\x{00A0}]" + _CLOCK + r"\] (.*)$")
_ATTACHED = re2.compile(r"<attached: ([^>]{1,255})>")
_FILE_ATTACHED = re2.compile(r"^(\S{1,255}) \(file attached\)")
_OMITTED = re2.compile(r"(?i)^(image|video|audio|sticker|gif|document|contact card|media) omitted$")
_STRIKE = re2.compile(r"(?:^|\s)~[^~\n]{1,300}~")
_MEDIA_OMITTED = frozenset({"<media omitted>", "<medien ausgeschlossen>", "<media weggelaten>",
                            "<multimédia omis>", "<multimedia omitido>", "<media omessi>", "null"})
_DELETED = frozenset({"this message was deleted", "you deleted this message", "diese nachricht wurde gelöscht",
                      "du hast diese nachricht gelöscht"})
_EDITED = "<This message was edited>"
_FILE_KINDS = (("PHOTO", "photo"), ("IMG", "photo"), ("VIDEO", "video_file"), ("VID", "video_file"),
               ("AUDIO", "audio_file"), ("PTT", "voice_message"), ("AUD", "audio_file"),
               ("STICKER", "sticker"), ("STK", "sticker"), ("DOC", "file"))


@dataclass
class Header:
    a: int
    b: int
    year: int
    hour: int
    minute: int
    second: int
    ampm: str | None
    rest: str
    ios: bool


def header(line: str) -> Header | None:
    m = _IOS.match(line) or _ANDROID.match(line)
    if not m:
        return None
    a, b, y = int(m.group(1)), int(m.group(2)), m.group(3)
    year = int(y)
    if len(m.group(1)) == 4:  # 2020-12-31
        a, b, year = int(y), b, int(m.group(1))
    elif len(y) == 2:
        year = 2000 + year
    return Header(a, b, year, int(m.group(4)), int(m.group(5)), int(m.group(6) or 0),
                  (m.group(7) or "").upper() or None, m.group(8), line.lstrip("\u200e\u200f").startswith("["))


@dataclass
class Layout:
    """What a pre-pass over the file learned."""

    day_first: bool = True
    assumed: bool = True
    encoding: str = "utf-8"  # 'utf-8', 'utf-16', 'cp1252' (the whole file), 'mixed'
    chat_name: str | None = None
    senders: int = 0


def _decode(line: bytes, encoding: str) -> tuple[str, bool]:
    """(text, was valid in the file's encoding)."""
    if encoding == "cp1252":
        return line.decode("cp1252", "replace"), True
    try:
        return line.decode("utf-8"), True
    except UnicodeDecodeError:
        return line.decode("cp1252", "replace"), False


def _lines(data_lines: Iterator[bytes]) -> Iterator[bytes]:
    first = True
    for raw in data_lines:
        if first:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
            first = False
        yield raw.rstrip(b"\r\n")


def survey(lines: Iterator[bytes]) -> Layout:
    lay = Layout()
    first_gt12 = second_gt12 = False
    us_style = False
    good_nonascii = bad = 0
    senders: set[str] = set()
    for raw in _lines(lines):
        try:
            text = raw.decode("utf-8")
            if not raw.isascii():
                good_nonascii += 1
        except UnicodeDecodeError:
            bad += 1
            text = raw.decode("cp1252", "replace")
        h = header(text)
        if h is None:
            continue
        if h.a > 12:
            first_gt12 = True
        if h.b > 12:
            second_gt12 = True
        if h.ampm and h.year >= 2000 and not h.ios:
            us_style = True
        name, sep, body = h.rest.partition(": ")
        if sep and len(senders) < 1000:
            senders.add(name)
        if lay.chat_name is None:
            if h.ios and sep and body.startswith("\u200e"):
                lay.chat_name = name  # iOS notices carry the group's name as their sender
            elif not sep and " created group " in h.rest:
                lay.chat_name = h.rest.split(" created group ", 1)[1].strip().strip('"“”«»')
    if first_gt12 != second_gt12:
        lay.day_first, lay.assumed = first_gt12, False
    else:
        lay.day_first = not us_style
    if bad and not good_nonascii:
        lay.encoding = "cp1252"
    elif bad:
        lay.encoding = "mixed"
    lay.senders = len(senders)
    return lay


def _when(h: Header, day_first: bool) -> datetime | None:
    day, month = (h.a, h.b) if day_first else (h.b, h.a)
    hour = h.hour
    if h.ampm == "P" and hour < 12:
        hour += 12
    elif h.ampm == "A" and hour == 12:
        hour = 0
    try:
        return datetime(h.year, month, day, hour, h.minute, h.second)
    except ValueError:
        return None


def _media(text: str) -> tuple[str, str | None, str | None]:
    """(text without a media placeholder, media kind, file name)."""
    t = text.strip().lstrip("\u200e")
    low = t.lower()
    if low in _MEDIA_OMITTED:
        return "", "omitted", None
    m = _OMITTED.match(t)
    if m:
        kind = m.group(1).lower()
        return "", {"image": "photo", "video": "video_file", "audio": "audio_file", "gif": "animation",
                    "document": "file", "contact card": "contact"}.get(kind, kind), None
    m = _ATTACHED.search(t) or _FILE_ATTACHED.match(t)
    if m:
        name = m.group(1)
        kind = next((k for tag, k in _FILE_KINDS if tag in name.upper()), "file")
        rest = (t[:m.start()] + t[m.end():]).strip()
        return rest, kind, name
    return text, None, None


@dataclass
class Problem:
    location: str
    reason: str
    raw: str


def parse(lines_a: Iterator[bytes], lines_b: Iterator[bytes], utf16: bool = False
          ) -> tuple[Layout, Iterator[Message | Problem]]:
    """The layout (from a first pass over ``lines_a``) and the messages of a second pass over ``lines_b``."""
    lay = survey(lines_a)
    if utf16:
        lay.encoding = "utf-16"
    return lay, _messages(lines_b, lay)


def _messages(lines: Iterator[bytes], lay: Layout) -> Iterator[Message | Problem]:
    seen: dict[bytes, int] = {}
    cur: dict | None = None

    def finish(c: dict) -> Message | Problem:
        text = "\n".join(c["lines"])
        loc = f"line {c['line']}" if c["end"] == c["line"] else f"lines {c['line']}-{c['end']}"
        if not c["valid"]:
            return Problem(loc, "not valid UTF-8 while the rest of the file is (mixed encodings); shown here "
                           "decoded as cp1252", c["header"] + "\n" + text)
        h: Header = c["h"]
        when = _when(h, lay.day_first)
        name, sep, body = h.rest.partition(": ")
        notice = not sep or (body.startswith("\u200e") and h.ios and name == lay.chat_name)
        if notice:
            sender, body = None, h.rest if not sep else body
        else:
            sender = name.lstrip("\u200e").strip() or None
        full = (body + ("\n" + text if c["lines"] else "")).strip("\n")
        raw: dict = {"line": c["line"], "header": c["header"], "text": full}
        if lay.assumed:
            raw["date_order"] = "assumed day first" if lay.day_first else "assumed month first"
        if lay.encoding != "utf-8":
            raw["encoding"] = lay.encoding
        edited = full.rstrip().endswith(_EDITED)
        if edited:
            full = full.rstrip()[: -len(_EDITED)].rstrip()
            raw["edited"] = True
        kind = "service" if notice else "message"
        if kind == "message" and full.strip().lstrip("\u200e").lower() in _DELETED:
            kind, full = "deleted", ""
        full, media, media_file = _media(full) if kind == "message" else (full, None, None)
        full = full.lstrip("\u200e")
        struck = _STRIKE.sub(" ", full) if "~" in full else full
        digest_src = f"{when.isoformat() if when else c['header']}\x1f{sender or ''}\x1f{full}".encode()
        d = hashlib.blake2b(digest_src, digest_size=12).digest()
        n = seen.get(d, 0)
        seen[d] = n + 1
        key = d.hex() + (f"-{n}" if n else "")
        if when is None:
            raw["date_error"] = "no such date"
        return Message(key=key, location=loc, date=when, sender=sender, kind=kind, text=full,
                       offer_text=struck if struck != full else None, media=media, media_file=media_file, raw=raw)

    for n, rawline in enumerate(_lines(lines), 1):
        text, valid = _decode(rawline, lay.encoding)
        h = header(text)
        if h is not None:
            if cur is not None:
                yield finish(cur)
            cur = {"h": h, "header": text, "line": n, "end": n, "lines": [], "valid": valid}
            continue
        if cur is None:
            if text.strip():
                yield Problem(f"line {n}", "text before the first message header (not a WhatsApp chat line)",
                              text[:2000])
            continue
        cur["lines"].append(text)
        cur["end"] = n
        cur["valid"] = cur["valid"] and valid
    if cur is not None:
        yield finish(cur)
