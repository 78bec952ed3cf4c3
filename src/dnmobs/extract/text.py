"""Text normalisation and the tokenizer every extractor works on.

One pass of one regular expression cuts the text into numbers, letter runs and single symbols; the
extractors then walk the token list by hand (linear, no backtracking). The pattern is audited for
linear time: every quantifier is possessive (no backtracking into it), the alternatives start with
disjoint character classes, and the text is stripped of trailing white space, the only place where
the pattern can fail; tests/test_extract_safety.py checks the scaling and fuzzes it.
"""

from __future__ import annotations

import re
import unicodedata

# Each token with the white space before it: numbers (with decimal or thousands separators), runs
# of ASCII letters, runs of other letters, any other single character. ASCII and other letters are
# cut apart so that the debris of a mangled encoding glued to a word ("MDMAäÖƒ") leaves the word
# whole; the term matcher joins adjacent pieces back ("cocaïne" = coca|ï|ne).
_TOKEN = re.compile(r"\s*+(?:\d++(?:[.,]\d++)*+|[a-zA-Z]++|[^\W\da-zA-Z_]++|\S)", re.S)

MAX_TEXT = 4000  # characters of a title or description that are read; the rest is ignored

NUM, WORD, SYM = "n", "w", "p"

# Characters that may sit inside a multi-token term ("2c-b", "driver's", "a.k.a", "hydrocodone/apap").
JOINERS = frozenset("-'./’‐‑–")


def normalize(text: str) -> str:
    """NFKC text (full-width digits, ligatures, ½ -> 1⁄2, µ -> μ) with ``ё`` read as ``е``; case kept."""
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).replace("ё", "е").replace("Ё", "Е")
    return text


class Tokens:
    """Parallel sequences: token text (lower case), kind (NUM, WORD, SYM), whether white space
    precedes it, its matching key (letters and digits only), and the token as written (case kept).
    Tuples as made by ``tokenize``; ``split`` makes them lists before changing them."""

    __slots__ = ("key", "kind", "raw", "space", "text")

    def __init__(self, text, kind, space, key, raw) -> None:
        self.text, self.kind, self.space, self.key, self.raw = text, kind, space, key, raw

    def __len__(self) -> int:
        return len(self.text)

    def split(self, i: int, at: int) -> None:
        """Cut token i in two after ``at`` characters ("100gCocaine" -> "g" | "cocaine")."""
        lists = [list(x) for x in (self.text, self.kind, self.space, self.key, self.raw)]
        text, kind, space, key, raw = lists
        w, r = text[i], raw[i]
        text[i:i + 1] = [w[:at], w[at:]]
        kind[i:i + 1] = [WORD, WORD]
        space[i:i + 1] = [space[i], False]
        key[i:i + 1] = [w[:at], w[at:]]
        raw[i:i + 1] = [r[:at], r[at:]]
        self.text, self.kind, self.space, self.key, self.raw = lists


def _describe(t: str) -> tuple[str, str, bool, str, str]:
    """(lower-case text, kind, space before, key, text as written) of a token as found."""
    sp = t[0].isspace()
    raw = t.lstrip() if sp else t
    c = raw[0]
    if c.isdecimal():
        return raw, NUM, sp, raw.replace(".", "").replace(",", ""), raw
    if c.isalpha():
        low = raw.lower()
        return low, WORD, sp, low, raw
    return raw, SYM, sp, "", raw


_SEEN: dict[str, tuple[str, str, bool, str, str]] = {}  # tokens repeat across titles: describe each once
_SEEN_MAX = 400_000


def _learn(t: str) -> tuple[str, str, bool, str, str]:
    d = _describe(t)
    if len(_SEEN) < _SEEN_MAX:
        _SEEN[t] = d
    return d


def raw_tokens(text: str) -> list[str]:
    """The tokens as found, each with the white space before it. Trailing white space is cut first:
    it is the one place where the pattern can fail to match, and a failing match after a long run of
    spaces would be retried from every position of the run (quadratic)."""
    return _TOKEN.findall(text.rstrip())


def tokenize(text: str) -> Tokens:
    """Tokens of a text; ``normalize`` it first."""
    get = _SEEN.get
    infos = [get(t) or _learn(t) for t in raw_tokens(text[:MAX_TEXT])]
    if not infos:
        return Tokens([], [], [], [], [])
    toks, kinds, spaces, keys, raws = zip(*infos, strict=True)
    return Tokens(toks, kinds, spaces, keys, raws)


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
