"""Text normalisation and the tokenizer every extractor works on.

The text is cut at white space, and each piece by one regular expression into numbers, letter runs
and single symbols; the extractors then walk the token list by hand (linear, no backtracking). The
pattern is audited for linear time: every quantifier is possessive (no backtracking into it), the
alternatives start with disjoint character classes, and a piece has no white space, so every
position of it matches (the pattern never fails and is never retried);
tests/test_extract_safety.py checks the scaling and fuzzes it.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# The tokens of a run of non-space characters: numbers (with decimal or thousands separators), runs
# of ASCII letters, runs of other letters, any other single character. ASCII and other letters are
# cut apart so that the debris of a mangled encoding glued to a word ("MDMAäÖƒ") leaves the word
# whole; the term matcher joins adjacent pieces back ("cocaïne" = coca|ï|ne). The text is first cut
# at white space (str.split, the same white space as the pattern's \s), and each piece is cut by
# this pattern once: pieces repeat across titles ("3.5g", "cocaine", "90%") and are memoised.
_TOKEN: Final = re.compile(r"\d++(?:[.,]\d++)*+|[a-zA-Z]++|[^\W\da-zA-Z_]++|\S")

MAX_TEXT: Final = 4000  # characters of a title or description that are read; the rest is ignored

NUM: Final = "n"
WORD: Final = "w"
SYM: Final = "p"

# Characters that may sit inside a multi-token term ("2c-b", "driver's", "a.k.a", "hydrocodone/apap").
JOINERS: Final = frozenset("-'./’‐‑–")


def normalize(text: str) -> str:
    """NFKC text (full-width digits, ligatures, ½ -> 1⁄2, µ -> μ) with ``ё`` read as ``е``; case kept."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).replace("ё", "е").replace("Ё", "Е")
    return text


class Tokens:
    """Parallel sequences: token text (lower case), kind (NUM, WORD, SYM), whether white space
    precedes it, its matching key (letters and digits only), the token as written (case kept) and,
    for numbers, their value (``parse_number``; None for other tokens): tuples, as made by
    ``tokenize`` (typed: the compiled build reads them natively, see docs/extraction.md)."""

    __slots__ = ("key", "kind", "raw", "space", "text", "val")

    def __init__(self, text: tuple[str, ...], kind: tuple[str, ...], space: tuple[bool, ...], key: tuple[str, ...],
                 raw: tuple[str, ...], val: tuple[float | None, ...]) -> None:
        self.text, self.kind, self.space, self.key, self.raw, self.val = text, kind, space, key, raw, val

    def __len__(self) -> int:
        return len(self.text)


def _describe(raw: str, space: bool) -> tuple:
    """(lower-case text, kind, space before, key, text as written, value) of a token."""
    c = raw[0]
    if c.isdecimal():
        return raw, NUM, space, raw.replace(".", "").replace(",", ""), raw, parse_number(raw)
    if c.isalpha():
        low = raw.lower()
        return low, WORD, space, low, raw, None
    return raw, SYM, space, "", raw, None


def _describe_piece(piece: str) -> tuple:
    """The tokens of a piece of text without white space, the first one preceded by white space."""
    return tuple([_describe(t, k == 0) for k, t in enumerate(_TOKEN.findall(piece))])


# piece -> its tokens, one table per piece splitter (pieces repeat across titles: cut each once). A piece
# costs ~6 heap blocks (~350 bytes); 100,000 distinct titles have ~60,000 pieces. A full table starts over,
# so a long ingest (millions of menu lines) keeps the recent pieces in bounded memory.
_PIECES_MAX: Final = 1 << 16
_CACHES: Final[dict] = {None: {}}


def _learn(piece: str, split, cache: dict) -> tuple:
    d = _describe_piece(piece)
    if split is not None:
        d = split(d)
    if len(cache) >= _PIECES_MAX:
        cache.clear()
    cache[piece] = d
    return d


def clear_cache() -> None:
    for c in _CACHES.values():
        c.clear()


def raw_tokens(text: str) -> list[str]:
    """The tokens as found (without the white space between them)."""
    return [t for piece in text.split() for t in _TOKEN.findall(piece)]


def tokenize(text: str, split=None) -> Tokens:
    """Tokens of a text; ``normalize`` it first. ``split``, a function of a piece's token tuples,
    may recut a piece (it sees the tokens of one run of non-space characters; its result is
    memoised with the piece)."""
    text = text[:MAX_TEXT]
    cache = _CACHES.get(split)
    if cache is None:
        cache = _CACHES[split] = {}
    # (plain calls and comprehensions: the compiled build makes them direct C calls and loops,
    # where bound methods kept in locals and zip(*infos) stay generic calls)
    infos: list[tuple] = []
    for piece in text.split():
        d = cache.get(piece)
        if d is None:  # (a piece has at least one token: a cached one is never empty)
            d = _learn(piece, split, cache)
        infos.extend(d)
    if not infos:
        return Tokens((), (), (), (), (), ())
    if not text[0].isspace():  # the first token is preceded by white space only when the text is
        f = infos[0]
        infos[0] = (f[0], f[1], False, f[3], f[4], f[5])
    return Tokens(tuple([t[0] for t in infos]), tuple([t[1] for t in infos]), tuple([t[2] for t in infos]),
                  tuple([t[3] for t in infos]), tuple([t[4] for t in infos]), tuple([t[5] for t in infos]))


def parse_number(s: str) -> float | None:
    """A number as written in listings: '0,5' and '0.5' are halves, '1,200' and '1.200.000' use
    thousands separators, '1.200,50' and '1,200.50' both mean 1200.5. Numbers from 10^15 up are
    serial numbers, dates run together or noise: None."""
    v = _parse_number(s)
    return v if v is not None and 0 <= v < 1e15 else None


def _parse_number(s: str) -> float | None:
    dots, commas = s.count("."), s.count(",")
    try:
        if s.isdecimal():
            return float(s)
        if dots and commas:
            if s.rfind(",") > s.rfind("."):  # 1.200,50
                return float(s.replace(".", "").replace(",", "."))
            return float(s.replace(",", ""))  # 1,200.50
        if commas:
            if commas == 1:
                head, tail = s.split(",")
                if len(tail) == 3 and head != "0" and not head.startswith("0"):
                    return float(head + tail)  # 1,200
                return float(head + "." + tail)  # 0,5  2,5  40,00
            return float(s.replace(",", ""))  # 1,000,000
        if dots > 1:
            return float(s.replace(".", ""))  # 1.000.000
        return float(s)
    except ValueError:
        return None
