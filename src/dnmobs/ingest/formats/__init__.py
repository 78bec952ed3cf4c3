"""Dataset formats: one module per format, found through a registry.

A format module defines:
    NAME: str                   the --format name
    SUMMARY: str                one line for `dnmobs formats`
    MARKET: str | None          the market its data comes from, when fixed (e.g. 'agora')
    MARKET_KIND: str            'darknet', 'messenger' or 'unknown'
    CHUNK: int                  optional: how many sources one read() may take (default 1)
    KEY_BY_PATH: bool           optional: the path is part of a source's identity (saved pages named by
                                URL), so the same bytes at another path are read again
    COMMIT_BATCHES: bool        optional: commit after each batch, not once per chunk (huge sources of
                                records keyed by their own ids, which a rerun skips: memory stays flat)
    CHECKPOINT_RECORDS: (kind, n) optional, with COMMIT_BATCHES: checkpoint after every n records of that
                                kind, not after each batch
    sniff_bytes(head: bytes, name: str) -> bool
                                optional: recognises a format by its magic bytes, before the
                                binary-content check (WARC files hold binary records)
    sniff(head: str, name: str) -> bool
                                True when the decoded head of a file (and its name) is this format
    read(srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]
                                the records of a chunk of sources as batches, each record tagged with
                                its source's position (``src``); bad records go to Batch.quarantine
                                with the same tag. A reader never raises for bad data.

Formats from other packages register through the ``dnmobs.formats`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Protocol

import duckdb

from dnmobs import DnmobsError
from dnmobs.ingest.records import Batch
from dnmobs.ingest.sources import SourceFile
from dnmobs.plugins import ModuleRegistry


@dataclass
class ReadContext:
    con: duckdb.DuckDBPyConnection
    market: str | None = None
    crawl_date: date | None = None
    mapping: Path | None = None
    options: dict = field(default_factory=dict)


class Format(Protocol):
    NAME: str
    SUMMARY: str
    MARKET: str | None
    MARKET_KIND: str

    def sniff(self, head: str, name: str) -> bool: ...

    def read(self, srcs: list[SourceFile], ctx: ReadContext) -> Iterator[Batch]: ...


def chunk_size(fmt: ModuleType) -> int:
    return max(1, int(getattr(fmt, "CHUNK", 1)))


# Detection tries formats in this order: specific layouts before generic ones.
BUILTIN = [
    "warc",  # first: its records may be binary, and it is known by its magic bytes (sniff_bytes)
    "agora_ada",
    "agora_ada_vendors",
    "agora_mozzarella",
    "alphabay_scrape",
    "dream_cocaine",
    "matanga_scrape",
    "vendors_csv",
    "telegram_json",
    "telegram_html",
    "whatsapp_txt",
    "pages",  # after telegram_html: both read HTML, and telegram_html knows its pages exactly
    "mapped",
]

_formats = ModuleRegistry("dnmobs.ingest.formats", BUILTIN, "dnmobs.formats")
registry = _formats.modules
register = _formats.add  # a format added at run time (plugins, tests) is tried after the built-in ones


def get(name: str) -> ModuleType:
    reg = registry()
    if name not in reg:
        raise DnmobsError(f"unknown format {name!r}; known formats: {', '.join(sorted(reg))}")
    return reg[name]


def decode_head(head: bytes) -> str:
    """Text of a file's first bytes for sniffing: UTF-8 where it is, else a byte-per-character decode."""
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut at the end of the head
            return head[: exc.start].decode("utf-8")
        return head.decode("latin-1")


_CONTROLS = bytes(b for b in range(32) if b < 9 or 13 < b < 32)


def looks_binary(head: bytes) -> bool:
    if not head:
        return False
    if b"\x00" in head[:8192] and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    sample = head[:8192]
    controls = len(sample) - len(sample.translate(None, _CONTROLS))
    return controls > len(sample) * 0.1


def detect(src: SourceFile) -> ModuleType | None:
    head = src.head()
    for mod in registry().values():  # formats known by magic bytes, binary content or not
        sniff_bytes = getattr(mod, "sniff_bytes", None)
        if sniff_bytes is not None and sniff_bytes(head, src.name):
            return mod
    if looks_binary(head):
        return None
    text = decode_head(head)
    for mod in registry().values():
        if mod.sniff(text, src.name):
            return mod
    return None
