"""One saved page, decoded and parsed once: the input every layout works on.

Decoding is ours rather than the parser's so that a wrong or missing charset is noticed and
reported: a page declared UTF-8 whose bytes are not, a page declared as a single-byte charset
whose bytes are in fact UTF-8, an unknown charset label. The page is still read, with the best
guess, and the problem travels with it as a note.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import PurePosixPath

from selectolax.lexbor import LexborDocumentOptions, LexborHTMLParser, LexborNode

from dnmobs.markets.util import select_first

_SNIFF_BYTES = 2048  # where a meta charset is looked for (the HTML standard looks at the first 1024)
_LABEL_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-")
_UTF8 = "utf-8"
# The tree is only read, never changed: lexbor's DOM mutation events (side effects it applies while
# building, such as mirroring a <select>'s chosen option into a <selectedcontent>, a 2025 element no
# market page of ours has) are turned off. The page is still parsed whole, to the same tree; the
# parse costs about a seventh less (bench/parse_pages.py prints the floor with and without them).
PARSE_OPTIONS = LexborDocumentOptions.WO_EVENTS.value


@dataclass
class Decoded:
    markup: bytes | str  # bytes only when they are valid UTF-8 (the parser reads bytes as UTF-8)
    charset: str  # what the page was read as
    declared: str | None  # what the page (or its HTTP header) said
    problem: str | None = None  # why the declared charset was not used, when it was not


@lru_cache(maxsize=256)
def _codec(label: str | None) -> str | None:
    if not label:
        return None
    try:
        return codecs.lookup(label.strip().lower()).name
    except LookupError:
        return None


def declared_charset(data: bytes) -> str | None:
    """The label of the first ``charset=`` inside a <meta> tag of the page's head, if any.
    (A plain scan: this runs on every page, where a regex call would cost more than the rest.)"""
    end = min(len(data), _SNIFF_BYTES)
    head = data  # searched up to ``end`` in place: mostly written in lower case, sparing a copy
    at = data.find(b"charset", 0, end)
    if at < 0:
        head = data[:end].lower()
        at = head.find(b"charset")
    while at >= 0:
        tag = head.rfind(b"<", 0, at)
        if tag >= 0 and head[tag:tag + 5].lower() == b"<meta" and head.find(b">", tag, at) < 0:
            i = at + len(b"charset")
            while i < end and head[i] in b" \t\r\n=\"'":
                i += 1
            j = i
            while j < end and j - i < 40 and head[j] in _LABEL_CHARS:
                j += 1
            if j > i:
                return head[i:j].decode("ascii").lower()
        at = head.find(b"charset", at + 1, end)
    return None


def decode(data: bytes, http_charset: str | None = None) -> Decoded:
    """The page's text, read as its declaration says when the bytes agree, else as they are."""
    if data.startswith(b"\xef\xbb\xbf"):
        return Decoded(data[3:], _UTF8, "BOM utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Decoded(data.decode("utf-16", "replace"), "utf-16", "BOM utf-16")
    label = http_charset or declared_charset(data)
    codec = _codec(label)
    problem = None
    if label and codec is None:
        problem = f"unknown charset {label!r}; read as UTF-8 where valid, else windows-1252"
    if codec in (None, _UTF8, "ascii"):
        if data.isascii():
            return Decoded(data, _UTF8, label, problem)
        try:
            data.decode(_UTF8)
            return Decoded(data, _UTF8, label, problem)
        except UnicodeDecodeError as exc:
            said = f"declared charset {label!r} does not match the bytes" if codec else "no charset declared"
            problem = problem or (f"{said}: not valid UTF-8 (byte {exc.start}); read as windows-1252")
            return Decoded(data.decode("cp1252", "replace"), "cp1252", label, problem)
    # A single- or multi-byte legacy charset. Non-ASCII bytes that form valid UTF-8 almost never
    # occur in legacy text by chance, so such a page was mislabelled.
    if not data.isascii():
        try:
            data.decode(_UTF8)
            return Decoded(data, _UTF8, label,
                           f"declared charset {label!r} does not match the bytes, which are UTF-8; read as UTF-8")
        except UnicodeDecodeError:
            pass
    text = data.decode(codec, "replace")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in data:
        problem = f"bytes invalid in the declared charset {label!r}; unreadable characters replaced"
    return Decoded(text, codec, label, problem)


def is_truncated(data: bytes) -> bool:
    """A page that stops before its closing tags: the transfer was cut."""
    start = max(0, len(data) - 1024)
    if data.find(b"</html", start) >= 0 or data.find(b"</body", start) >= 0:  # spares the lower() copy
        return False
    tail = data[start:].lower()
    return b"</html" not in tail and b"</body" not in tail


def site_path(member: str | None, url: str | None = None) -> str:
    """The page's path on its site ('/p/AbCdEf'): from the URL when known, else from the saved file's
    path, cut after the crawl's root folder (a date, an .onion host) when one is recognisable."""
    if url:
        rest = url.split("://", 1)[-1]
        slash = rest.find("/")
        return rest[slash:].split("#", 1)[0] if slash >= 0 else "/"
    if not member:
        return ""
    parts = PurePosixPath(member.replace("\\", "/")).parts
    from dnmobs.ingest.sources import date_in_name  # the one place dates in names are read

    cut = 0
    for i, part in enumerate(parts[:-1]):
        if part.endswith(".onion") or date_in_name(part):
            cut = i + 1
    if cut == 0:
        cut = max(0, len(parts) - 2)
    return "/" + "/".join(parts[cut:])


@dataclass
class Doc:
    """A parsed page with what is known about where it came from."""

    tree: LexborHTMLParser
    path: str  # the site path, '/p/AbCdEf' ('' when unknown)
    size: int
    truncated: bool
    charset: str
    notes: list[str] = field(default_factory=list)  # problems met while reading it
    http_status: int | None = None
    cache: dict = field(default_factory=dict, repr=False)  # what layouts looked up once per page

    @classmethod
    def from_bytes(cls, data: bytes, path: str = "", http_charset: str | None = None,
                   http_status: int | None = None) -> Doc:
        dec = decode(data, http_charset)
        doc = cls(LexborHTMLParser(dec.markup, options=PARSE_OPTIONS), path, len(data), is_truncated(data), dec.charset,
                  http_status=http_status)
        if dec.problem:
            doc.notes.append(dec.problem)
        return doc

    @property
    def segments(self) -> list[str]:
        return [s for s in self.path.split("/") if s]

    def first(self, css: str, root: LexborNode | None = None) -> LexborNode | None:
        return select_first(root or self.tree.root, css)

    def text(self, css: str, root: LexborNode | None = None) -> str | None:
        node = select_first(root or self.tree.root, css)
        return text_of(node)

    def body_text(self) -> str:
        body = self.tree.body
        return body.text(separator=" ", strip=True) if body is not None else ""


def text_of(node: LexborNode | None) -> str | None:
    """A node's text with outer white space removed; None for no node or no text."""
    if node is None:
        return None
    # lexbor's own textContent: the same text as ``text()`` (every text node below, in order) with
    # no Python container per call; this runs some thirty times a page
    t = node.text_lexbor().strip()
    return t or None
